// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IOwnersRegistry} from "../registry/IOwnersRegistry.sol";
import {IOwnersGovernance} from "../governance/IOwnersGovernance.sol";
import {Art278} from "../governance/Art278.sol";
import {FundBase} from "./FundBase.sol";
import {PublicRevenueAccount} from "./PublicRevenueAccount.sol";
import {Apportionment} from "./Apportionment.sol";

/**
 * @title MaintenanceFund
 * @dev The housing special maintenance fund (住宅专项维修资金, Civil Code Art. 281) of one community as a
 * ledger of the money held in the owners' bank account, in integer fen, with one sub-ledger (分户账) per
 * unit of the {OwnersRegistry}.
 *
 * - Deposits carry the hash of the bank reference; the first deposit of each unit is recorded, and a unit
 *   whose balance falls below 30% of it is flagged with {TopUpRequired}.
 * - Interest and the fund's share of public revenue enter an unallocated pool, then an allocation round
 *   credits the pool to every unit by registered area ({startAllocation}, {continueAllocation}; chunked
 *   so that 5,000 units fit in block gas limits). Each unit gets the floor of its exact quota, so a larger
 *   unit never gets less than a smaller one; the fen left over (fewer than the number of units) return to
 *   the pool for the next round. Area corrections are locked in the registry meanwhile.
 * - A disbursement is allowed only against a Final proposal on matter 5 (use of the fund), apportioned to
 *   the units concerned by area ({Apportionment}: largest remainder, exact to the fen, a larger unit never
 *   pays less); the committee's emergency use (Art. 281 para. 2) needs a disclosure hash.
 * - A sub-ledger stays with its unit; on sale {transferSubLedger} records the new holder.
 *
 * Invariant: `subLedgerTotal() + unallocated() == fundBalance()`, both sides maintained independently; when
 * no interest or revenue awaits allocation, the sum of the sub-ledgers equals the fund balance.
 */
