"""The apportionment by area against independent reference models (no database).

Reference 1 — largest remainder with exact fractions: a different algorithm; it must agree on the total and,
like cumulative rounding, give every unit the floor or the ceiling of its exact quota.
Reference 2 — cumulative rounding recomputed with ``Fraction`` and ``math.floor``: must agree share by share.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.funds.apportionment import apportion, revenue_split, split

amounts = st.integers(min_value=0, max_value=10**12)
areas = st.lists(st.integers(min_value=0, max_value=5_000_00), min_size=1, max_size=60).filter(lambda w: sum(w) > 0)


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    quotas = [Fraction(amount * w, total) for w in weights]
    shares = [math.floor(q) for q in quotas]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (quotas[i] - shares[i], -i), reverse=True)
    for i in order[:left]:
        shares[i] += 1
    return shares


def cumulative_fraction(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    out, before = [], 0
    for k in range(len(weights)):
        up_to = math.floor(Fraction(amount * sum(weights[: k + 1]), total))
        out.append(up_to - before)
        before = up_to
    return out


@settings(max_examples=400, deadline=None)
@given(amounts, areas)
def test_split_is_exact_bounded_and_agrees_with_independent_models(amount: int, weights: list[int]) -> None:
    shares = split(amount, weights)
    reference = largest_remainder(amount, weights)
    total = sum(weights)
    assert sum(shares) == amount == sum(reference)  # never creates or loses a fen
    for s, r, w in zip(shares, reference, weights, strict=True):
        exact = Fraction(amount * w, total)
        assert abs(s - exact) < 1 and abs(r - exact) < 1  # each is the floor or the ceiling of its quota
        assert s >= 0
        if w == 0:
            assert s == 0
    assert shares == cumulative_fraction(amount, weights)


@settings(max_examples=200, deadline=None)
@given(amounts, areas, st.randoms(use_true_random=False))
def test_apportion_orders_by_chain_unit_id_whatever_the_input_order(amount: int, weights: list[int], rnd) -> None:  # type: ignore[no-untyped-def]
    units = [(f"u{i}", i + 1, w) for i, w in enumerate(weights)]
    shuffled = units[:]
    rnd.shuffle(shuffled)
    a = apportion(amount, shuffled)
    assert [s.chain_unit_id for s in a] == list(range(1, len(weights) + 1))
    assert [s.share for s in a] == split(amount, weights)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_revenue_split_matches_the_contract(amount: int, bps: int) -> None:
    to_fund, to_welfare = revenue_split(amount, bps)
    assert to_fund == amount * bps // 10_000 and to_fund + to_welfare == amount and to_welfare >= 0


def test_known_values_and_bad_input() -> None:
    # 100 fen over three equal units: cumulative rounding gives 33, 33, 34 (the last carries the remainder)
    assert split(100, [1, 1, 1]) == [33, 33, 34]
    assert split(1, [8963, 8963]) == [0, 1]
    for bad in ((-1, [1]), (1, [0, 0]), (1, []), (1, [-1, 2]), (1.5, [1])):
        with pytest.raises(ValueError):
            split(*bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        apportion(10, [("a", 1, 5), ("b", 1, 5)])
    with pytest.raises(ValueError):
        revenue_split(10, 10_001)
