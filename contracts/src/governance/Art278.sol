// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Art278
 * @dev The decision rules of Civil Code Art. 278 in integer arithmetic.
 *
 * Participation: owners holding at least 2/3 of the area AND at least 2/3 of the persons take part.
 * Passing, matters 6-8 (raise the fund, rebuild, change the use of common parts): at least 3/4 of the
 * participating area AND persons agree. Passing, other matters: more than 1/2 of the participating area AND
 * persons agree. "At least" (以上) includes the bound, "more than half" (过半数) excludes it (Art. 1259).
 * Abstentions participate but do not agree.
 */
library Art278 {
    /// @dev The nine matters of Art. 278, in the order of the article (item n is `Matter(n - 1)`).
    enum Matter {
        RulesOfProcedure, // 1. rules of procedure of the owners' assembly
        ManagementCovenant, // 2. management covenant
        OwnersCommittee, // 3. electing or replacing the owners' committee
        PropertyFirm, // 4. hiring or dismissing the property firm
        UseFund, // 5. using the maintenance fund
        RaiseFund, // 6. raising the maintenance fund
        Rebuild, // 7. rebuilding or reconstructing buildings and facilities
        ChangeCommonUse, // 8. changing the use of common parts or using them for business
        Other // 9. other major matters
    }

    /// @dev Whether `matter` needs the 3/4 super-majority (items 6-8).
    function needsSuperMajority(Matter matter) internal pure returns (bool) {
        return matter == Matter.RaiseFund || matter == Matter.Rebuild || matter == Matter.ChangeCommonUse;
    }

    /// @dev Quorum: 3*partArea >= 2*totalArea AND 3*partPersons >= 2*totalPersons.
    function quorumReached(
        uint256 partArea,
        uint256 partPersons,
        uint256 totalArea,
        uint256 totalPersons
    ) internal pure returns (bool) {
        return 3 * partArea >= 2 * totalArea && 3 * partPersons >= 2 * totalPersons;
    }

    /// @dev Consent among participants for `matter`.
    function passed(
        Matter matter,
        uint256 forArea,
        uint256 forPersons,
        uint256 partArea,
        uint256 partPersons
    ) internal pure returns (bool) {
        if (needsSuperMajority(matter)) {
            return 4 * forArea >= 3 * partArea && 4 * forPersons >= 3 * partPersons;
        }
        return 2 * forArea > partArea && 2 * forPersons > partPersons;
    }
}
