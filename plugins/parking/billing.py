"""What the parking plugin puts on units' bills through the fees plugin's public hook
``fees_billing_lines`` (the same way the parcel-locker example bills overdue storage).

The amounts are computed here (tariffs, kWh prices, pass and booking prices), so every line's
quantity is an amount in fen, billed at a fee item the firm defines with a unit price of
**1 fen** (kind ``fixed``):

=================  ============================================================================
item code          quantity (fen), per unit, for the billed month (Asia/Shanghai)
=================  ============================================================================
``PARKING_FEE``    fees of ``billed`` stays that ended in the month (household cars, hosts'
                   visitors)
``PARKING_PASS``   monthly price of each monthly pass valid during part of the month
``PARKING_SHARE``  price of each booking of a lent space starting in the month
``EV_CHARGING``    electricity + service fee of charges that stopped in the month
=================  ============================================================================

A code the firm has not defined is not charged (the fees plugin skips it).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from plugins.parking.models import ChargingSession, MonthlyPass, ParkingSession, SpaceBooking

SHANGHAI = timezone(timedelta(hours=8))
PARKING_FEE, PARKING_PASS, PARKING_SHARE, EV_CHARGING = (
    "PARKING_FEE",
    "PARKING_PASS",
    "PARKING_SHARE",
    "EV_CHARGING",
)


@dataclass(frozen=True)
class BillingLine:
    unit_id: uuid.UUID
    item_code: str
    quantity: int


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a ``YYYY-MM`` month in Asia/Shanghai."""
    year, month = (int(p) for p in period.split("-"))
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


async def billing_lines(session: Any, period: str) -> list[BillingLine]:
    """The month's lines, one per (unit, item code), amounts added up; zero amounts left out."""
    start, end = month_bounds(period)
    totals: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    stays = await session.execute(
        select(ParkingSession.unit_id, ParkingSession.fee_fen).where(
            ParkingSession.settlement == "billed",
            ParkingSession.unit_id.is_not(None),
            ParkingSession.exit_at >= start,
            ParkingSession.exit_at < end,
        )
    )
    for unit_id, fee in stays.all():
        totals[(unit_id, PARKING_FEE)] += fee
    passes = await session.execute(
        select(MonthlyPass.unit_id, MonthlyPass.monthly_fen).where(
            MonthlyPass.revoked.is_(False),
            MonthlyPass.valid_from < end,
            MonthlyPass.valid_until > start,
        )
    )
    for unit_id, price in passes.all():
        totals[(unit_id, PARKING_PASS)] += price
    bookings = await session.execute(
        select(SpaceBooking.unit_id, SpaceBooking.price_fen).where(
            SpaceBooking.cancelled.is_(False),
            SpaceBooking.starts_at >= start,
            SpaceBooking.starts_at < end,
        )
    )
    for unit_id, price in bookings.all():
        totals[(unit_id, PARKING_SHARE)] += price
    charges = await session.execute(
        select(
            ChargingSession.unit_id, ChargingSession.energy_fen + ChargingSession.service_fen
        ).where(
            ChargingSession.status != "charging",
            ChargingSession.unit_id.is_not(None),
            ChargingSession.stopped_at >= start,
            ChargingSession.stopped_at < end,
        )
    )
    for unit_id, amount in charges.all():
        totals[(unit_id, EV_CHARGING)] += amount
    return [
        BillingLine(unit, code, qty)
        for (unit, code), qty in sorted(totals.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
        if qty > 0
    ]
