// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title Apportionment
 * @dev Splits an integer amount (fen) by integer weights (areas) so that the shares add up to the amount
 * exactly: no fen is created or lost.
 *
 * Method: cumulative rounding. With `W_i` the running sum of the weights up to and including item `i` and
 * `W` their total, item `i` receives `floor(amount * W_i / W) - floor(amount * W_{i-1} / W)`. The shares
 * telescope to `floor(amount * W / W) = amount`; each share is the floor or the ceiling of its exact quota
 * `amount * w_i / W` (the quota rule that largest-remainder also meets); the result depends only on the
 * order of the items, which callers fix by requiring ascending unit ids. It runs in O(n) without sorting
 * and can be carried over several transactions by keeping `W_{i-1}` and the amount allocated so far.
 */
library Apportionment {
    /// @dev Share of the item that brings the running weight from `cumBefore` to `cumAfter`.
    function shareOf(
        uint256 amount,
        uint256 totalWeight,
        uint256 cumBefore,
        uint256 cumAfter
    ) internal pure returns (uint256) {
        return Math.mulDiv(amount, cumAfter, totalWeight) - Math.mulDiv(amount, cumBefore, totalWeight);
    }

    /// @dev Shares of `amount` by `weights`; the total weight must be positive.
    function split(uint256 amount, uint256[] memory weights) internal pure returns (uint256[] memory shares) {
        uint256 total = 0;
        for (uint256 i = 0; i < weights.length; ++i) total += weights[i];
        shares = new uint256[](weights.length);
        uint256 cum = 0;
        uint256 allocated = 0;
        for (uint256 i = 0; i < weights.length; ++i) {
            cum += weights[i];
            uint256 upTo = Math.mulDiv(amount, cum, total);
            shares[i] = upTo - allocated;
            allocated = upTo;
        }
    }
}
