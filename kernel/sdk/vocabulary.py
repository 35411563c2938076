"""Closed vocabularies several plugins share, defined once.

A vocabulary is a ``StrEnum`` whose values are the strings stored in the database (so a stored
row reads back unchanged) and whose GraphQL values are the same words (the member names equal the
values): a client sends ``"plumbing"`` in a variable, or ``plumbing`` inline, and reads
``"plumbing"``. Each is also a GraphQL enum (``@strawberry.enum``), so the schema lists the words
and a query with another word is refused as ``BAD_USER_INPUT`` before a resolver runs.

A vocabulary only one plugin uses belongs in that plugin (``plugins/workorders/vocabulary.py``).
"""

from __future__ import annotations

from enum import Enum, StrEnum

import strawberry

__all__ = ["AlarmSeverity", "AlarmStatus", "FacilityCategory", "values"]


@strawberry.enum(description="What a work order, inspection checkpoint or finding is about (专业类别).")
class FacilityCategory(StrEnum):
    plumbing = "plumbing"
    electrical = "electrical"
    elevator = "elevator"
    security = "security"
    fire = "fire"
    sanitation = "sanitation"
    public_facility = "public_facility"
    greening = "greening"
    noise = "noise"
    parking = "parking"
    other = "other"


@strawberry.enum(
    name="DeviceAlarmSeverity",
    description="How serious a device alarm is, most serious first (an alarm rule's severity).",
)
class AlarmSeverity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    warning = "warning"
    info = "info"


@strawberry.enum(
    name="DeviceAlarmStatus",
    description="Where a device alarm stands: raised → acknowledged → cleared.",
)
class AlarmStatus(StrEnum):
    raised = "raised"
    acknowledged = "acknowledged"
    cleared = "cleared"


def values(vocabulary: type[Enum]) -> tuple[str, ...]:
    """The stored strings of a vocabulary, in definition order (``values(FacilityCategory)``)."""
    return tuple(str(member.value) for member in vocabulary)
