"""The apportionment by area against an independent reference model (no database).

The reference recomputes largest remainder (Hamilton's method) from exact ``Fraction`` quotas, ranking
the fractional parts, equal parts to the earlier item: :func:`split` (integer arithmetic, as the contract
computes it) must agree share by share, add up to the amount, give each unit the floor or the ceiling of
its quota, and never charge a larger share less than a smaller one (the monotonicity the cumulative
rounding it replaces broke: [200, 100] m² sharing 1 fen paid [0, 1]). Allocation rounds (interest) credit
floors only: checked against ``Fraction`` floors.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.funds.apportionment import (
    allocate_by_area,
    allocation_floors,
    apportion,
    revenue_split,
    split,
)

amounts = st.integers(min_value=0, max_value=10**12)
areas = st.lists(st.integers(min_value=0, max_value=5_000_00), min_size=1, max_size=60).filter(lambda w: sum(w) > 0)
# Small amounts over many units: most of the money is in the left-over fen, where rounding rules differ.
small_amounts = st.integers(min_value=0, max_value=200)
close_areas = st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=40).filter(lambda w: sum(w) > 0)


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """Hamilton's method from exact quotas: floors, then one fen each to the largest fractional parts,
    equal parts to the earlier item."""
    total = sum(weights)
    quotas = [Fraction(amount * w, total) for w in weights]
    shares = [math.floor(q) for q in quotas]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def assert_monotone(shares: list[int], weights: list[int]) -> None:
    """A larger share never pays less: w_i > w_j implies share_i >= share_j (checked on sorted pairs)."""
    by_weight = sorted(zip(weights, shares, strict=True))
    for (w1, s1), (w2, s2) in zip(by_weight, by_weight[1:], strict=False):
        if w2 > w1:
            assert s2 >= s1, (weights, shares)
    # and equal weights differ by at most one fen
    for w in set(weights):
        got = [s for x, s in zip(weights, shares, strict=True) if x == w]
        assert max(got) - min(got) <= 1


def check(amount: int, weights: list[int]) -> list[int]:
    shares = split(amount, weights)
    total = sum(weights)
    assert sum(shares) == amount  # never creates or loses a fen
    for s, w in zip(shares, weights, strict=True):
        assert abs(s - Fraction(amount * w, total)) < 1  # the floor or the ceiling of its quota
        assert s >= 0 and (w or s == 0)  # a unit of no area pays nothing
    assert_monotone(shares, weights)
    assert shares == largest_remainder(amount, weights)
    return shares


@settings(max_examples=400, deadline=None)
@given(amounts, areas)
def test_split_is_exact_bounded_monotone_and_agrees_with_the_reference(amount: int, weights: list[int]) -> None:
    check(amount, weights)


@settings(max_examples=400, deadline=None)
@given(small_amounts, close_areas)
def test_a_larger_share_never_pays_less_when_the_fen_are_few(amount: int, weights: list[int]) -> None:
    check(amount, weights)


@settings(max_examples=200, deadline=None)
@given(amounts, areas, st.randoms(use_true_random=False))
def test_apportion_orders_by_chain_unit_id_whatever_the_input_order(amount: int, weights: list[int], rnd) -> None:  # type: ignore[no-untyped-def]
    units = [(f"u{i}", i + 1, w) for i, w in enumerate(weights)]
    shuffled = units[:]
    rnd.shuffle(shuffled)
    a = apportion(amount, shuffled)
    assert [s.chain_unit_id for s in a] == list(range(1, len(weights) + 1))
    assert [s.share for s in a] == split(amount, weights)


@settings(max_examples=200, deadline=None)
@given(amounts, areas)
def test_an_allocation_round_credits_floors_and_carries_the_rest(amount: int, weights: list[int]) -> None:
    shares, carried = allocation_floors(amount, weights)
    total = sum(weights)
    assert shares == [math.floor(Fraction(amount * w, total)) for w in weights]
    assert sum(shares) + carried == amount and 0 <= carried < len(weights)
    assert_monotone(shares, weights)
    units = [(f"u{i}", len(weights) - i, w) for i, w in enumerate(weights)]
    ordered, again = allocate_by_area(amount, units)
    assert again == carried and [s.chain_unit_id for s in ordered] == sorted(u[1] for u in units)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_revenue_split_matches_the_contract(amount: int, bps: int) -> None:
    to_fund, to_welfare = revenue_split(amount, bps)
    assert to_fund == amount * bps // 10_000 and to_fund + to_welfare == amount and to_welfare >= 0


def test_known_values_and_bad_input() -> None:
    # the reported case: 1 fen over [200, 100] m² — cumulative rounding charged [0, 1]; now the larger pays
    assert split(1, [200, 100]) == [1, 0]
    assert split(1, [100, 200]) == [0, 1]
    # 100 fen over three equal units: the left-over fen goes to the lowest unit id
    assert split(100, [1, 1, 1]) == [34, 33, 33]
    assert split(1, [8963, 8963]) == [1, 0]
    assert allocation_floors(100, [1, 1, 1]) == ([33, 33, 33], 1)
    for bad in ((-1, [1]), (1, [0, 0]), (1, []), (1, [-1, 2]), (1.5, [1])):
        with pytest.raises(ValueError):
            split(*bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        apportion(10, [("a", 1, 5), ("b", 1, 5)])
    with pytest.raises(ValueError):
        revenue_split(10, 10_001)
