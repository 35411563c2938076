"""Independent pure-Python reference model of the Art. 278 rules and the fund's apportionment.

Written from DOMAIN.md, not from the contracts: exact rational arithmetic (fractions) for the thresholds,
and the apportionment (largest remainder; floors for interest rounds) computed from exact quotas.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

SUPER_MAJORITY_MATTERS = {6, 7, 8}  # raise the fund, rebuild, change the use of common parts (1-based items)


@dataclass(frozen=True)
class Unit:
    owner: str
    area: int
    building: int


def persons_and_area(units: list[Unit], buildings: set[int] | None = None) -> tuple[dict[str, int], int]:
    """Area per person (one person per address, SPC Art. 9) and the total area, within ``buildings``."""
    held: dict[str, int] = {}
    for u in units:
        if buildings is None or u.building in buildings:
            held[u.owner] = held.get(u.owner, 0) + u.area
    held = {k: v for k, v in held.items() if v > 0}
    return held, sum(held.values())


def outcome(item: int, held: dict[str, int], votes: dict[str, int]) -> str:
    """Art. 278 outcome for matter ``item`` (1-9); votes: 0 against, 1 for, 2 abstain."""
    total_area = sum(held.values())
    total_persons = len(held)
    voters = [v for v in votes if held.get(v, 0) > 0]
    part_area = sum(held[v] for v in voters)
    part_persons = len(voters)
    for_area = sum(held[v] for v in voters if votes[v] == 1)
    for_persons = sum(1 for v in voters if votes[v] == 1)
    if Fraction(part_area, total_area) < Fraction(2, 3) or Fraction(part_persons, total_persons) < Fraction(2, 3):
        return "DefeatedNoQuorum"
    if item in SUPER_MAJORITY_MATTERS:
        ok = Fraction(for_area, part_area) >= Fraction(3, 4) and Fraction(for_persons, part_persons) >= Fraction(3, 4)
    else:
        ok = Fraction(for_area, part_area) > Fraction(1, 2) and Fraction(for_persons, part_persons) > Fraction(1, 2)
    return "Succeeded" if ok else "Defeated"


def apportion(amount: int, weights: list[int]) -> list[int]:
    """Shares of ``amount`` by ``weights``, largest remainder (Hamilton): every item gets the whole part of
    its exact quota, then the fen left over go one each to the largest fractional parts, equal parts to the
    earlier item (the lower unit id). A larger weight never gets less than a smaller one."""
    total = sum(weights)
    quotas = [Fraction(amount * w, total) for w in weights]
    shares = [int(q) for q in quotas]  # floor of a non-negative fraction
    left = amount - sum(shares)
    ranked = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in ranked[:left]:
        shares[i] += 1
    return shares


def allocation_floors(amount: int, weights: list[int]) -> tuple[list[int], int]:
    """An interest allocation round: the whole part of each exact quota, and the fen left for the pool."""
    total = sum(weights)
    shares = [int(Fraction(amount * w, total)) for w in weights]
    return shares, amount - sum(shares)
