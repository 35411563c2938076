"""The safety plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``note``, ``alarmType``,
``severity``, ``threshold``, ``ackWithinSeconds``) whether it came from GraphQL or a script.
What needs the database (does the alarm or the community exist, is it resolved) is the service's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from plugins.safety.vocabulary import ALARM_TYPES, SEVERITIES

MAX_NOTE = 2000
#: Valid thresholds per alarm type (unit in the vocabulary): a value outside is BAD_USER_INPUT.
THRESHOLD_RANGES = {
    "fire_lane_blocked": (10, 86_400),
    "gas_leak": (1, 100),
    "ebike_in_lift": (10, 600),
}
ACK_WITHIN_RANGE = (30, 86_400)


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)


class Resolution(_Input):
    """Resolving an alarm (``resolveSafetyAlarm``): a false alarm says why in its note."""

    false_alarm: bool = False
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str, info: ValidationInfo) -> str:
        if len(value) > MAX_NOTE:
            raise ValueError(f"a note has at most {MAX_NOTE} characters")
        if info.data.get("false_alarm") and not value.strip():
            raise ValueError("say why it was a false alarm")
        return value


class FalseAlarmNote(_Input):
    """Marking a resolved alarm false after the fact (``markSafetyFalseAlarm``)."""

    note: str

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if not value.strip() or len(value) > MAX_NOTE:
            raise ValueError(f"say why it was a false alarm (at most {MAX_NOTE} characters)")
        return value


class RuleSetting(_Input):
    """An alarm type's rule (``setSafetyRule``): severity, threshold within the type's range,
    time to acknowledge."""

    alarm_type: str
    severity: str | None = None
    threshold: float | None = None
    ack_within_seconds: int | None = None

    @field_validator("alarm_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in ALARM_TYPES:
            raise ValueError(f"alarm type is one of {', '.join(ALARM_TYPES)}")
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        if value is not None and value not in SEVERITIES:
            raise ValueError(f"severity is one of {', '.join(SEVERITIES)}")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        alarm_type = info.data.get("alarm_type")
        if value is None or alarm_type is None:
            return value
        bounds = THRESHOLD_RANGES.get(alarm_type)
        if bounds is None:
            raise ValueError(f"{alarm_type} has no threshold")
        if not bounds[0] <= value <= bounds[1]:
            unit = ALARM_TYPES[alarm_type].threshold_unit
            raise ValueError(f"the {alarm_type} threshold is {bounds[0]}–{bounds[1]} {unit}")
        return value

    @field_validator("ack_within_seconds")
    @classmethod
    def _ack(cls, value: int | None) -> int | None:
        if value is not None and not ACK_WITHIN_RANGE[0] <= value <= ACK_WITHIN_RANGE[1]:
            raise ValueError("the time to acknowledge is 30 s to 24 h")
        return value
