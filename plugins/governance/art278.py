"""Civil Code Art. 278 para. 2 in integer arithmetic — the reference the contract's outcome is checked against.

* participation: at least 2/3 of the scope's area **and** of its persons take part ("以上" includes the bound);
* items 6–8 (raise the fund, rebuild, change of common parts' use) pass with at least 3/4 of the
  participating area and persons; every other item with more than half ("过半数" excludes the bound);
* an abstention participates and does not agree.
"""

from __future__ import annotations

SUPER_MAJORITY_MATTERS = frozenset({"RAISE_FUND", "REBUILD", "COMMON_PARTS_CHANGE"})


def participation_reached(total_area: int, total_persons: int, part_area: int, part_persons: int) -> bool:
    """At least two thirds of the area and of the persons took part."""
    return 3 * part_area >= 2 * total_area and 3 * part_persons >= 2 * total_persons


def outcome(
    matter: str,
    total_area: int,
    total_persons: int,
    for_area: int,
    against_area: int,
    abstain_area: int,
    for_persons: int,
    against_persons: int,
    abstain_persons: int,
) -> str:
    """``DefeatedNoQuorum``, ``Defeated`` or ``Succeeded``."""
    part_area = for_area + against_area + abstain_area
    part_persons = for_persons + against_persons + abstain_persons
    if not participation_reached(total_area, total_persons, part_area, part_persons):
        return "DefeatedNoQuorum"
    if matter in SUPER_MAJORITY_MATTERS:
        ok = 4 * for_area >= 3 * part_area and 4 * for_persons >= 3 * part_persons
    else:
        ok = 2 * for_area > part_area and 2 * for_persons > part_persons
    return "Succeeded" if ok else "Defeated"
