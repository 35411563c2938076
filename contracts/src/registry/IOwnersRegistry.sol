// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev Read interface of {OwnersRegistry} used by the governance and fund contracts.
 *
 * Areas are integer hundredths of a square metre. A "person" is an address holding a positive area in a
 * scope (SPC interpretation on building ownership, Art. 9): one address per buyer, one per co-owned unit,
 * one for all of the developer's unsold units. Timepoints are block numbers (ERC-6372 "blocknumber" mode).
 */
interface IOwnersRegistry {
    /// @dev Current block number, the registry's clock.
    function clock() external view returns (uint48);

    /// @dev Number of units ever registered; unit ids run from 1 to this value.
    function unitCount() external view returns (uint32);

    /// @dev Owner (voter address), registered area and building of `unitId`.
    function unit(uint32 unitId) external view returns (address owner, uint48 area, uint32 building);

    /// @dev Current registered areas of `unitIds`, in the same order.
    function unitAreas(uint32[] calldata unitIds) external view returns (uint256[] memory areas);

    /// @dev Current registered areas of the `count` units starting at `firstUnitId`.
    function unitAreaRange(uint32 firstUnitId, uint32 count) external view returns (uint256[] memory areas);

    /// @dev Current total area and total persons of `scopeId`.
    function totals(uint32 scopeId) external view returns (uint256 area, uint256 persons);

    /// @dev Whether `scopeId` exists and counts every unit of its buildings (scope 0, the community, always does).
    function scopeReady(uint32 scopeId) external view returns (bool);

    /// @dev Area held by `person` in `scopeId` at the end of block `timepoint` (must be in the past).
    function areaAt(uint32 scopeId, address person, uint256 timepoint) external view returns (uint256);

    /// @dev {areaAt} of each of `persons`, in the same order (one call for a batch of ballots).
    function areasAt(uint32 scopeId, address[] calldata persons, uint256 timepoint) external view returns (uint256[] memory);

    /// @dev Total area and total persons of `scopeId` at the end of block `timepoint` (must be in the past).
    function totalsAt(uint32 scopeId, uint256 timepoint) external view returns (uint256 area, uint256 persons);

    /// @dev Prevents area corrections until the matching {unlockAreas}; used while the fund allocates by area.
    function lockAreas() external;

    /// @dev Releases one {lockAreas}.
    function unlockAreas() external;
}
