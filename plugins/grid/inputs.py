"""The grid plugin's inputs, validated with pydantic before anything is written.

The services parse their arguments through these models with
:func:`kernel.sdk.inputs.parse_input`, so a bad value answers BAD_USER_INPUT naming the GraphQL
field (``name``, ``intervalMinutes``, ``startsAt``, ``tagCode``, ``latitude``, ``place``,
``description``, ``photoRef``, ``category``, ``to``, ``note``, ``resolution``, ``tags``,
``visitEveryDays``, ``visitedAt``) whether it came from GraphQL, a job or a script. What needs the
database (does the grid, building or person exist, is there consent, is the incident still open)
is the services'.

Texts are stripped; a text listed in a model's ``TEXTS`` as ``(limit, required)`` answers
``"<field> is required"`` or ``"<field> has at most <limit> characters"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kernel.sdk.inputs import camel_case
from plugins.grid.vocabulary import GridIncidentCategory, GridVulnerableTag

ROUTES = ("work_order", "street_office")
#: A visit recorded up to this far ahead of the clock is "now" (a phone's clock running fast).
VISIT_CLOCK_SKEW = timedelta(minutes=5)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give the time with a time zone")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: field → (most characters, required): stripped, checked before the field's own type.
    TEXTS: ClassVar[dict[str, tuple[int, bool]]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        rule = cls.TEXTS.get(info.field_name or "")
        if rule is None:
            return value
        limit, required = rule
        field = camel_case(info.field_name or "")
        value = value.strip() if isinstance(value, str) else ""
        if required and not value:
            raise ValueError(f"{field} is required")
        if len(value) > limit:
            raise ValueError(f"{field} has at most {limit} characters")
        return value


class GridName(_Input):
    """A grid's name (``createGrid``)."""

    TEXTS = {"name": (60, True)}
    name: str


class NewRoute(_Input):
    """A patrol route (``createPatrolRoute``): a name, a period of 30 minutes to 7 days, an aware
    start (or none: now)."""

    TEXTS = {"name": (60, True)}
    name: str
    interval_minutes: int
    starts_at: datetime | None = None

    @field_validator("interval_minutes")
    @classmethod
    def _interval(cls, value: int) -> int:
        if not 30 <= value <= 10080:
            raise ValueError("a patrol period is 30 minutes to 7 days")
        return value

    @field_validator("starts_at")
    @classmethod
    def _starts(cls, value: datetime | None) -> datetime | None:
        return _aware(value)


class NewCheckpoint(_Input):
    """A checkpoint (``addPatrolCheckpoint``): a name and, for an NFC tag, its id (empty: a
    random QR code is made)."""

    TEXTS = {"name": (80, True), "tag_code": (64, False)}
    name: str
    tag_code: str = ""


class CheckInScan(_Input):
    """A scanned tag (``patrolCheckIn``), with both coordinates or neither."""

    TEXTS = {"tag_code": (64, True)}
    longitude: float | None = None
    latitude: float | None = Field(None, validate_default=True)
    tag_code: str

    @field_validator("latitude")
    @classmethod
    def _location(cls, value: float | None, info: ValidationInfo) -> float | None:
        longitude = info.data.get("longitude")
        if value is None and longitude is None:
            return None
        if value is None or longitude is None:
            raise ValueError("give both latitude and longitude, or neither")
        if not -90 <= value <= 90 or not -180 <= longitude <= 180:
            raise ValueError("latitude is −90…90 and longitude −180…180")
        return value

    @property
    def location(self) -> str | None:
        """``"lat,lon"`` to six places, or None without one."""
        if self.latitude is None or self.longitude is None:
            return None
        return f"{self.latitude:.6f},{self.longitude:.6f}"


class NewIncident(_Input):
    """A reported incident (``reportGridIncident``): where, what kind, what happened, a photo."""

    TEXTS = {"place": (200, True), "description": (5000, False), "photo_ref": (300, False)}
    place: str
    description: str = ""
    photo_ref: str = ""
    category: str

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in {c.value for c in GridIncidentCategory}:
            raise ValueError("unknown incident category")
        return value


class Routing(_Input):
    """Where an incident goes (``routeGridIncident``) and an optional note."""

    TEXTS = {"note": (1000, False)}
    note: str = ""
    to: str

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        if value not in ROUTES:
            raise ValueError("route to work_order or street_office")
        return value


class IncidentNote(_Input):
    """A follow-up note on an incident (``addGridIncidentNote``)."""

    TEXTS = {"note": (1000, True)}
    note: str


class Closing(_Input):
    """An incident's resolution (``closeGridIncident``)."""

    TEXTS = {"resolution": (2000, True)}
    resolution: str


class Enrolment(_Input):
    """Following up a vulnerable resident (``enrolVulnerableResident``): known tags (sorted, no
    repeats after parsing), a visit every 1–90 days."""

    tags: list[str]
    visit_every_days: int = 7

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        known = {t.value for t in GridVulnerableTag}
        if not value or any(t not in known for t in value):
            raise ValueError("give one or more known tags")
        return sorted(set(value))

    @field_validator("visit_every_days")
    @classmethod
    def _every(cls, value: int) -> int:
        if not 1 <= value <= 90:
            raise ValueError("visits are every 1–90 days")
        return value


class VisitRecord(_Input):
    """A visit (``recordGridVisit``): a note and an aware time not after ``now`` (the clock the
    service reads; a few minutes of skew allowed)."""

    TEXTS = {"note": (2000, False)}
    note: str = ""
    now: datetime
    visited_at: datetime | None = None

    @field_validator("visited_at")
    @classmethod
    def _visited(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        value = _aware(value)
        now = info.data.get("now")
        if value is not None and now is not None and value > now + VISIT_CLOCK_SKEW:
            raise ValueError("a visit cannot be in the future")
        return value
