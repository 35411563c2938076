"""The access plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``name``, ``kind``,
``buildingId``, ``floor``, ``role``, ``weekdays``, ``startMinute``, ``note``, ``validFrom``,
``validUntil``, ``number``, ``reference``, ``visitorName``, ``maxEntries``, ``plate``,
``reason``, ``accountId``, ``expiresAt``, ``retentionDays``, ``qrStepSeconds``) whether it came
from GraphQL, a job or a script. What needs the database (does the community, building, point or
person exist, is the floor in the building, is there consent, is the card issued already) is the
service's.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kernel.sdk.inputs import aware, time_window
from plugins.access import codes

KINDS = ("gate", "door", "lift")
PASS_KINDS = ("visitor", "courier", "service")
#: Staff passes for couriers and service workers are time-boxed.
STAFF_PASS_MAX = timedelta(hours=24)
RESIDENT_PASS_MAX = timedelta(days=7)
MAX_ENTRIES = 50
ROLES = (
    "tenant_admin",
    "property_staff",
    "technician",
    "grid_worker",
    "committee_member",
    "owner",
    "resident",
    "merchant",
    "auditor",
    "residents_committee",
    "care_contact",
)
ALL_WEEKDAYS = 0b1111111


def _stripped(value: str | None, low: int, high: int, message: str) -> str:
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise ValueError(message)
    return value


def normalise_plate(plate: str | None) -> str | None:
    """A plate upper-cased without spaces or middle dots (None when blank); ValueError when it is
    not 5–10 letters and digits."""
    if plate is None or not plate.strip():
        return None
    plate = plate.strip().upper().replace(" ", "").replace("·", "")
    if not (5 <= len(plate) <= 10) or not all(ch.isalnum() for ch in plate):
        raise ValueError("a plate is 5–10 letters and digits (e.g. 沪A12345)")
    return plate


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)


class NewPoint(_Input):
    """An access point (``createAccessPoint``): a stripped name, a kind; a floor needs its
    building and a lift reader is placed in one."""

    name: str
    kind: str
    building_id: uuid.UUID | None = Field(None, validate_default=True)
    floor: int | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _stripped(value, 1, 100, "a point needs a name of at most 100 characters")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}")
        return value

    @field_validator("building_id")
    @classmethod
    def _building(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        if info.data.get("kind") == "lift" and value is None:
            raise ValueError("a lift reader is placed in a building")
        return value

    @field_validator("floor")
    @classmethod
    def _floor(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("building_id") is None:
            raise ValueError("a floor needs its building")
        return value


class GrantRule(_Input):
    """A grant (``createAccessGrant``): to a role or to one account, in a weekly window of local
    minutes, until an aware time; a note (stripped after parsing)."""

    account_id: uuid.UUID | None = None
    role: str | None = Field(None, validate_default=True)
    weekdays: int = ALL_WEEKDAYS
    end_minute: int = 1440
    start_minute: int = Field(0, validate_default=True)
    note: str = ""
    valid_until: datetime | None = None

    @field_validator("role")
    @classmethod
    def _role(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (value is None) == (info.data.get("account_id") is None):
            raise ValueError("grant to a role or to one account")
        if value is not None and value not in ROLES:
            raise ValueError(f"role is one of {', '.join(ROLES)}")
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: int) -> int:
        if not 0 < value <= ALL_WEEKDAYS:
            raise ValueError("weekdays is a non-empty set of Monday (1) … Sunday (64) bits")
        return value

    @field_validator("start_minute")
    @classmethod
    def _window(cls, value: int, info: ValidationInfo) -> int:
        end = info.data.get("end_minute")
        if end is None or not 0 <= value < end <= 1440:
            raise ValueError("the window is 0 ≤ start < end ≤ 1440 minutes of the local day")
        return value

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if len(value) > 200:
            raise ValueError("a note has at most 200 characters")
        return value.strip()

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: datetime | None) -> datetime | None:
        return None if value is None else aware(value)


class Card(_Input):
    """A card's number (``issueAccessCard``), normalised: no separators, upper case."""

    number: str

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        value = codes.normalise_card(value or "")
        if not (4 <= len(value) <= 32) or not value.isalnum():
            raise ValueError("a card number is 4–32 letters or digits")
        return value


class FaceReference(_Input):
    """The vendor's reference of a face template (``registerAccessFace``), stripped."""

    reference: str

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        value = _stripped(
            value, 8, 128, "the vendor's face reference is 8–128 printable characters"
        )
        if not value.isprintable():
            raise ValueError("the vendor's face reference is 8–128 printable characters")
        return value


class PassTerms(_Input):
    """A visitor, courier or service pass (``createVisitorPass``, ``createStaffPass``): a name,
    an aware window that ends after ``now`` (the service's clock) and lasts at most 7 days (24 h
    for staff passes), 1–50 entries, a plate (normalised, None when blank)."""

    visitor_name: str
    kind: str
    now: datetime
    valid_from: datetime
    valid_until: datetime
    max_entries: int = 1
    plate: str | None = None

    @field_validator("visitor_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _stripped(value, 1, 50, "the visitor's name is 1–50 characters")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in PASS_KINDS:
            raise ValueError(f"kind is one of {', '.join(PASS_KINDS)}")
        return value

    @field_validator("valid_from")
    @classmethod
    def _from(cls, value: datetime) -> datetime:
        return aware(value)

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: datetime, info: ValidationInfo) -> datetime:
        kind = info.data.get("kind")
        longest = STAFF_PASS_MAX if kind != "visitor" else RESIDENT_PASS_MAX
        return time_window(
            info.data.get("valid_from"),
            aware(value),
            now=info.data.get("now"),
            longest=longest,
            backwards="the pass ends after it starts",
            over="the pass would already be over",
            too_long=f"a {kind} pass lasts at most {longest}",
        )

    @field_validator("max_entries")
    @classmethod
    def _entries(cls, value: int) -> int:
        if not 1 <= value <= MAX_ENTRIES:
            raise ValueError(f"entries are 1–{MAX_ENTRIES}")
        return value

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return normalise_plate(value)


class Blacklisting(_Input):
    """A blacklist entry (``addToAccessBlacklist``): a reason, exactly one of an account, a card
    or a plate (normalised), an aware expiry."""

    reason: str
    card_number: str | None = None
    plate: str | None = None
    account_id: uuid.UUID | None = Field(None, validate_default=True)
    expires_at: datetime | None = None

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return normalise_plate(value)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return _stripped(value, 1, 200, "give a reason of at most 200 characters")

    @field_validator("account_id")
    @classmethod
    def _one(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        subjects = [s for s in (value, info.data.get("card_number"), info.data.get("plate")) if s]
        if len(subjects) != 1:
            raise ValueError("name one account, card or plate")
        return value

    @field_validator("expires_at")
    @classmethod
    def _expires(cls, value: datetime | None) -> datetime | None:
        return None if value is None else aware(value)


class SettingsChange(_Input):
    """The firm's access settings (``updateAccessSettings``); ``None`` keeps the current value."""

    retention_days: int | None = None
    qr_step_seconds: int | None = None

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 3650:
            raise ValueError("records are kept 1–3650 days")
        return value

    @field_validator("qr_step_seconds")
    @classmethod
    def _step(cls, value: int | None) -> int | None:
        if value is not None and not 10 <= value <= 300:
            raise ValueError("the QR step is 10–300 seconds")
        return value
