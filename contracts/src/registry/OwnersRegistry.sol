// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IOwnersRegistry} from "./IOwnersRegistry.sol";
import {AreaTrace} from "./AreaTrace.sol";

/**
 * @title OwnersRegistry
 * @dev The owners' registry of one community: units (exclusive parts) with their registered area, building
 * and owner address, and the Art. 278 totals (total area, total persons) of every voting scope.
 *
 * Every total is an OpenZeppelin {Checkpoints-Trace208} and every per-person area an {AreaTrace} (the same with
 * the latest checkpoint in a slot of its own, read by each vote), keyed by block number, so
 * a proposal that records block `n` keeps seeing the registry as it was at the end of block `n` while
 * ownership keeps changing (the vote is frozen). Every change is O(1) per scope: the person count moves only
 * when an address's area crosses zero.
 *
 * Scopes: scope 0 is the whole community. A building scope (a set of buildings, for matters that concern
 * only them) is declared with {defineScope}; the units already registered in those buildings are then
 * back-filled with {includeUnitsInScope}; once every one of them is included the scope is ready and is kept
 * up to date on every later change like scope 0. A building belongs to at most {MAX_SCOPES_PER_BUILDING}
 * scopes, which bounds the cost of a change.
 */
contract OwnersRegistry is IOwnersRegistry, AccessControl {
    using Checkpoints for Checkpoints.Trace208;
    using AreaTrace for AreaTrace.Trace;

    /// @dev May register units, transfer them, correct areas and define scopes.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @dev May lock area corrections (granted to the maintenance fund while it allocates by area).
    bytes32 public constant AREA_LOCKER_ROLE = keccak256("AREA_LOCKER_ROLE");
    /// @dev Bound on the scopes a building can belong to besides the community scope.
    uint256 public constant MAX_SCOPES_PER_BUILDING = 4;
    /// @dev The scope made of every unit of the community.
    uint32 public constant COMMUNITY_SCOPE = 0;

    struct Unit {
        address owner;
        uint48 area;
        uint32 building;
    }

    struct Scope {
        bool exists;
        uint32 pendingUnits;
    }

    mapping(uint32 unitId => Unit) private _units;
    uint32 private _unitCount;
    mapping(uint32 building => uint32) private _buildingUnitCount;
    mapping(uint32 building => uint32[]) private _buildingScopes;

    mapping(uint32 scopeId => Scope) private _scopes;
    mapping(uint32 scopeId => mapping(uint32 building => bool)) private _scopeHasBuilding;
    mapping(uint32 scopeId => mapping(uint32 unitId => bool)) private _unitInScope;
    uint32 private _scopeCount;

    mapping(uint32 scopeId => mapping(address person => AreaTrace.Trace)) private _areaOf;
    mapping(uint32 scopeId => Checkpoints.Trace208) private _totalArea;
    mapping(uint32 scopeId => Checkpoints.Trace208) private _totalPersons;

    uint256 private _areaLocks;

    /// @dev Emitted when a unit is registered.
    event UnitRegistered(uint32 indexed unitId, address indexed owner, uint32 indexed building, uint48 area);
    /// @dev Emitted when a unit changes owner (sale, inheritance, delivery by the developer).
    event UnitTransferred(uint32 indexed unitId, address indexed previousOwner, address indexed newOwner);
    /// @dev Emitted when a unit's registered area is corrected.
    event UnitAreaCorrected(uint32 indexed unitId, uint48 previousArea, uint48 newArea);
    /// @dev Emitted when a building scope is declared; `pendingUnits` must be included before it is ready.
    event ScopeDefined(uint32 indexed scopeId, uint32[] buildings, uint32 pendingUnits);
    /// @dev Emitted when existing units are back-filled into a scope.
    event UnitsIncludedInScope(uint32 indexed scopeId, uint32 count, uint32 pendingUnits);
    /// @dev Emitted when a scope counts every unit of its buildings and can carry proposals.
    event ScopeReady(uint32 indexed scopeId);
    /// @dev Emitted when area corrections are locked or unlocked; `locks` is the count after the change.
    event AreaLockChanged(uint256 locks);

    error RegistryLengthMismatch(uint256 expected, uint256 actual);
    error RegistryZeroOwner(uint256 index);
    error RegistryZeroArea(uint256 index);
    error RegistryUnknownUnit(uint32 unitId);
    error RegistrySameOwner(uint32 unitId, address owner);
    error RegistryUnknownScope(uint32 scopeId);
    error RegistryEmptyScope();
    error RegistryDuplicateBuilding(uint32 scopeId, uint32 building);
    error RegistryTooManyScopes(uint32 building, uint256 max);
    error RegistryUnitNotInScopeBuildings(uint32 scopeId, uint32 unitId);
    error RegistryUnitAlreadyInScope(uint32 scopeId, uint32 unitId);
    error RegistryAreasLocked(uint256 locks);
    error RegistryNotLocked();
    error RegistryFutureLookup(uint256 timepoint, uint48 clock);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------------- units

    /**
     * @notice Registers units in one batch; unit ids are assigned sequentially from `unitCount() + 1`.
     * @dev Emits {UnitRegistered} for each unit. Thousands of units register in a few transactions.
     * @return firstUnitId the id given to `owners[0]`.
     */
    function registerUnits(
        address[] calldata owners,
        uint48[] calldata areas,
        uint32[] calldata buildings
    ) external onlyRole(REGISTRAR_ROLE) returns (uint32 firstUnitId) {
        uint256 n = owners.length;
        if (areas.length != n) revert RegistryLengthMismatch(n, areas.length);
        if (buildings.length != n) revert RegistryLengthMismatch(n, buildings.length);
        firstUnitId = _unitCount + 1;
        uint32 unitId = _unitCount;
        for (uint256 i = 0; i < n; ++i) {
            address owner = owners[i];
            uint48 area = areas[i];
            uint32 building = buildings[i];
            if (owner == address(0)) revert RegistryZeroOwner(i);
            if (area == 0) revert RegistryZeroArea(i);
            unchecked {
                ++unitId;
            }
            _units[unitId] = Unit({owner: owner, area: area, building: building});
            _buildingUnitCount[building] += 1;
            _addArea(COMMUNITY_SCOPE, owner, area);
            uint32[] storage scopes = _buildingScopes[building];
            for (uint256 s = 0; s < scopes.length; ++s) {
                // A unit registered after its scope was declared is counted at once, never back-filled.
                _unitInScope[scopes[s]][unitId] = true;
                _addArea(scopes[s], owner, area);
            }
            emit UnitRegistered(unitId, owner, building, area);
        }
        _unitCount = unitId;
    }

    /**
     * @notice Moves units to new owners (sale, inheritance, delivery of a developer's unit to a buyer).
     * @dev Emits {UnitTransferred} for each unit. Running proposals keep their snapshot.
     */
    function transferUnits(uint32[] calldata unitIds, address[] calldata newOwners) external onlyRole(REGISTRAR_ROLE) {
        if (newOwners.length != unitIds.length) revert RegistryLengthMismatch(unitIds.length, newOwners.length);
        for (uint256 i = 0; i < unitIds.length; ++i) {
            uint32 unitId = unitIds[i];
            address newOwner = newOwners[i];
            Unit storage u = _existingUnit(unitId);
            address previousOwner = u.owner;
            if (newOwner == address(0)) revert RegistryZeroOwner(i);
            if (newOwner == previousOwner) revert RegistrySameOwner(unitId, newOwner);
            u.owner = newOwner;
            uint48 area = u.area;
            _subArea(COMMUNITY_SCOPE, previousOwner, area);
            _addArea(COMMUNITY_SCOPE, newOwner, area);
            uint32[] storage scopes = _buildingScopes[u.building];
            for (uint256 s = 0; s < scopes.length; ++s) {
                if (_unitInScope[scopes[s]][unitId]) {
                    _subArea(scopes[s], previousOwner, area);
                    _addArea(scopes[s], newOwner, area);
                }
            }
            emit UnitTransferred(unitId, previousOwner, newOwner);
        }
    }

    /**
     * @notice Corrects the registered area of a unit (e.g. after a survey).
     * @dev Emits {UnitAreaCorrected}. Reverts with {RegistryAreasLocked} while the fund allocates by area.
     */
    function correctUnitArea(uint32 unitId, uint48 newArea) external onlyRole(REGISTRAR_ROLE) {
        if (_areaLocks != 0) revert RegistryAreasLocked(_areaLocks);
        if (newArea == 0) revert RegistryZeroArea(0);
        Unit storage u = _existingUnit(unitId);
        uint48 previousArea = u.area;
        u.area = newArea;
        _moveArea(COMMUNITY_SCOPE, u.owner, previousArea, newArea);
        uint32[] storage scopes = _buildingScopes[u.building];
        for (uint256 s = 0; s < scopes.length; ++s) {
            if (_unitInScope[scopes[s]][unitId]) _moveArea(scopes[s], u.owner, previousArea, newArea);
        }
        emit UnitAreaCorrected(unitId, previousArea, newArea);
    }

    // ---------------------------------------------------------------------------------------------- scopes

    /**
     * @notice Declares a voting scope made of `buildings`.
     * @dev Emits {ScopeDefined}, and {ScopeReady} at once when those buildings have no unit yet.
     * @return scopeId the new scope's id (from 1).
     */
    function defineScope(uint32[] calldata buildings) external onlyRole(REGISTRAR_ROLE) returns (uint32 scopeId) {
        if (buildings.length == 0) revert RegistryEmptyScope();
        scopeId = ++_scopeCount;
        uint32 pending = 0;
        for (uint256 i = 0; i < buildings.length; ++i) {
            uint32 building = buildings[i];
            if (_scopeHasBuilding[scopeId][building]) revert RegistryDuplicateBuilding(scopeId, building);
            uint32[] storage scopes = _buildingScopes[building];
            if (scopes.length >= MAX_SCOPES_PER_BUILDING) revert RegistryTooManyScopes(building, MAX_SCOPES_PER_BUILDING);
            _scopeHasBuilding[scopeId][building] = true;
            scopes.push(scopeId);
            pending += _buildingUnitCount[building];
        }
        _scopes[scopeId] = Scope({exists: true, pendingUnits: pending});
        emit ScopeDefined(scopeId, buildings, pending);
        if (pending == 0) emit ScopeReady(scopeId);
    }

    /**
     * @notice Back-fills units registered before `scopeId` was declared.
     * @dev Emits {UnitsIncludedInScope}, and {ScopeReady} when the last pending unit is included.
     */
    function includeUnitsInScope(uint32 scopeId, uint32[] calldata unitIds) external onlyRole(REGISTRAR_ROLE) {
        Scope storage scope = _scopes[scopeId];
        if (!scope.exists) revert RegistryUnknownScope(scopeId);
        for (uint256 i = 0; i < unitIds.length; ++i) {
            uint32 unitId = unitIds[i];
            Unit storage u = _existingUnit(unitId);
            if (!_scopeHasBuilding[scopeId][u.building]) revert RegistryUnitNotInScopeBuildings(scopeId, unitId);
            if (_unitInScope[scopeId][unitId]) revert RegistryUnitAlreadyInScope(scopeId, unitId);
            _unitInScope[scopeId][unitId] = true;
            _addArea(scopeId, u.owner, u.area);
        }
        uint32 pending = scope.pendingUnits - uint32(unitIds.length);
        scope.pendingUnits = pending;
        emit UnitsIncludedInScope(scopeId, uint32(unitIds.length), pending);
        if (pending == 0) emit ScopeReady(scopeId);
    }

    // ------------------------------------------------------------------------------------------- area lock

    /**
     * @notice Locks area corrections; see {IOwnersRegistry-lockAreas}.
     * @dev Emits {AreaLockChanged}.
     */
    function lockAreas() external onlyRole(AREA_LOCKER_ROLE) {
        uint256 locks = ++_areaLocks;
        emit AreaLockChanged(locks);
    }

    /**
     * @notice Releases one area lock.
     * @dev Emits {AreaLockChanged}. Reverts with {RegistryNotLocked} if there is none.
     */
    function unlockAreas() external onlyRole(AREA_LOCKER_ROLE) {
        if (_areaLocks == 0) revert RegistryNotLocked();
        uint256 locks = --_areaLocks;
        emit AreaLockChanged(locks);
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @inheritdoc IOwnersRegistry
    function clock() public view returns (uint48) {
        return SafeCast.toUint48(block.number);
    }

    /// @dev ERC-6372 clock mode: timepoints are block numbers.
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=blocknumber&from=default";
    }

    /// @inheritdoc IOwnersRegistry
    function unitCount() external view returns (uint32) {
        return _unitCount;
    }

    /// @inheritdoc IOwnersRegistry
    function unit(uint32 unitId) external view returns (address owner, uint48 area, uint32 building) {
        Unit storage u = _existingUnit(unitId);
        return (u.owner, u.area, u.building);
    }

    /// @inheritdoc IOwnersRegistry
    function unitAreas(uint32[] calldata unitIds) external view returns (uint256[] memory areas) {
        areas = new uint256[](unitIds.length);
        for (uint256 i = 0; i < unitIds.length; ++i) {
            areas[i] = _existingUnit(unitIds[i]).area;
        }
    }

    /// @inheritdoc IOwnersRegistry
    function unitAreaRange(uint32 firstUnitId, uint32 count) external view returns (uint256[] memory areas) {
        areas = new uint256[](count);
        for (uint32 i = 0; i < count; ++i) {
            areas[i] = _existingUnit(firstUnitId + i).area;
        }
    }

    /// @dev Number of units registered in `building`.
    function buildingUnitCount(uint32 building) external view returns (uint32) {
        return _buildingUnitCount[building];
    }

    /// @dev Number of building scopes declared so far (ids 1..scopeCount).
    function scopeCount() external view returns (uint32) {
        return _scopeCount;
    }

    /// @dev Units of `scopeId`'s buildings still to be back-filled.
    function scopePendingUnits(uint32 scopeId) external view returns (uint32) {
        if (scopeId != COMMUNITY_SCOPE && !_scopes[scopeId].exists) revert RegistryUnknownScope(scopeId);
        return _scopes[scopeId].pendingUnits;
    }

    /// @dev Whether `unitId` is counted in `scopeId`.
    function isUnitInScope(uint32 scopeId, uint32 unitId) external view returns (bool) {
        return scopeId == COMMUNITY_SCOPE ? _units[unitId].owner != address(0) : _unitInScope[scopeId][unitId];
    }

    /// @inheritdoc IOwnersRegistry
    function scopeReady(uint32 scopeId) external view returns (bool) {
        if (scopeId == COMMUNITY_SCOPE) return true;
        Scope storage scope = _scopes[scopeId];
        return scope.exists && scope.pendingUnits == 0;
    }

    /// @dev Current area held by `person` in `scopeId`.
    function areaOf(uint32 scopeId, address person) external view returns (uint256) {
        return _areaOf[scopeId][person].latest();
    }

    /// @inheritdoc IOwnersRegistry
    function totals(uint32 scopeId) external view returns (uint256 area, uint256 persons) {
        return (_totalArea[scopeId].latest(), _totalPersons[scopeId].latest());
    }

    /// @inheritdoc IOwnersRegistry
    function areaAt(uint32 scopeId, address person, uint256 timepoint) external view returns (uint256) {
        return _areaOf[scopeId][person].upperLookupRecent(_pastTimepoint(timepoint));
    }

    /// @inheritdoc IOwnersRegistry
    function areasAt(
        uint32 scopeId,
        address[] calldata persons,
        uint256 timepoint
    ) external view returns (uint256[] memory areas) {
        uint48 key = _pastTimepoint(timepoint);
        mapping(address person => AreaTrace.Trace) storage held = _areaOf[scopeId];
        uint256 n = persons.length;
        areas = new uint256[](n);
        uint256 older; // persons whose latest change is after `key`: looked up in their history below
        // A vote batch asks for hundreds of persons: the common case (latest change at or before `key`, one
        // slot: AreaTrace's head) in assembly, without per-element bounds checks.
        assembly ("memory-safe") {
            mstore(0x20, held.slot)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(0x00, and(calldataload(add(persons.offset, shl(5, i))), 0xffffffffffffffffffffffffffffffffffffffff))
                let head := sload(keccak256(0x00, 0x40))
                let value := shr(48, head)
                if gt(and(head, 0xffffffffffff), key) {
                    value := not(0)
                    older := add(older, 1)
                }
                mstore(add(add(areas, 0x20), shl(5, i)), value)
            }
        }
        if (older != 0) {
            for (uint256 i = 0; i < n; ++i) {
                if (areas[i] == type(uint256).max) areas[i] = held[persons[i]].upperLookupRecent(key);
            }
        }
    }

    /// @inheritdoc IOwnersRegistry
    function totalsAt(uint32 scopeId, uint256 timepoint) external view returns (uint256 area, uint256 persons) {
        uint48 key = _pastTimepoint(timepoint);
        return (_totalArea[scopeId].upperLookupRecent(key), _totalPersons[scopeId].upperLookupRecent(key));
    }

    /// @dev Number of area locks held.
    function areaLocks() external view returns (uint256) {
        return _areaLocks;
    }

    // ------------------------------------------------------------------------------------------- internals

    function _existingUnit(uint32 unitId) private view returns (Unit storage u) {
        u = _units[unitId];
        if (u.owner == address(0)) revert RegistryUnknownUnit(unitId);
    }

    function _pastTimepoint(uint256 timepoint) private view returns (uint48) {
        uint48 current = clock();
        if (timepoint >= current) revert RegistryFutureLookup(timepoint, current);
        return uint48(timepoint);
    }

    function _addArea(uint32 scopeId, address person, uint256 area) private {
        uint48 now_ = clock();
        AreaTrace.Trace storage held = _areaOf[scopeId][person];
        uint256 before = held.latest();
        held.push(now_, uint208(before + area));
        _totalArea[scopeId].push(now_, _totalArea[scopeId].latest() + uint208(area));
        // A person is counted once, whatever the number of units they hold (SPC interpretation, Art. 9).
        if (before == 0) _totalPersons[scopeId].push(now_, _totalPersons[scopeId].latest() + 1);
    }

    function _subArea(uint32 scopeId, address person, uint256 area) private {
        uint48 now_ = clock();
        AreaTrace.Trace storage held = _areaOf[scopeId][person];
        uint256 remaining = held.latest() - area;
        held.push(now_, uint208(remaining));
        _totalArea[scopeId].push(now_, _totalArea[scopeId].latest() - uint208(area));
        if (remaining == 0) _totalPersons[scopeId].push(now_, _totalPersons[scopeId].latest() - 1);
    }

    function _moveArea(uint32 scopeId, address person, uint256 previousArea, uint256 newArea) private {
        uint48 now_ = clock();
        AreaTrace.Trace storage held = _areaOf[scopeId][person];
        held.push(now_, uint208(held.latest() - previousArea + newArea));
        _totalArea[scopeId].push(now_, uint208(_totalArea[scopeId].latest() - previousArea + newArea));
    }
}
