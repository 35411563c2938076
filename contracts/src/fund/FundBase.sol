// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IOwnersRegistry} from "../registry/IOwnersRegistry.sol";
import {IOwnersGovernance} from "../governance/IOwnersGovernance.sol";
import {Art278} from "../governance/Art278.sol";

/**
 * @title FundBase
 * @dev Roles, linked contracts and the "only against a passed owners' vote" check shared by the fund's parts.
 */
abstract contract FundBase is AccessControl {
    /// @dev Records bank movements (deposits, interest, revenue) and submits voted disbursements.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    /// @dev The owners' committee: emergency use of the fund (Art. 281 para. 2) and welfare spending, always
    /// with a disclosure.
    bytes32 public constant COMMITTEE_ROLE = keccak256("COMMITTEE_ROLE");

    IOwnersRegistry internal immutable _registry;
    IOwnersGovernance internal immutable _governance;

    error FundProposalNotFinal(uint256 proposalId, IOwnersGovernance.ProposalState current);
    error FundWrongMatter(uint256 proposalId, Art278.Matter required, Art278.Matter actual);
    error FundZeroAmount();
    error FundDisclosureRequired();

    constructor(address admin, IOwnersRegistry registry_, IOwnersGovernance governance_) {
        _registry = registry_;
        _governance = governance_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(TREASURER_ROLE, admin);
    }

    /// @dev The owners' registry whose units and areas the fund follows.
    function registry() external view returns (IOwnersRegistry) {
        return _registry;
    }

    /// @dev The governance whose Final proposals authorise the fund.
    function governance() external view returns (IOwnersGovernance) {
        return _governance;
    }

    /// @dev Reverts unless `proposalId` is Final (objection period over) and about `matter`.
    function _requireFinal(uint256 proposalId, Art278.Matter matter) internal view {
        IOwnersGovernance.ProposalState current = _governance.state(proposalId);
        if (current != IOwnersGovernance.ProposalState.Final) revert FundProposalNotFinal(proposalId, current);
        Art278.Matter actual = _governance.proposalMatter(proposalId);
        if (actual != matter) revert FundWrongMatter(proposalId, matter, actual);
    }
}
