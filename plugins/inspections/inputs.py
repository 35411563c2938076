"""The inspection plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``name``, ``checkpoints``,
``intervalHours``, ``firstDueAt``, ``severity``, ``note``, ``photos``). What needs the database
(does the route exist, is the checkpoint on the round's route) is the service's.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from plugins.inspections.vocabulary import FacilityCategory, FindingSeverity, values

CATEGORIES = values(FacilityCategory)
SEVERITIES = values(FindingSeverity)
MAX_CHECKPOINTS = 200
MAX_PHOTOS = 9
PHOTO_URL = re.compile(r"^https://[\w\-./%~:@?=&+]{1,500}$")

_CHECKPOINT = "a checkpoint needs a name (≤100) and a location (≤200)"


class CheckpointIn(BaseModel):
    """One checkpoint of a route, in walking order (from a dict or any object with these
    attributes, such as :class:`plugins.inspections.service.CheckpointSpec`)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    name: str
    location: str = ""
    category: str = "other"

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        name = str(value or "").strip()
        if not name or len(name) > 100:
            raise ValueError(_CHECKPOINT)
        return name

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, value: object) -> str:
        location = str(value or "").strip()
        if len(location) > 200:
            raise ValueError(_CHECKPOINT)
        return location

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> str:
        category = str(getattr(value, "value", value))
        if category not in CATEGORIES:
            raise ValueError(f"a checkpoint's category is one of {', '.join(CATEGORIES)}")
        return category


class NewRoute(BaseModel):
    """``createInspectionRoute``: a name and 1–200 checkpoints."""

    model_config = ConfigDict(frozen=True)

    name: str
    checkpoints: list[CheckpointIn]

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        name = str(value or "").strip()
        if not name or len(name) > 100:
            raise ValueError("a route needs a name of at most 100 characters")
        return name

    @field_validator("checkpoints", mode="before")
    @classmethod
    def _count(cls, value: object) -> object:
        if not isinstance(value, list | tuple) or not (1 <= len(value) <= MAX_CHECKPOINTS):
            raise ValueError(f"a route has 1–{MAX_CHECKPOINTS} checkpoints")
        return list(value)


class Schedule(BaseModel):
    """``createInspectionSchedule``: how often, from when."""

    model_config = ConfigDict(frozen=True)

    interval_hours: int
    first_due_at: datetime

    @field_validator("interval_hours")
    @classmethod
    def _interval(cls, value: int) -> int:
        if not (1 <= value <= 24 * 31):
            raise ValueError("the interval is 1 hour to 31 days")
        return value

    @field_validator("first_due_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the first due time with a time zone")
        return value


class NewFinding(BaseModel):
    """``recordInspectionFinding``: the checkpoint's state; a defect is described."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    severity: str = "normal"
    category: str | None = None
    note: str = Field(default="", validate_default=True)
    photos: list[str] = Field(default_factory=list)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: object) -> str:
        value = str(getattr(value, "value", value))
        if value not in SEVERITIES:
            raise ValueError(f"severity is one of {', '.join(SEVERITIES)}")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"category is one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("note")
    @classmethod
    def _note(cls, value: str, info: ValidationInfo) -> str:
        if len(value) > 2000:
            raise ValueError("a note has at most 2000 characters")
        if info.data.get("ok") is False and not value.strip():
            raise ValueError("describe the defect")
        return value.strip()

    @field_validator("photos")
    @classmethod
    def _photos(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_PHOTOS or any(not PHOTO_URL.match(p) for p in value):
            raise ValueError(f"up to {MAX_PHOTOS} https:// photo URLs")
        return value
