"""kernel.sdk.inputs' shared time checks: ``aware`` and ``time_window`` (their uses are tested with
the plugins' inputs: tests/parking/test_parking_inputs.py, tests/access/test_access_inputs.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationInfo, field_validator

from kernel.errors import BadUserInput
from kernel.sdk.inputs import aware, parse_input, time_window

SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


def test_aware_refuses_a_naive_time_and_converts_on_request() -> None:
    with pytest.raises(ValueError, match="give the time with a time zone"):
        aware(datetime(2026, 12, 7, 9, 0))
    with pytest.raises(ValueError, match="^times carry a zone$"):
        aware(datetime(2026, 12, 7, 9, 0), "times carry a zone")
    assert aware(START) is START
    utc = aware(START, utc=True)
    assert utc == START and utc.tzinfo is UTC and utc.hour == 1


def test_time_window_checks_in_order_with_the_callers_messages() -> None:
    def check(end: datetime, **kw: object) -> datetime:
        return time_window(
            START, end, backwards="backwards", too_long="too long", too_short="too short", over="over", **kw  # type: ignore[arg-type]
        )

    hour = timedelta(hours=1)
    assert check(START + hour) == START + hour
    for end in (START, START - hour):
        with pytest.raises(ValueError, match="^backwards$"):
            check(end)
    with pytest.raises(ValueError, match="^too short$"):  # the shortest duration is checked first
        check(START - hour, shortest=timedelta(minutes=30))
    with pytest.raises(ValueError, match="^too short$"):
        check(START + timedelta(minutes=29), shortest=timedelta(minutes=30))
    assert check(START + timedelta(minutes=30), shortest=timedelta(minutes=30))
    assert check(START + timedelta(days=7), longest=timedelta(days=7))
    with pytest.raises(ValueError, match="^too long$"):
        check(START + timedelta(days=7, seconds=1), longest=timedelta(days=7))
    with pytest.raises(ValueError, match="^over$"):  # "over" before "too long"
        check(START + timedelta(days=8), now=START + timedelta(days=9), longest=timedelta(days=7))
    # the start failed its own validation: nothing to check against
    assert time_window(None, START - hour, longest=timedelta(0)) == START - hour
    # default messages name the bound
    with pytest.raises(ValueError, match="at most 1:00:00"):
        time_window(START, START + 2 * hour, longest=hour)


class Window(BaseModel):
    starts_at: datetime
    ends_at: datetime

    @field_validator("starts_at")
    @classmethod
    def _starts(cls, value: datetime) -> datetime:
        return aware(value)

    @field_validator("ends_at")
    @classmethod
    def _ends(cls, value: datetime, info: ValidationInfo) -> datetime:
        return time_window(info.data.get("starts_at"), aware(value), longest=timedelta(days=1), too_long="at most a day")


def test_in_a_validator_the_failure_is_bad_user_input_naming_the_field() -> None:
    with pytest.raises(BadUserInput) as caught:
        parse_input(Window, starts_at=START, ends_at=START + timedelta(days=2))
    assert caught.value.details["field"] == "endsAt" and caught.value.message == "at most a day"
    with pytest.raises(BadUserInput) as caught:
        parse_input(Window, starts_at=datetime(2026, 12, 7), ends_at=START)
    assert caught.value.details["field"] == "startsAt"
    assert parse_input(Window, starts_at=START, ends_at=START + timedelta(hours=2)).ends_at == START + timedelta(hours=2)
