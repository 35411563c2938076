"""The care plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``checkInByMinute``,
``marginPercent``, ``fallbackHours``, ``ackWithinSeconds``, ``healthNotes``, ``name``,
``relation``, ``priority``, ``phone``, ``email``, ``method``, ``kind``, ``scheduledFor``,
``note``) whether it came from GraphQL, a job or a script. What needs the database (does the
person exist, is there consent, is the priority taken) is the service's.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from kernel.sdk.vocabulary import values
from plugins.care.vocabulary import CheckInMethod, DeviceKind, ServiceKind

MAX_NOTES = 2000
RELATIONS_MAX = 20
NAME_MAX = 50
PHONE = re.compile(r"1\d{10}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def _within(value: int | None, low: int, high: int, message: str) -> int | None:
    if value is not None and not low <= value <= high:
        raise ValueError(message)
    return value


def _one_of(value: str, vocabulary: type[ServiceKind | CheckInMethod | DeviceKind], what: str) -> str:
    if value not in values(vocabulary):
        raise ValueError(f"{what} is one of {', '.join(values(vocabulary))}")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)


class Plan(_Input):
    """A recipient's plan settings (``enrolCareRecipient``, ``updateCarePlan``); ``None`` keeps
    the current value."""

    check_in_by_minute: int | None = None
    margin_percent: int | None = None
    fallback_hours: int | None = None
    ack_within_seconds: int | None = None
    health_notes: str | None = None

    @field_validator("check_in_by_minute")
    @classmethod
    def _deadline(cls, value: int | None) -> int | None:
        return _within(value, 0, 1439, "the check-in deadline is a minute of the day, 0–1439")

    @field_validator("margin_percent")
    @classmethod
    def _margin(cls, value: int | None) -> int | None:
        return _within(value, 0, 500, "the no-activity margin is 0–500 %")

    @field_validator("fallback_hours")
    @classmethod
    def _fallback(cls, value: int | None) -> int | None:
        return _within(value, 1, 72, "the fixed no-activity rule is 1–72 hours")

    @field_validator("ack_within_seconds")
    @classmethod
    def _ack(cls, value: int | None) -> int | None:
        return _within(value, 30, 3600, "an alert escalates after 30 s to 1 h without acknowledgement")

    @field_validator("health_notes")
    @classmethod
    def _notes(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_NOTES:
            raise ValueError(f"health notes have at most {MAX_NOTES} characters")
        return value


class Contact(_Input):
    """An emergency contact (``addCareContact``): a name, the relation, the escalation order and
    exactly one of a mobile number or an e-mail address (stripped)."""

    name: str
    relation: str
    priority: int
    email: str | None = None
    phone: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = (value or "").strip()
        if not value or len(value) > NAME_MAX:
            raise ValueError(f"a contact needs a name of at most {NAME_MAX} characters")
        return value

    @field_validator("relation")
    @classmethod
    def _relation(cls, value: str) -> str:
        value = (value or "").strip()
        if not value or len(value) > RELATIONS_MAX:
            raise ValueError(f"say the relation (女儿, 儿子, 邻居…) in at most {RELATIONS_MAX} characters")
        return value

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: int) -> int:
        if not 1 <= value <= 9:
            raise ValueError("the priority is 1 (called first) to 9")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.fullmatch(value.strip()):
            raise ValueError("that is not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if bool((value or "").strip()) == bool((info.data.get("email") or "").strip()):
            raise ValueError("give either a mobile number or an e-mail address")
        if value and not PHONE.fullmatch(value.strip()):
            raise ValueError("a mobile number is 11 digits starting with 1")
        return value


class CheckIn(_Input):
    """A daily check-in's method."""

    method: str

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        return _one_of(value, CheckInMethod, "a check-in")


class DeviceLink(_Input):
    """A device's role for its wearer or home (``linkCareDevice``)."""

    kind: str

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _one_of(value, DeviceKind, "a care device")


class PlannedService(_Input):
    """A visit or service to plan (``scheduleCareService``): its kind and an aware time."""

    kind: str
    scheduled_for: datetime

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _one_of(value, ServiceKind, "a service")

    @field_validator("scheduled_for")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with a time zone")
        return value


class ServiceNote(_Input):
    """A completed service's note (``completeCareService``)."""

    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if len(value) > MAX_NOTES:
            raise ValueError(f"a note has at most {MAX_NOTES} characters")
        return value