contract MaintenanceFund is PublicRevenueAccount {
    struct SubLedger {
        address holder;
        uint48 balance;
        uint48 firstDeposit;
    }

    struct AllocationRound {
        uint256 amount;
        uint256 totalArea;
        uint256 cumArea;
        uint256 allocated;
        uint32 unitCount;
        uint32 nextUnit;
        bool active;
    }

    mapping(uint32 unitId => SubLedger) private _ledgers;
    uint256 private _fundBalance;
    uint256 private _subLedgerTotal;
    uint256 private _pool;
    uint256 private _roundCount;
    AllocationRound private _round;
    uint256 private _emergencyCount;

    /// @dev Emitted for each deposit into a unit's sub-ledger.
    event Deposited(uint32 indexed unitId, bytes32 indexed bankRef, uint256 amount, uint256 balance);
    /// @dev Emitted with a unit's first deposit, the base of the 30% top-up rule.
    event FirstDepositRecorded(uint32 indexed unitId, address indexed holder, uint256 amount);
    /// @dev Emitted when a unit's balance falls below 30% of its first deposit: the owner must top it up.
    event TopUpRequired(uint32 indexed unitId, address indexed holder, uint256 balance, uint256 firstDeposit);
    /// @dev Emitted when bank interest is recorded into the unallocated pool.
    event InterestRecorded(bytes32 indexed bankRef, uint256 amount);
    /// @dev Emitted when an allocation round takes the whole pool.
    event AllocationStarted(uint256 indexed roundId, uint256 amount, uint256 totalArea, uint32 unitCount);
    /// @dev Emitted for each unit credited by an allocation round.
    event SubLedgerCredited(uint32 indexed unitId, uint256 indexed roundId, uint256 amount, uint256 balance);
    /// @dev Emitted when every unit of the round has been credited: `amount` was taken from the pool,
    /// `carried` (the fen left after every unit's floor) went back to it for the next round.
    event AllocationCompleted(uint256 indexed roundId, uint256 amount, uint256 carried);
    /// @dev Emitted for each unit's share of a disbursement; `authority` is the proposal id or the emergency id.
    event SubLedgerDebited(uint32 indexed unitId, uint256 indexed authority, uint256 amount, uint256 balance);
    /// @dev Emitted when a disbursement voted in `proposalId` is paid.
    event FundDisbursed(uint256 indexed proposalId, uint256 amount, uint256 unitCount, bytes32 payeeRef);
    /// @dev Mandatory disclosure of an emergency use by the committee.
    event EmergencyDisbursed(
        uint256 indexed emergencyId,
        address indexed committee,
        uint256 amount,
        uint256 unitCount,
        bytes32 payeeRef,
        bytes32 disclosureHash
    );
    /// @dev Emitted when a sub-ledger follows its unit to a new owner.
    event SubLedgerTransferred(
        uint32 indexed unitId,
        address indexed previousHolder,
        address indexed newHolder,
        uint256 balance,
        bytes32 deedRef
    );

    error FundLengthMismatch(uint256 expected, uint256 actual);
    error FundNoUnits();
    error FundUnitsNotAscending(uint256 index, uint32 unitId);
    error FundInsufficientUnitBalance(uint32 unitId, uint256 balance, uint256 share);
    error FundAllocationInProgress(uint256 roundId);
    error FundNoAllocationInProgress();
    error FundNothingToAllocate();
    error FundZeroTotalArea();
    error FundSubLedgerHolderUnchanged(uint32 unitId, address holder);

    constructor(
        address admin,
        IOwnersRegistry registry_,
        IOwnersGovernance governance_
    ) FundBase(admin, registry_, governance_) {}

    // -------------------------------------------------------------------------------------------- deposits

    /**
     * @notice Records deposits into units' sub-ledgers, one bank reference hash each.
     * @dev Emits {Deposited} per deposit, and {FirstDepositRecorded} for a unit's first one. TREASURER_ROLE.
     */
    function deposit(
        uint32[] calldata unitIds,
        uint256[] calldata amounts,
        bytes32[] calldata bankRefs
    ) external onlyRole(TREASURER_ROLE) {
        uint256 n = unitIds.length;
        if (amounts.length != n) revert FundLengthMismatch(n, amounts.length);
        if (bankRefs.length != n) revert FundLengthMismatch(n, bankRefs.length);
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint32 unitId = unitIds[i];
            uint256 amount = amounts[i];
            if (amount == 0) revert FundZeroAmount();
            SubLedger storage ledger = _ledgers[unitId];
            if (ledger.firstDeposit == 0) {
                // Also checks that the unit exists: the registry reverts for an unknown unit.
                (address owner, , ) = _registry.unit(unitId);
                ledger.holder = owner;
                ledger.firstDeposit = SafeCast.toUint48(amount);
                emit FirstDepositRecorded(unitId, owner, amount);
            }
            uint48 balance = SafeCast.toUint48(ledger.balance + amount);
            ledger.balance = balance;
            total += amount;
            emit Deposited(unitId, bankRefs[i], amount, balance);
        }
        _fundBalance += total;
        _subLedgerTotal += total;
    }

    /**
     * @notice Records bank interest earned by the fund; it waits in the pool for the next allocation round.
     * @dev Emits {InterestRecorded}. TREASURER_ROLE.
     */
    function recordInterest(uint256 amount, bytes32 bankRef) external onlyRole(TREASURER_ROLE) {
        if (amount == 0) revert FundZeroAmount();
        _creditFundPool(amount);
        emit InterestRecorded(bankRef, amount);
    }

    // ---------------------------------------------------------------------------------- allocation by area

    /**
     * @notice Starts crediting the whole unallocated pool to every registered unit by area.
     * @dev Emits {AllocationStarted}; locks area corrections in the registry until the round completes.
     * TREASURER_ROLE.
     */
    function startAllocation() external onlyRole(TREASURER_ROLE) returns (uint256 roundId) {
        if (_round.active) revert FundAllocationInProgress(_roundCount);
        uint256 amount = _pool;
        if (amount == 0) revert FundNothingToAllocate();
        (uint256 totalArea, ) = _registry.totals(0);
        if (totalArea == 0) revert FundZeroTotalArea();
        uint32 unitCount = _registry.unitCount();
        roundId = ++_roundCount;
        _pool = 0;
        _round = AllocationRound({
            amount: amount,
            totalArea: totalArea,
            cumArea: 0,
            allocated: 0,
            unitCount: unitCount,
            nextUnit: 1,
            active: true
        });
        emit AllocationStarted(roundId, amount, totalArea, unitCount);
        // Interaction last: areas must not move until the round has visited every unit.
        _registry.lockAreas();
    }

    /**
     * @notice Credits the next `maxUnits` units of the running round (in unit id order), each the floor of
     * `amount * area / totalArea`. Anyone may call.
     * @dev Emits {SubLedgerCredited} per credited unit and {AllocationCompleted} after the last unit, when
     * the fen left over return to the pool.
     * @return remaining units still to visit.
     */
    function continueAllocation(uint32 maxUnits) external returns (uint32 remaining) {
        AllocationRound storage round = _round;
        if (!round.active) revert FundNoAllocationInProgress();
        uint32 first = round.nextUnit;
        uint32 count = round.unitCount - first + 1;
        if (maxUnits < count) count = maxUnits;
        uint256[] memory areas = _registry.unitAreaRange(first, count);
        uint256 amount = round.amount;
        uint256 totalArea = round.totalArea;
        uint256 cumArea = round.cumArea;
        uint256 allocated = round.allocated;
        uint256 roundId = _roundCount;
        for (uint32 i = 0; i < count; ++i) {
            cumArea += areas[i];
            uint256 share = (amount * areas[i]) / totalArea;
            allocated += share;
            if (share != 0) {
                uint32 unitId = first + i;
                SubLedger storage ledger = _ledgers[unitId];
                uint48 balance = SafeCast.toUint48(ledger.balance + share);
                ledger.balance = balance;
                emit SubLedgerCredited(unitId, roundId, share, balance);
            }
        }
        uint256 creditedNow = allocated - round.allocated;
        _subLedgerTotal += creditedNow;
        round.cumArea = cumArea;
        round.allocated = allocated;
        round.nextUnit = first + count;
        remaining = round.unitCount - (first + count - 1);
        if (remaining == 0) {
            // cumArea == totalArea here (areas were locked), so amount - allocated < unitCount: the rest
            // goes back to the pool (still in fundBalance), nothing created or lost.
            uint256 carried = amount - allocated;
            _pool += carried;
            round.active = false;
            emit AllocationCompleted(roundId, amount, carried);
            _registry.unlockAreas();
        }
    }

    // ------------------------------------------------------------------------------------------ disbursing

    /**
     * @notice Pays `amount` for the repair voted in `proposalId` (Final, matter 5: use of the fund),
     * apportioned to `unitIds` (ascending) by registered area.
     * @dev Emits {SubLedgerDebited} per unit, {TopUpRequired} where a unit falls below 30% of its first
     * deposit, and {FundDisbursed}; marks the proposal Executed, so it pays once. TREASURER_ROLE.
     */
    function disburse(
        uint256 proposalId,
        uint32[] calldata unitIds,
        uint256 amount,
        bytes32 payeeRef
    ) external onlyRole(TREASURER_ROLE) {
        _requireFinal(proposalId, Art278.Matter.UseFund);
        _debitByArea(unitIds, amount, proposalId);
        emit FundDisbursed(proposalId, amount, unitIds.length, payeeRef);
        // Interaction last (checks-effects-interactions): the fund is debited before governance is called.
        _governance.markExecuted(proposalId);
    }

    /**
     * @notice Emergency use of the fund by the owners' committee where safety is endangered (Art. 281 para. 2),
     * apportioned to `unitIds` (ascending) by area.
     * @dev Emits {SubLedgerDebited} per unit and the mandatory disclosure {EmergencyDisbursed};
     * `disclosureHash` must not be zero. COMMITTEE_ROLE.
     */
    function emergencyDisburse(
        uint32[] calldata unitIds,
        uint256 amount,
        bytes32 payeeRef,
        bytes32 disclosureHash
    ) external onlyRole(COMMITTEE_ROLE) returns (uint256 emergencyId) {
        if (disclosureHash == bytes32(0)) revert FundDisclosureRequired();
        emergencyId = ++_emergencyCount;
        _debitByArea(unitIds, amount, emergencyId);
        emit EmergencyDisbursed(emergencyId, msg.sender, amount, unitIds.length, payeeRef, disclosureHash);
    }

    /**
     * @notice Records that a unit's sub-ledger now belongs to the unit's new owner in the registry.
     * @dev Emits {SubLedgerTransferred}. TREASURER_ROLE.
     */
    function transferSubLedger(uint32 unitId, bytes32 deedRef) external onlyRole(TREASURER_ROLE) {
        (address owner, , ) = _registry.unit(unitId);
        SubLedger storage ledger = _ledgers[unitId];
        address previous = ledger.holder;
        if (owner == previous) revert FundSubLedgerHolderUnchanged(unitId, previous);
        ledger.holder = owner;
        emit SubLedgerTransferred(unitId, previous, owner, ledger.balance, deedRef);
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @dev A unit's sub-ledger: holder, balance and first deposit, in fen.
    function subLedger(uint32 unitId) external view returns (SubLedger memory) {
        return _ledgers[unitId];
    }

    /// @dev Balances of `unitIds`, in order.
    function balancesOf(uint32[] calldata unitIds) external view returns (uint256[] memory balances) {
        balances = new uint256[](unitIds.length);
        for (uint256 i = 0; i < unitIds.length; ++i) balances[i] = _ledgers[unitIds[i]].balance;
    }

    /// @dev Whether `unitId` is below 30% of its first deposit.
    function needsTopUp(uint32 unitId) external view returns (bool) {
        SubLedger storage ledger = _ledgers[unitId];
        return _belowTopUpLine(ledger.balance, ledger.firstDeposit);
    }

    /// @dev Money the fund holds, in fen: deposits + interest + revenue share - disbursements.
    function fundBalance() external view returns (uint256) {
        return _fundBalance;
    }

    /// @dev Sum of all sub-ledger balances, maintained on every change.
    function subLedgerTotal() external view returns (uint256) {
        return _subLedgerTotal;
    }

    /// @dev Interest and revenue not yet credited to sub-ledgers (pool plus the rest of a running round).
    function unallocated() public view returns (uint256) {
        AllocationRound storage round = _round;
        return _pool + (round.active ? round.amount - round.allocated : 0);
    }

    /// @dev `subLedgerTotal() + unallocated() == fundBalance()`.
    function ledgerBalanced() external view returns (bool) {
        return _subLedgerTotal + unallocated() == _fundBalance;
    }

    /// @dev The current (or last) allocation round and its id.
    function allocationRound() external view returns (uint256 roundId, AllocationRound memory round) {
        return (_roundCount, _round);
    }

    // ------------------------------------------------------------------------------------------- internals

    function _creditFundPool(uint256 amount) internal override {
        _pool += amount;
        _fundBalance += amount;
    }

    function _debitByArea(uint32[] calldata unitIds, uint256 amount, uint256 authority) private {
        uint256 n = unitIds.length;
        if (amount == 0) revert FundZeroAmount();
        if (n == 0) revert FundNoUnits();
        for (uint256 i = 1; i < n; ++i) {
            if (unitIds[i] <= unitIds[i - 1]) revert FundUnitsNotAscending(i, unitIds[i]);
        }
        uint256[] memory shares = Apportionment.split(amount, _registry.unitAreas(unitIds));
        for (uint256 i = 0; i < n; ++i) {
            uint32 unitId = unitIds[i];
            uint256 share = shares[i];
            SubLedger storage ledger = _ledgers[unitId];
            uint256 balance = ledger.balance;
            if (share > balance) revert FundInsufficientUnitBalance(unitId, balance, share);
            balance -= share;
            ledger.balance = uint48(balance);
            emit SubLedgerDebited(unitId, authority, share, balance);
            if (_belowTopUpLine(balance, ledger.firstDeposit)) {
                emit TopUpRequired(unitId, ledger.holder, balance, ledger.firstDeposit);
            }
        }
        _fundBalance -= amount;
        _subLedgerTotal -= amount;
    }

    function _belowTopUpLine(uint256 balance, uint256 firstDeposit) private pure returns (bool) {
        // balance < 30% of the first deposit, without division.
        return 10 * balance < 3 * firstDeposit;
    }
}
