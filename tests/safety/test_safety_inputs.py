"""The safety plugin's input models: each bad value is BAD_USER_INPUT naming the GraphQL field,
with the message the service used to write by hand."""

from __future__ import annotations

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.safety.inputs import MAX_NOTE, FalseAlarmNote, Resolution, RuleSetting


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (Resolution, {"note": "x" * (MAX_NOTE + 1)}, "note", f"a note has at most {MAX_NOTE} characters"),
        (Resolution, {"false_alarm": True, "note": "  "}, "note", "say why it was a false alarm"),
        (FalseAlarmNote, {"note": ""}, "note", f"say why it was a false alarm (at most {MAX_NOTE} characters)"),
        (RuleSetting, {"alarm_type": "meteor"}, "alarmType", None),
        (RuleSetting, {"alarm_type": "smoke", "severity": "apocalyptic"}, "severity", "severity is one of critical, major, minor"),
        (RuleSetting, {"alarm_type": "smoke", "threshold": 5}, "threshold", "smoke has no threshold"),
        (RuleSetting, {"alarm_type": "gas_leak", "threshold": 101}, "threshold", "the gas_leak threshold is 1–100 %LEL"),
        (RuleSetting, {"alarm_type": "smoke", "ack_within_seconds": 5}, "ackWithinSeconds", "the time to acknowledge is 30 s to 24 h"),
    ],
)
def test_bad_values_are_bad_user_input_naming_the_field(model, fields, field, message):
    with pytest.raises(BadUserInput) as caught:
        parse_input(model, **fields)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == field
    if message is not None:
        assert caught.value.message == message


def test_good_values_pass():
    assert parse_input(Resolution, false_alarm=True, note="a bird").note == "a bird"
    assert parse_input(RuleSetting, alarm_type="gas_leak", threshold=20).threshold == 20
