// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Art278} from "./Art278.sol";

/// @dev What the maintenance fund needs from {OwnersGovernance}.
interface IOwnersGovernance {
    enum ProposalState {
        Pending,
        Active,
        DefeatedNoQuorum,
        Defeated,
        Succeeded,
        Final,
        Executed,
        Cancelled
    }

    /// @dev Current state of `proposalId`.
    function state(uint256 proposalId) external view returns (ProposalState);

    /// @dev Art. 278 matter of `proposalId`.
    function proposalMatter(uint256 proposalId) external view returns (Art278.Matter);

    /// @dev Content hash (hash of the proposal document or of the action it authorises).
    function proposalContentHash(uint256 proposalId) external view returns (bytes32);

    /// @dev Marks a Final proposal Executed; restricted to the executor role.
    function markExecuted(uint256 proposalId) external;
}
