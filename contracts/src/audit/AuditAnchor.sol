// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/**
 * @title AuditAnchor
 * @dev Append-only anchors of the platform's off-chain, hash-chained audit log: each anchor is the log's head
 * hash after `entryCount` entries. Anyone holding an export of the log can recompute the head at that count and
 * compare it with the anchor; an altered or removed row changes every later head.
 */
contract AuditAnchor is AccessControl {
    /// @dev May append anchors (the platform's audit worker).
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    struct Anchor {
        bytes32 head;
        uint64 entryCount;
        uint48 timestamp;
        uint48 blockNumber;
    }

    Anchor[] private _anchors;

    /// @dev Emitted for every anchor appended.
    event Anchored(uint256 indexed index, bytes32 indexed head, uint64 entryCount);

    error AuditAnchorZeroHead();
    error AuditAnchorCountNotIncreasing(uint64 previousCount, uint64 entryCount);
    error AuditAnchorIndexOutOfRange(uint256 index, uint256 count);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
    }

    /**
     * @notice Appends the audit log's head hash after `entryCount` entries; counts strictly increase.
     * @dev Emits {Anchored}. ANCHORER_ROLE.
     */
    function anchor(bytes32 head, uint64 entryCount) external onlyRole(ANCHORER_ROLE) returns (uint256 index) {
        if (head == bytes32(0)) revert AuditAnchorZeroHead();
        uint256 n = _anchors.length;
        uint64 previous = n == 0 ? 0 : _anchors[n - 1].entryCount;
        if (entryCount <= previous) revert AuditAnchorCountNotIncreasing(previous, entryCount);
        _anchors.push(
            Anchor({
                head: head,
                entryCount: entryCount,
                timestamp: SafeCast.toUint48(block.timestamp),
                blockNumber: SafeCast.toUint48(block.number)
            })
        );
        index = n;
        emit Anchored(index, head, entryCount);
    }

    /// @dev Number of anchors.
    function anchorCount() external view returns (uint256) {
        return _anchors.length;
    }

    /// @dev Anchor number `index` (from 0).
    function anchorAt(uint256 index) external view returns (Anchor memory) {
        if (index >= _anchors.length) revert AuditAnchorIndexOutOfRange(index, _anchors.length);
        return _anchors[index];
    }

    /// @dev The latest anchor; reverts with {AuditAnchorIndexOutOfRange} when there is none.
    function latestAnchor() external view returns (Anchor memory) {
        uint256 n = _anchors.length;
        if (n == 0) revert AuditAnchorIndexOutOfRange(0, 0);
        return _anchors[n - 1];
    }
}
