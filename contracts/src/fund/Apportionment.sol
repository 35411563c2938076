// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title Apportionment
 * @dev Splits an integer amount (fen) by integer weights (areas) so that the shares add up to the amount
 * exactly, and a larger weight never gets less than a smaller one.
 *
 * Method: largest remainder (Hamilton). Item `i` first gets the floor of its exact quota,
 * `floor(amount * w_i / W)`; the `r = amount - sum(floors)` fen left over (`r` < number of items) go one
 * each to the `r` items with the largest remainders `amount * w_i mod W`, equal remainders in item order
 * (callers pass ascending unit ids, so the lower unit id first). Each share is the floor or the ceiling of
 * its quota, and shares are monotone in the weight: `w_i > w_j` implies `share_i >= share_j` (a larger
 * weight has a floor at least as large and, when the floors are equal, a larger remainder). The earlier
 * cumulative rounding could give [0, 1] for weights [200, 100] and 1 fen; this gives [1, 0].
 *
 * `plugins/funds/apportionment.py` computes the same shares for previews and the database mirror.
 */
library Apportionment {
    /// @dev The total weight is zero, or too large to rank remainders in one word (2^224 and above).
    error ApportionmentBadTotal(uint256 totalWeight);

    /// @dev Shares of `amount` by `weights` (largest remainder, ties by position); the total weight must be positive.
    function split(uint256 amount, uint256[] memory weights) internal pure returns (uint256[] memory shares) {
        uint256 n = weights.length;
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) total += weights[i];
        if (total == 0 || total >> 224 != 0) revert ApportionmentBadTotal(total);
        shares = new uint256[](n);
        uint256 given = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 share = Math.mulDiv(amount, weights[i], total);
            shares[i] = share;
            given += share;
        }
        uint256 left = amount - given;
        if (left == 0) return shares;
        // Rank by remainder, then by position: key = remainder << 32 | (2^32 - 1 - position), largest first.
        uint256[] memory keys = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            keys[i] = (mulmod(amount, weights[i], total) << 32) | (type(uint32).max - i);
        }
        _largestToEnd(keys, left);
        for (uint256 k = 0; k < left; ++k) {
            uint256 position = type(uint32).max - (keys[n - 1 - k] & type(uint32).max);
            shares[position] += 1;
        }
    }

    /// @dev Moves the `k` largest values of `a` to its end, largest last (`a[n-1]`, then `a[n-2]`...): a heap
    /// sort stopped after `k` extractions, O(n + k log n), no recursion.
    function _largestToEnd(uint256[] memory a, uint256 k) private pure {
        uint256 n = a.length;
        if (n < 2) return;
        for (uint256 start = n / 2; start > 0; ) {
            --start;
            _siftDown(a, start, n);
        }
        uint256 stop = n - k; // k < n
        for (uint256 end = n - 1; end >= stop && end > 0; --end) {
            (a[0], a[end]) = (a[end], a[0]);
            _siftDown(a, 0, end);
        }
    }

    function _siftDown(uint256[] memory a, uint256 root, uint256 end) private pure {
        // Indices stay below 2 * a.length, far from overflow.
        unchecked {
            uint256 value = a[root];
            while (true) {
                uint256 child = 2 * root + 1;
                if (child >= end) break;
                uint256 larger = a[child];
                if (child + 1 < end) {
                    uint256 right = a[child + 1];
                    if (right > larger) {
                        ++child;
                        larger = right;
                    }
                }
                if (value >= larger) break;
                a[root] = larger;
                root = child;
            }
            a[root] = value;
        }
    }
}
