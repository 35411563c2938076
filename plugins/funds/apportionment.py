"""Apportionment of an amount (fen) by registered area (hundredths of m²), exactly as the contracts do it.

This module is pure (no I/O) so that the same numbers can be previewed before a vote, shown in a proposal's
"share a unit would bear", written into the database mirror and compared with the chain.

Method — cumulative rounding, identical to ``contracts/src/fund/Apportionment.sol`` and to
``MaintenanceFund.continueAllocation``: with ``W_i`` the running sum of the weights up to and including item
``i`` and ``W`` their total, item ``i`` receives ``floor(A*W_i/W) - floor(A*W_{i-1}/W)``.

* The shares telescope to ``floor(A*W/W) = A``: no fen is created or lost.
* Each share is the floor or the ceiling of its exact quota ``A*w_i/W`` (``|share - quota| < 1``).
* The result depends on the order of the items; the contracts require ascending chain unit ids, so callers
  pass the units in that order (:func:`apportion` sorts by the key it is given).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Share", "apportion", "revenue_split", "split"]

K = TypeVar("K", bound=Hashable)

#: Basis points in a whole (the revenue ratio's unit).
BPS = 10_000


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """Shares of ``amount`` by ``weights`` in the given order (cumulative rounding).

    ``amount`` and every weight must be non-negative integers and the total weight positive; raises
    ``ValueError`` otherwise. ``sum(result) == amount`` always.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("amount must be a non-negative integer (fen)")
    total = 0
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise ValueError("weights must be non-negative integers")
        total += w
    if total <= 0:
        raise ValueError("the total weight must be positive")
    shares: list[int] = []
    cum = 0
    allocated = 0
    for w in weights:
        cum += w
        up_to = amount * cum // total
        shares.append(up_to - allocated)
        allocated = up_to
    return shares


@dataclass(frozen=True)
class Share:
    """One unit's part of an apportioned amount."""

    key: Hashable
    #: Position of the unit on chain (ascending order of the split).
    chain_unit_id: int
    area: int
    share: int


def apportion(amount: int, units: Sequence[tuple[K, int, int]]) -> list[Share]:
    """Apportion ``amount`` over ``units`` given as ``(key, chain_unit_id, area)``.

    Units are ordered by ascending ``chain_unit_id`` (the order ``MaintenanceFund`` requires and uses);
    duplicate chain unit ids are refused. Returns one :class:`Share` per unit in that order.
    """
    ordered = sorted(units, key=lambda u: u[1])
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a[1] == b[1]:
            raise ValueError(f"chain unit id {a[1]} appears twice")
    shares = split(amount, [u[2] for u in ordered])
    return [Share(key=u[0], chain_unit_id=u[1], area=u[2], share=s) for u, s in zip(ordered, shares, strict=True)]


def revenue_split(amount: int, fund_bps: int) -> tuple[int, int]:
    """Split a public revenue receipt as ``PublicRevenueAccount.receiveRevenue``: ``(to_fund, to_welfare)``.

    ``to_fund = floor(amount * fund_bps / 10000)``; the welfare account gets the rest.
    """
    if amount < 0 or not 0 <= fund_bps <= BPS:
        raise ValueError("amount must be non-negative and fund_bps within 0..10000")
    to_fund = amount * fund_bps // BPS
    return to_fund, amount - to_fund
