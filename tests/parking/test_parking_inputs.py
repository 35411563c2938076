"""The parking plugin's input models: each bad value is BAD_USER_INPUT naming the GraphQL field,
with the message the services used to write by hand; good values come back normalised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kernel.sdk import BadUserInput
from kernel.sdk.inputs import parse_input
from plugins.parking.inputs import (
    BookingTime,
    Lane,
    NewLot,
    NewSpace,
    PassTerms,
    Payment,
    PilePrices,
    PlateLimit,
    ShareOffer,
    TariffSetting,
)
from plugins.parking.tariff import Tariff

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
UNIT = uuid.uuid4()


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        (
            NewLot,
            {"name": "  ", "capacity": 10},
            "name",
            "a lot needs a name of at most 100 characters",
        ),
        (
            NewLot,
            {"name": "x" * 101, "capacity": 10},
            "name",
            "a lot needs a name of at most 100 characters",
        ),
        (NewLot, {"name": "A", "capacity": 100_001}, "capacity", "capacity is 0–100,000 spaces"),
        (
            TariffSetting,
            {"tariff": Tariff(free_minutes=-1), "no_entry_fee_fen": 0},
            "tariff",
            "free minutes are 0–1440",
        ),
        (
            TariffSetting,
            {"tariff": Tariff(), "no_entry_fee_fen": -1},
            "tariff",
            "the no-entry fee is 0–10,000,000 fen",
        ),
        (
            NewSpace,
            {"code": "", "kind": "visitor"},
            "code",
            "a space needs a code of at most 32 characters",
        ),
        (
            NewSpace,
            {"code": "B1", "kind": "garage"},
            "kind",
            "a space is one of owned, leased, visitor, shared",
        ),
        (
            NewSpace,
            {"code": "B1", "kind": "owned"},
            "unitId",
            "an owned space names the unit that holds it",
        ),
        (
            NewSpace,
            {"code": "B1", "kind": "visitor", "unit_id": UNIT},
            "unitId",
            "a visitor space belongs to no unit",
        ),
        (Lane, {"direction": "sideways"}, "direction", "a lane reads entries or exits"),
        (
            PilePrices,
            {"price_per_kwh_fen": -1, "service_per_kwh_fen": 0},
            "pricePerKwhFen",
            "a price per kWh is 0–100,000 fen",
        ),
        (
            PilePrices,
            {"price_per_kwh_fen": 0, "service_per_kwh_fen": 100_001},
            "servicePerKwhFen",
            "a price per kWh is 0–100,000 fen",
        ),
        (PlateLimit, {"limit": 0}, "limit", "a household may register 1–20 plates"),
        (
            PassTerms,
            {"valid_from": datetime(2026, 3, 1), "valid_until": T0, "monthly_fen": 0},
            "validFrom",
            "give the time with a time zone",
        ),
        (
            PassTerms,
            {"valid_from": T0, "valid_until": T0 + timedelta(days=366 * 3 + 1), "monthly_fen": 0},
            "validUntil",
            "a pass runs forward, for at most three years",
        ),
        (
            PassTerms,
            {"valid_from": T0, "valid_until": T0 + timedelta(days=30), "monthly_fen": 10_000_001},
            "monthlyFen",
            "the monthly price is 0–10,000,000 fen",
        ),
        (
            ShareOffer,
            {"starts_at": T0, "ends_at": T0, "price_fen": 0},
            "endsAt",
            "a window runs forward, for at most 31 days",
        ),
        (
            ShareOffer,
            {"starts_at": T0, "ends_at": T0 + timedelta(hours=2), "price_fen": -5},
            "priceFen",
            "the price is 0–1,000,000 fen",
        ),
        (
            BookingTime,
            {"starts_at": T0, "ends_at": T0 + timedelta(minutes=29)},
            "endsAt",
            "a booking lasts at least 30 minutes",
        ),
        (Payment, {"reference": " "}, "reference", "a payment reference of at most 64 characters"),
    ],
)
def test_bad_values_are_bad_user_input_naming_the_field(model, fields, field, message):
    with pytest.raises(BadUserInput) as caught:
        parse_input(model, **fields)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == field
    assert caught.value.message == message


def test_good_values_are_normalised():
    assert parse_input(NewLot, name=" 地下车库 ", capacity=0).name == "地下车库"
    assert parse_input(NewSpace, code=" B-01 ", kind="leased", unit_id=UNIT).code == "B-01"
    assert parse_input(Payment, reference=" WX123 ").reference == "WX123"
    beijing = timezone(timedelta(hours=8))
    terms = parse_input(
        PassTerms,
        valid_from=datetime(2026, 3, 1, 8, tzinfo=beijing),
        valid_until=datetime(2026, 4, 1, 8, tzinfo=beijing),
        monthly_fen=30_000,
    )
    assert terms.valid_from == datetime(2026, 3, 1, 0, tzinfo=UTC)
    assert terms.valid_from.tzinfo is UTC
    assert parse_input(
        BookingTime, starts_at=T0, ends_at=T0 + timedelta(minutes=30)
    ).ends_at == T0 + timedelta(minutes=30)
