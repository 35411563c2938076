"""The fee plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the field (``code``, ``unitPrice``, ``meterUnit``,
``period``, ``transactionId``, ...) whether it came from GraphQL, the payment webhook or the
CLI. What needs the database (does the item exist, is the code taken) is the service's.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from plugins.fees.vocabulary import FeeItemKind, values

KINDS = values(FeeItemKind)
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_UNIT_PRICE = 10_000_000  # 100,000 yuan per m² / unit: anything above is a typo
MAX_PAYMENT = 100_000_000_00  # 100 million yuan
MAX_CONSUMPTION = 10_000_000


def _whole(value: object, message: str) -> int:
    """An int that is really one (not a bool, a float or a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(message)
    return value


class NewFeeItem(BaseModel):
    """``createFeeItem``: what is charged, how (``kind``), and at what unit price."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    kind: str
    unit_price: int
    meter_unit: str = ""

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> str:
        code = str(value or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
            raise ValueError("a fee item code is 1–32 letters, digits, - or _")
        return code

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        name = str(value or "").strip()
        if not name or len(name) > 100:
            raise ValueError("a fee item needs a name of at most 100 characters")
        return name

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> str:
        value = str(getattr(value, "value", value))
        if value not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}")
        return value

    @field_validator("unit_price", mode="before")
    @classmethod
    def _price(cls, value: object) -> int:
        price = _whole(value, f"unit price is 0–{MAX_UNIT_PRICE} fen")
        if not (0 <= price <= MAX_UNIT_PRICE):
            raise ValueError(f"unit price is 0–{MAX_UNIT_PRICE} fen")
        return price

    @field_validator("meter_unit", mode="before")
    @classmethod
    def _meter_unit(cls, value: object, info: ValidationInfo) -> str:
        unit = str(value or "").strip()
        if info.data.get("kind") == "meter" and not unit:
            raise ValueError("a meter item names its meter unit (kWh, m³)")
        return unit if info.data.get("kind") == "meter" else ""


class FeeItemChange(BaseModel):
    """``updateFeeItem``: a fee item's name, unit price, meter unit and whether it is billed
    (``active``). Its code and kind stay: bills already issued refer to them."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    unit_price: int
    meter_unit: str = ""
    active: bool = True

    _name = field_validator("name", mode="before")(NewFeeItem._name.__func__)  # type: ignore[attr-defined]
    _price = field_validator("unit_price", mode="before")(NewFeeItem._price.__func__)  # type: ignore[attr-defined]
    _meter_unit = field_validator("meter_unit", mode="before")(NewFeeItem._meter_unit.__func__)  # type: ignore[attr-defined]


class FixedCharge(BaseModel):
    """``assignFeeItem``: how many of a fixed item a unit is charged (parking spaces)."""

    model_config = ConfigDict(frozen=True)

    quantity: int

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: object) -> int:
        quantity = _whole(value, "quantity is 1–100")
        if not (1 <= quantity <= 100):
            raise ValueError("quantity is 1–100")
        return quantity


class Period(BaseModel):
    """A billing period, ``YYYY-MM``."""

    model_config = ConfigDict(frozen=True)

    period: str

    @field_validator("period", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        if not PERIOD.match(str(value or "")):
            raise ValueError("a period is YYYY-MM, e.g. 2026-11")
        return str(value)

    @property
    def year_month(self) -> tuple[int, int]:
        m = PERIOD.match(self.period)
        assert m is not None
        return int(m.group(1)), int(m.group(2))


class MeterReadingIn(Period):
    """``recordMeterReading``: the previous and current meter values of a period."""

    previous: int
    current: int

    @field_validator("previous")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(
                "readings are non-negative and the current one is not below the previous one"
            )
        return value

    @field_validator("current")
    @classmethod
    def _forward(cls, value: int, info: ValidationInfo) -> int:
        previous = info.data.get("previous")
        if previous is not None and not (0 <= value - previous <= MAX_CONSUMPTION):
            raise ValueError(
                "readings are non-negative and the current one is not below the previous one"
            )
        return value


class PaymentIn(BaseModel):
    """Money against a bill (the counter's ``recordFeePayment`` or a provider's webhook)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    transaction_id: str
    amount: int
    paid_at: datetime | None = None

    @field_validator("provider", mode="before")
    @classmethod
    def _provider(cls, value: object) -> str:
        provider = str(value or "").strip().lower()
        if not re.fullmatch(r"[a-z0-9_-]{1,32}", provider):
            raise ValueError("provider is 1–32 lowercase letters, digits, - or _")
        return provider

    @field_validator("transaction_id", mode="before")
    @classmethod
    def _transaction(cls, value: object) -> str:
        txn = str(value or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", txn):
            raise ValueError("transaction id is 1–64 letters, digits or _.:-")
        return txn

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: object) -> int:
        amount = _whole(value, "amount is a positive whole number of fen")
        if not (0 < amount <= MAX_PAYMENT):
            raise ValueError("amount is a positive whole number of fen")
        return amount

    @field_validator("paid_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("paid_at needs a time zone")
        return value
