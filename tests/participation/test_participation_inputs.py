"""The participation plugin's settings input: a threshold out of bounds for its kind is
BAD_USER_INPUT naming ``thresholdValue`` (it named no field before: the walkthrough of issue #13
saw ``"field": null``)."""

from __future__ import annotations

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.participation.inputs import Settings


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("share", 10_001, "a share is given in basis points, 1–10000 (500 = 5 %)"),
        ("count", 100_001, "a fixed number of owners is at most 100000"),
        ("share", 0, None),
    ],
)
def test_a_threshold_out_of_bounds_names_the_field(
    kind: str, value: int, message: str | None
) -> None:
    with pytest.raises(BadUserInput) as caught:
        parse_input(Settings, threshold_kind=kind, threshold_value=value, answer_within_days=15)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == "thresholdValue"
    if message is not None:
        assert caught.value.message == message


def test_the_bounds_depend_on_the_kind() -> None:
    assert (
        parse_input(
            Settings, threshold_kind="count", threshold_value=10_001, answer_within_days=1
        ).threshold_value
        == 10_001
    )
    assert (
        parse_input(
            Settings, threshold_kind="share", threshold_value=10_000, answer_within_days=90
        ).threshold_value
        == 10_000
    )
