"""The access plugin's input models: each bad value is BAD_USER_INPUT naming the GraphQL field,
with the message the service used to write by hand; good values come back normalised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.access.inputs import (
    Blacklisting,
    Card,
    FaceReference,
    GrantRule,
    NewPoint,
    PassTerms,
    SettingsChange,
)

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
ACCOUNT = uuid.uuid4()
BUILDING = uuid.uuid4()
PASS = {
    "visitor_name": "王芳",
    "kind": "visitor",
    "now": NOW,
    "valid_from": NOW,
    "valid_until": NOW + timedelta(hours=3),
}


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (
            NewPoint,
            {"name": " ", "kind": "gate"},
            "name",
            "a point needs a name of at most 100 characters",
        ),
        (NewPoint, {"name": "东门", "kind": "window"}, "kind", "kind is one of gate, door, lift"),
        (
            NewPoint,
            {"name": "1号梯", "kind": "lift"},
            "buildingId",
            "a lift reader is placed in a building",
        ),
        (
            NewPoint,
            {"name": "东门", "kind": "door", "floor": 3},
            "floor",
            "a floor needs its building",
        ),
        (GrantRule, {}, "role", "grant to a role or to one account"),
        (
            GrantRule,
            {"role": "owner", "account_id": ACCOUNT},
            "role",
            "grant to a role or to one account",
        ),
        (GrantRule, {"role": "king"}, "role", None),
        (
            GrantRule,
            {"role": "owner", "weekdays": 0},
            "weekdays",
            "weekdays is a non-empty set of Monday (1) … Sunday (64) bits",
        ),
        (
            GrantRule,
            {"role": "owner", "start_minute": 600, "end_minute": 600},
            "startMinute",
            "the window is 0 ≤ start < end ≤ 1440 minutes of the local day",
        ),
        (
            GrantRule,
            {"role": "owner", "note": "x" * 201},
            "note",
            "a note has at most 200 characters",
        ),
        (
            GrantRule,
            {"role": "owner", "valid_until": datetime(2026, 7, 1)},
            "validUntil",
            "give the time with a time zone",
        ),
        (Card, {"number": "12-3"}, "number", "a card number is 4–32 letters or digits"),
        (Card, {"number": "ABCD!EFG"}, "number", "a card number is 4–32 letters or digits"),
        (
            FaceReference,
            {"reference": "short"},
            "reference",
            "the vendor's face reference is 8–128 printable characters",
        ),
        (
            FaceReference,
            {"reference": "abc\x00defgh"},
            "reference",
            "the vendor's face reference is 8–128 printable characters",
        ),
        (
            PassTerms,
            {**PASS, "visitor_name": ""},
            "visitorName",
            "the visitor's name is 1–50 characters",
        ),
        (PassTerms, {**PASS, "kind": "friend"}, "kind", "kind is one of visitor, courier, service"),
        (
            PassTerms,
            {**PASS, "valid_from": datetime(2026, 6, 1)},
            "validFrom",
            "give the time with a time zone",
        ),
        (PassTerms, {**PASS, "valid_until": NOW}, "validUntil", "the pass ends after it starts"),
        (
            PassTerms,
            {
                **PASS,
                "valid_from": NOW - timedelta(hours=3),
                "valid_until": NOW - timedelta(hours=1),
            },
            "validUntil",
            "the pass would already be over",
        ),
        (
            PassTerms,
            {**PASS, "valid_until": NOW + timedelta(days=8)},
            "validUntil",
            "a visitor pass lasts at most 7 days, 0:00:00",
        ),
        (
            PassTerms,
            {**PASS, "kind": "courier", "valid_until": NOW + timedelta(hours=25)},
            "validUntil",
            "a courier pass lasts at most 1 day, 0:00:00",
        ),
        (PassTerms, {**PASS, "max_entries": 51}, "maxEntries", "entries are 1–50"),
        (
            PassTerms,
            {**PASS, "plate": "沪A-1"},
            "plate",
            "a plate is 5–10 letters and digits (e.g. 沪A12345)",
        ),
        (
            Blacklisting,
            {"reason": "  ", "account_id": ACCOUNT},
            "reason",
            "give a reason of at most 200 characters",
        ),
        (Blacklisting, {"reason": "闹事"}, "accountId", "name one account, card or plate"),
        (
            Blacklisting,
            {"reason": "闹事", "account_id": ACCOUNT, "card_number": "1234"},
            "accountId",
            "name one account, card or plate",
        ),
        (
            Blacklisting,
            {"reason": "闹事", "account_id": ACCOUNT, "expires_at": datetime(2026, 7, 1)},
            "expiresAt",
            "give the time with a time zone",
        ),
        (SettingsChange, {"retention_days": 0}, "retentionDays", "records are kept 1–3650 days"),
        (
            SettingsChange,
            {"qr_step_seconds": 301},
            "qrStepSeconds",
            "the QR step is 10–300 seconds",
        ),
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
    assert parse_input(NewPoint, name=" 东门 ", kind="gate").name == "东门"
    assert (
        parse_input(NewPoint, name="1号梯", kind="lift", building_id=BUILDING, floor=-2).floor == -2
    )
    assert parse_input(GrantRule, account_id=ACCOUNT, note=" 保洁 ").note == "保洁"
    assert parse_input(Card, number=" ab-12:cd ").number == "AB12CD"
    terms = parse_input(PassTerms, **{**PASS, "visitor_name": " 王芳 ", "plate": "沪a 12345"})
    assert (terms.visitor_name, terms.plate) == ("王芳", "沪A12345")
    assert parse_input(PassTerms, **{**PASS, "plate": "  "}).plate is None
    entry = parse_input(Blacklisting, reason=" 闹事 ", plate="沪A·12345")
    assert (entry.reason, entry.plate) == ("闹事", "沪A12345")
    assert parse_input(SettingsChange).retention_days is None
