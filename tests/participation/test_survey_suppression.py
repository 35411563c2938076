"""Survey results are suppressed below 5 answers per group — and, since the community's figures are
shown too, a building is also suppressed when the community minus the buildings shown would leave
1–4 answers readable by subtraction (issue #13 audit: six answers, five in one building shown, gave
away the sixth household's answers). Checked against a brute-force reading of the rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugins.participation.surveys import MIN_GROUP, complementary_suppression, group_result

QUESTIONS = ["保洁", "安保"]


def groups(sizes: list[int], loose: int):  # type: ignore[no-untyped-def]
    """The community (all answers, ``loose`` of them without a building) and one group per size."""
    rows = [[(i % 5) + 1, 5 - (i % 5)] for i in range(sum(sizes) + loose)]
    whole = group_result("全部", QUESTIONS, rows)
    buildings, start = [], 0
    for n, size in enumerate(sizes):
        buildings.append(group_result(f"{n + 1}幢", QUESTIONS, rows[start : start + size]))
        start += size
    return whole, buildings


@given(st.lists(st.integers(0, 12), max_size=6), st.integers(0, 3))
def test_nothing_under_five_answers_can_be_read_by_subtraction(
    sizes: list[int], loose: int
) -> None:
    whole, buildings = groups(sizes, loose)
    out = complementary_suppression(whole, buildings)
    assert [g.group for g in out] == [g.group for g in buildings]
    shown = [g for g in out if not g.suppressed]
    assert all(g.answers >= MIN_GROUP and g.questions for g in shown)
    assert all(not g.questions and g.mean is None for g in out if g.suppressed)
    if not whole.suppressed:
        hidden = whole.answers - sum(g.answers for g in shown)
        assert hidden == 0 or hidden >= MIN_GROUP
    # only as much is hidden as needed: showing any one more suppressed building of 5+ answers
    # would leave 1–4 answers readable (or nothing was hidden to protect)
    for g in out:
        if g.suppressed and g.answers >= MIN_GROUP:
            rest = whole.answers - sum(x.answers for x in shown) - g.answers
            assert 0 < rest < MIN_GROUP


def test_the_reported_case_six_answers_five_in_one_building() -> None:
    whole, buildings = groups([5, 1], 0)
    assert [g.suppressed for g in buildings] == [False, True]  # before: the sixth was readable
    out = complementary_suppression(whole, buildings)
    assert [g.suppressed for g in out] == [True, True] and not whole.suppressed
    whole, buildings = groups([5, 5], 0)
    assert [g.suppressed for g in complementary_suppression(whole, buildings)] == [False, False]
