"""The care plugin's input models: each bad value is BAD_USER_INPUT naming the GraphQL field, with
the message the service used to write by hand; good values come back normalised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.care.inputs import (
    MAX_NOTES,
    CheckIn,
    Contact,
    DeviceLink,
    Plan,
    PlannedService,
    ServiceNote,
)

CONTACT = {"name": "李娜", "relation": "女儿", "priority": 1, "phone": "13800138001"}


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (Plan, {"check_in_by_minute": 1440}, "checkInByMinute", "the check-in deadline is a minute of the day, 0–1439"),
        (Plan, {"margin_percent": -1}, "marginPercent", "the no-activity margin is 0–500 %"),
        (Plan, {"fallback_hours": 0}, "fallbackHours", "the fixed no-activity rule is 1–72 hours"),
        (Plan, {"ack_within_seconds": 10}, "ackWithinSeconds", "an alert escalates after 30 s to 1 h without acknowledgement"),
        (Plan, {"health_notes": "x" * (MAX_NOTES + 1)}, "healthNotes", f"health notes have at most {MAX_NOTES} characters"),
        (Contact, {**CONTACT, "name": "  "}, "name", "a contact needs a name of at most 50 characters"),
        (Contact, {**CONTACT, "relation": "x" * 21}, "relation", "say the relation (女儿, 儿子, 邻居…) in at most 20 characters"),
        (Contact, {**CONTACT, "priority": 10}, "priority", "the priority is 1 (called first) to 9"),
        (Contact, {**CONTACT, "phone": None}, "phone", "give either a mobile number or an e-mail address"),
        (Contact, {**CONTACT, "email": "a@b.cn"}, "phone", "give either a mobile number or an e-mail address"),
        (Contact, {**CONTACT, "phone": "12345"}, "phone", "a mobile number is 11 digits starting with 1"),
        (Contact, {**CONTACT, "phone": None, "email": "nope"}, "email", "that is not an e-mail address"),
        (CheckIn, {"method": "telepathy"}, "method", "a check-in is one of self, call, visit"),
        (DeviceLink, {"kind": "toaster"}, "kind", None),
        (PlannedService, {"kind": "visit", "scheduled_for": datetime(2026, 1, 1)}, "scheduledFor", "give the time with a time zone"),
        (PlannedService, {"kind": "skydiving", "scheduled_for": datetime(2026, 1, 1, tzinfo=UTC)}, "kind", None),
        (ServiceNote, {"note": "x" * (MAX_NOTES + 1)}, "note", f"a note has at most {MAX_NOTES} characters"),
    ],
)
def test_bad_values_are_bad_user_input_naming_the_field(model, fields, field, message):
    with pytest.raises(BadUserInput) as caught:
        parse_input(model, **fields)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == field
    if message is not None:
        assert caught.value.message == message


def test_good_values_are_normalised():
    spec = parse_input(Contact, **{**CONTACT, "name": " 李娜 ", "relation": " 女儿 "})
    assert (spec.name, spec.relation, spec.phone) == ("李娜", "女儿", "13800138001")
    assert parse_input(Plan).check_in_by_minute is None
