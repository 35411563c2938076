"""Apportionment of an amount (fen) by registered area (hundredths of m²), exactly as the contracts do it.

This module is pure (no I/O) so that the same numbers can be previewed before a vote, shown in a proposal's
"share a unit would bear", written into the database mirror and compared with the chain.

Disbursements — largest remainder, identical to ``contracts/src/fund/Apportionment.sol``
(``MaintenanceFund.disburse`` / ``emergencyDisburse``): item ``i`` gets ``floor(A*w_i/W)``, then the
``r = A - sum(floors)`` fen left over go one each to the ``r`` items with the largest remainders
``A*w_i mod W``, equal remainders in ascending chain unit id (:func:`split`).

* The shares add up to ``A``: no fen is created or lost.
* Each share is the floor or the ceiling of its exact quota ``A*w_i/W`` (``|share - quota| < 1``).
* A larger share never pays less: ``w_i > w_j`` implies ``share_i >= share_j`` (the earlier cumulative
  rounding charged [0, 1] fen for [200, 100] m² sharing 1 fen; this charges [1, 0]).

Interest allocation rounds — floors only, identical to ``MaintenanceFund.continueAllocation`` (which runs
in chunks and cannot rank remainders across them): every unit gets ``floor(A*w_i/W)`` and the fen left
over (fewer than the number of units) stay in the pool for the next round (:func:`allocation_floors`).
Monotone too.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Share", "allocate_by_area", "allocation_floors", "apportion", "revenue_split", "split"]

K = TypeVar("K", bound=Hashable)

#: Basis points in a whole (the revenue ratio's unit).
BPS = 10_000


def _check(amount: int, weights: Sequence[int]) -> int:
    """The total weight, after checking the inputs (``ValueError`` naming what is wrong)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("amount must be a non-negative integer (fen)")
    total = 0
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise ValueError("weights must be non-negative integers")
        total += w
    if total <= 0:
        raise ValueError("the total weight must be positive")
    return total


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """Shares of ``amount`` by ``weights`` in the given order (largest remainder, equal remainders to the
    earlier item — callers pass ascending chain unit ids).

    ``amount`` and every weight must be non-negative integers and the total weight positive; raises
    ``ValueError`` otherwise. ``sum(result) == amount`` always.
    """
    total = _check(amount, weights)
    shares = [amount * w // total for w in weights]
    left = amount - sum(shares)
    if left:
        ranked = sorted(range(len(shares)), key=lambda i: (-(amount * weights[i] % total), i))
        for i in ranked[:left]:
            shares[i] += 1
    return shares


def allocation_floors(amount: int, weights: Sequence[int]) -> tuple[list[int], int]:
    """An interest allocation round: ``(floor(amount*w_i/W) for each weight, fen carried to the pool)``."""
    total = _check(amount, weights)
    shares = [amount * w // total for w in weights]
    return shares, amount - sum(shares)


@dataclass(frozen=True)
class Share:
    """One unit's part of an apportioned amount."""

    key: Hashable
    #: Position of the unit on chain (ascending order of the split).
    chain_unit_id: int
    area: int
    share: int


def _ordered(units: Sequence[tuple[K, int, int]]) -> list[tuple[K, int, int]]:
    ordered = sorted(units, key=lambda u: u[1])
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a[1] == b[1]:
            raise ValueError(f"chain unit id {a[1]} appears twice")
    return ordered


def apportion(amount: int, units: Sequence[tuple[K, int, int]]) -> list[Share]:
    """Apportion ``amount`` over ``units`` given as ``(key, chain_unit_id, area)`` (:func:`split`).

    Units are ordered by ascending ``chain_unit_id`` (the order ``MaintenanceFund`` requires and uses, and
    the tie-break of equal remainders); duplicate chain unit ids are refused. Returns one :class:`Share`
    per unit in that order.
    """
    ordered = _ordered(units)
    shares = split(amount, [u[2] for u in ordered])
    return [Share(key=u[0], chain_unit_id=u[1], area=u[2], share=s) for u, s in zip(ordered, shares, strict=True)]


def allocate_by_area(amount: int, units: Sequence[tuple[K, int, int]]) -> tuple[list[Share], int]:
    """An interest allocation round over ``units`` ``(key, chain_unit_id, area)`` in chain unit id order
    (:func:`allocation_floors`): the shares and the fen carried to the pool."""
    ordered = _ordered(units)
    shares, carried = allocation_floors(amount, [u[2] for u in ordered])
    return [Share(key=u[0], chain_unit_id=u[1], area=u[2], share=s) for u, s in zip(ordered, shares, strict=True)], carried


def revenue_split(amount: int, fund_bps: int) -> tuple[int, int]:
    """Split a public revenue receipt as ``PublicRevenueAccount.receiveRevenue``: ``(to_fund, to_welfare)``.

    ``to_fund = floor(amount * fund_bps / 10000)``; the welfare account gets the rest.
    """
    if amount < 0 or not 0 <= fund_bps <= BPS:
        raise ValueError("amount must be non-negative and fund_bps within 0..10000")
    to_fund = amount * fund_bps // BPS
    return to_fund, amount - to_fund
