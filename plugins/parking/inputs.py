"""The parking plugin's inputs, validated with pydantic before anything is written.

The services parse their arguments through these models with
:func:`kernel.sdk.inputs.parse_input`, so a bad value answers BAD_USER_INPUT naming the GraphQL
field (``name``, ``capacity``, ``tariff``, ``code``, ``kind``, ``unitId``, ``direction``,
``pricePerKwhFen``, ``servicePerKwhFen``, ``limit``, ``validFrom``, ``validUntil``,
``monthlyFen``, ``startsAt``, ``endsAt``, ``priceFen``, ``reference``) whether it came from
GraphQL or a script. What needs the database (does the lot, space or window exist, is the name
taken, does the booking lie inside the lent window) is the services'.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kernel.sdk.inputs import aware, time_window
from plugins.parking.models import DIRECTIONS, SPACE_KINDS
from plugins.parking.tariff import Tariff

MAX_PLATES_PER_UNIT = 20
MAX_PASS = timedelta(days=366 * 3)
MAX_WINDOW = timedelta(days=31)
MIN_BOOKING = timedelta(minutes=30)


def _within(value: int, low: int, high: int, message: str) -> int:
    if not low <= value <= high:
        raise ValueError(message)
    return value


def _text(value: str | None, limit: int, message: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ValueError(message)
    return value


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class TariffSetting(_Input):
    """A lot's tariff and no-entry fee (``createParkingLot``, ``setParkingTariff``): every
    problem in one message, on ``tariff``."""

    no_entry_fee_fen: int
    tariff: Tariff

    @field_validator("tariff")
    @classmethod
    def _tariff(cls, value: Tariff, info: ValidationInfo) -> Tariff:
        problems = value.problems()
        fee = info.data.get("no_entry_fee_fen")
        if fee is not None and not 0 <= fee <= 10_000_000:
            problems.append("the no-entry fee is 0–10,000,000 fen")
        if problems:
            raise ValueError("; ".join(problems))
        return value


class NewLot(_Input):
    """A lot (``createParkingLot``): a stripped name and a capacity."""

    name: str
    capacity: int

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _text(value, 100, "a lot needs a name of at most 100 characters")

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: int) -> int:
        return _within(value, 0, 100_000, "capacity is 0–100,000 spaces")


class NewSpace(_Input):
    """A space (``addParkingSpace``): an owned or leased space names its unit, a visitor space
    none."""

    code: str
    kind: str
    unit_id: uuid.UUID | None = Field(None, validate_default=True)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _text(value, 32, "a space needs a code of at most 32 characters")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in SPACE_KINDS:
            raise ValueError(f"a space is one of {', '.join(SPACE_KINDS)}")
        return value

    @field_validator("unit_id")
    @classmethod
    def _unit(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        kind = info.data.get("kind")
        if kind in ("owned", "leased") and value is None:
            raise ValueError(f"an {kind} space names the unit that holds it")
        if kind == "visitor" and value is not None:
            raise ValueError("a visitor space belongs to no unit")
        return value


class Lane(_Input):
    """A barrier lane's direction (``addParkingGate``)."""

    direction: str

    @field_validator("direction")
    @classmethod
    def _direction(cls, value: str) -> str:
        if value not in DIRECTIONS:
            raise ValueError("a lane reads entries or exits")
        return value


class PilePrices(_Input):
    """A charging pile's prices per kWh (``addChargingPile``)."""

    price_per_kwh_fen: int
    service_per_kwh_fen: int

    @field_validator("price_per_kwh_fen", "service_per_kwh_fen")
    @classmethod
    def _price(cls, value: int) -> int:
        return _within(value, 0, 100_000, "a price per kWh is 0–100,000 fen")


class PlateLimit(_Input):
    """Plates a household may register (``setParkingPlateLimit``)."""

    limit: int

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int) -> int:
        return _within(
            value,
            1,
            MAX_PLATES_PER_UNIT,
            f"a household may register 1–{MAX_PLATES_PER_UNIT} plates",
        )


class PassTerms(_Input):
    """A monthly pass (``issueParkingPass``): aware times (UTC after parsing), forward, at most
    three years; a monthly price."""

    valid_from: datetime
    valid_until: datetime
    monthly_fen: int

    @field_validator("valid_from")
    @classmethod
    def _from(cls, value: datetime) -> datetime:
        return aware(value, utc=True)

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: datetime, info: ValidationInfo) -> datetime:
        message = "a pass runs forward, for at most three years"
        return time_window(info.data.get("valid_from"), aware(value, utc=True), longest=MAX_PASS, backwards=message, too_long=message)

    @field_validator("monthly_fen")
    @classmethod
    def _price(cls, value: int) -> int:
        return _within(value, 0, 10_000_000, "the monthly price is 0–10,000,000 fen")


class ShareOffer(_Input):
    """A window a space is lent in (``offerParkingSpace``): forward, at most 31 days; a price."""

    starts_at: datetime
    ends_at: datetime
    price_fen: int

    @field_validator("starts_at")
    @classmethod
    def _starts(cls, value: datetime) -> datetime:
        return aware(value, utc=True)

    @field_validator("ends_at")
    @classmethod
    def _ends(cls, value: datetime, info: ValidationInfo) -> datetime:
        message = "a window runs forward, for at most 31 days"
        return time_window(info.data.get("starts_at"), aware(value, utc=True), longest=MAX_WINDOW, backwards=message, too_long=message)

    @field_validator("price_fen")
    @classmethod
    def _price(cls, value: int) -> int:
        return _within(value, 0, 1_000_000, "the price is 0–1,000,000 fen")


class BookingTime(_Input):
    """A booking's time (``bookParkingSpace``): aware, at least 30 minutes."""

    starts_at: datetime
    ends_at: datetime

    @field_validator("starts_at")
    @classmethod
    def _starts(cls, value: datetime) -> datetime:
        return aware(value, utc=True)

    @field_validator("ends_at")
    @classmethod
    def _ends(cls, value: datetime, info: ValidationInfo) -> datetime:
        return time_window(
            info.data.get("starts_at"), aware(value, utc=True), shortest=MIN_BOOKING, too_short="a booking lasts at least 30 minutes"
        )


class Payment(_Input):
    """A fee paid at the gate (``payParkingSession``): a stripped reference."""

    reference: str

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        return _text(value, 64, "a payment reference of at most 64 characters")
