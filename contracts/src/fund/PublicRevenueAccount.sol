// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FundBase} from "./FundBase.sol";
import {Art278} from "../governance/Art278.sol";

/**
 * @title PublicRevenueAccount
 * @dev Public revenue (公共收益, Civil Code Art. 282): income from common parts after reasonable costs belongs
 * to the owners, who decide how it is split. The split is a ratio in basis points: `fundBps` goes to the
 * maintenance fund (to be allocated to the sub-ledgers by area), the rest to the community welfare account.
 *
 * The ratio changes only through a Final "other major matter" (Art. 278 item 9) proposal whose content hash
 * is {revenueRatioHash}`(fundBps)`, so the owners vote on the exact figure; it is applied to every receipt.
 * Until the owners have voted, all revenue goes to the maintenance fund.
 */
abstract contract PublicRevenueAccount is FundBase {
    uint16 public constant BPS = 10_000;

    uint16 private _fundBps = BPS;
    uint256 private _welfareBalance;
    uint256 private _revenueReceived;

    /// @dev Emitted when a passed owners' vote sets the ratio.
    event RevenueRatioSet(uint256 indexed proposalId, uint16 fundBps, uint16 welfareBps);
    /// @dev Emitted for every receipt with its split under the ratio in force.
    event RevenueReceived(bytes32 indexed sourceRef, uint256 amount, uint256 toFund, uint256 toWelfare, uint16 fundBps);
    /// @dev Emitted when the committee spends from the welfare account; `purposeHash` is the disclosure.
    event WelfareSpent(address indexed committee, uint256 amount, bytes32 payeeRef, bytes32 purposeHash);

    error FundRatioOutOfRange(uint256 fundBps);
    error FundRatioNotVoted(uint256 proposalId, bytes32 expectedContentHash, bytes32 contentHash);
    error FundInsufficientWelfare(uint256 balance, uint256 amount);

    /**
     * @notice Applies the revenue split the owners voted in `proposalId`.
     * @dev Emits {RevenueRatioSet}; marks the proposal Executed. Anyone may call once the vote is Final.
     */
    function setRevenueRatio(uint256 proposalId, uint16 fundBps) external {
        if (fundBps > BPS) revert FundRatioOutOfRange(fundBps);
        _requireFinal(proposalId, Art278.Matter.Other);
        bytes32 expected = revenueRatioHash(fundBps);
        bytes32 contentHash = _governance.proposalContentHash(proposalId);
        if (contentHash != expected) revert FundRatioNotVoted(proposalId, expected, contentHash);
        _fundBps = fundBps;
        emit RevenueRatioSet(proposalId, fundBps, BPS - fundBps);
        // Interaction last (checks-effects-interactions).
        _governance.markExecuted(proposalId);
    }

    /**
     * @notice Records public revenue received into the owners' bank account and splits it by the voted ratio.
     * @dev Emits {RevenueReceived}. Restricted to TREASURER_ROLE.
     */
    function receiveRevenue(uint256 amount, bytes32 sourceRef) external onlyRole(TREASURER_ROLE) {
        if (amount == 0) revert FundZeroAmount();
        uint16 fundBps = _fundBps;
        uint256 toFund = (amount * fundBps) / BPS;
        uint256 toWelfare = amount - toFund;
        _revenueReceived += amount;
        _welfareBalance += toWelfare;
        _creditFundPool(toFund);
        emit RevenueReceived(sourceRef, amount, toFund, toWelfare, fundBps);
    }

    /**
     * @notice Spends from the welfare account.
     * @dev Emits {WelfareSpent}; `purposeHash` (the disclosure) is mandatory. Restricted to COMMITTEE_ROLE.
     */
    function spendWelfare(uint256 amount, bytes32 payeeRef, bytes32 purposeHash) external onlyRole(COMMITTEE_ROLE) {
        if (amount == 0) revert FundZeroAmount();
        if (purposeHash == bytes32(0)) revert FundDisclosureRequired();
        uint256 balance = _welfareBalance;
        if (amount > balance) revert FundInsufficientWelfare(balance, amount);
        _welfareBalance = balance - amount;
        emit WelfareSpent(msg.sender, amount, payeeRef, purposeHash);
    }

    /// @dev The content hash a ratio proposal must carry to set `fundBps` on this account.
    function revenueRatioHash(uint16 fundBps) public view returns (bytes32) {
        return keccak256(abi.encode("linli.revenue-ratio", block.chainid, address(this), fundBps));
    }

    /// @dev Basis points of each receipt going to the maintenance fund.
    function revenueFundBps() external view returns (uint16) {
        return _fundBps;
    }

    /// @dev Balance of the welfare account, in fen.
    function welfareBalance() external view returns (uint256) {
        return _welfareBalance;
    }

    /// @dev All public revenue ever received, in fen.
    function revenueReceived() external view returns (uint256) {
        return _revenueReceived;
    }

    /// @dev Adds the fund's share of a receipt to the maintenance fund.
    function _creditFundPool(uint256 amount) internal virtual;
}
