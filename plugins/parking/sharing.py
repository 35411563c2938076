"""Shared parking (共享车位): a space's holder lends it in time windows; other households book
inside a window. No double booking: a booking takes the space's row lock
(``SELECT … FOR UPDATE``) before it looks for overlapping bookings, so concurrent bookings of
one space run one after the other and the second sees the first (PostgreSQL, READ COMMITTED:
the check after the lock reads the committed rows). SQLite serialises writers on its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kernel.sdk import BadUserInput, Conflict, Event, NotFound
from kernel.sdk.estate import Unit
from kernel.sdk.inputs import parse_input
from plugins.parking.inputs import BookingTime, ShareOffer
from plugins.parking.models import ParkingSpace, ShareWindow, SpaceBooking
from plugins.parking.service import get, record


async def offer(
    session: Any,
    *,
    space_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    price_fen: int,
    actor: str,
    own_units: set[uuid.UUID] | None = None,
) -> ShareWindow:
    """Lend a space from ``starts_at`` to ``ends_at`` at ``price_fen`` per booking.
    ``own_units``: the caller's units when they act as a household (the space must be theirs;
    another household's space answers NOT_FOUND); None for staff."""
    space = await get(session, ParkingSpace, space_id, "parking space")
    if own_units is not None and space.unit_id not in own_units:
        raise NotFound("no such parking space")
    if space.kind == "visitor" or space.unit_id is None:
        raise BadUserInput("only a space held by a household can be lent", field="spaceId")
    spec = parse_input(ShareOffer, starts_at=starts_at, ends_at=ends_at, price_fen=price_fen)
    starts_at, ends_at = spec.starts_at, spec.ends_at
    clash = await session.scalar(
        select(ShareWindow.id).where(
            ShareWindow.space_id == space_id,
            ShareWindow.withdrawn.is_(False),
            ShareWindow.starts_at < ends_at,
            ShareWindow.ends_at > starts_at,
        )
    )
    if clash is not None:
        raise Conflict("the space is lent in an overlapping window already", field="startsAt")
    window = ShareWindow(
        id=uuid.uuid4(),
        space_id=space_id,
        starts_at=starts_at,
        ends_at=ends_at,
        price_fen=price_fen,
    )
    session.add(window)
    await session.flush()
    await record(session, actor, "space_offered", window.id, space_id=str(space_id))
    return window


async def book(
    bus: Any,
    session: Any,
    *,
    window_id: uuid.UUID,
    unit_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    actor: str,
    own_units: set[uuid.UUID] | None = None,
) -> SpaceBooking:
    """Book a lent space for ``unit_id`` inside the window. CONFLICT when the time overlaps a
    booking of the same space (checked under the space's row lock)."""
    tenant_id = session.info["tenant_id"]
    window = await get(session, ShareWindow, window_id, "share window")
    if own_units is not None and unit_id not in own_units:
        raise NotFound("no such unit")
    await get(session, Unit, unit_id, "unit")
    spec = parse_input(BookingTime, starts_at=starts_at, ends_at=ends_at)
    starts_at, ends_at = spec.starts_at, spec.ends_at
    if window.withdrawn or not (window.starts_at <= starts_at and ends_at <= window.ends_at):
        raise BadUserInput(
            "the booking must lie inside the window the space is lent in", field="startsAt"
        )
    # the lock that makes "check, then insert" safe: every booking of this space waits here
    space = await session.scalar(
        select(ParkingSpace).where(ParkingSpace.id == window.space_id).with_for_update()
    )
    if space is None:
        raise NotFound("no such parking space")
    if space.unit_id == unit_id:
        raise BadUserInput("a household does not book its own space", field="unitId")
    clash = await session.scalar(
        select(SpaceBooking.id).where(
            SpaceBooking.space_id == space.id,
            SpaceBooking.cancelled.is_(False),
            SpaceBooking.starts_at < ends_at,
            SpaceBooking.ends_at > starts_at,
        )
    )
    if clash is not None:
        raise Conflict("the space is booked for part of that time", field="startsAt")
    booking = SpaceBooking(
        id=uuid.uuid4(),
        space_id=space.id,
        window_id=window.id,
        unit_id=unit_id,
        starts_at=starts_at,
        ends_at=ends_at,
        price_fen=window.price_fen,
    )
    session.add(booking)
    await session.flush()
    await record(
        session, actor, "space_booked", booking.id, space_id=str(space.id), unit_id=str(unit_id)
    )
    await bus.publish(
        session,
        Event(
            "parking.space_booked",
            tenant_id,
            {
                "booking_id": str(booking.id),
                "space_id": str(space.id),
                "unit_id": str(unit_id),
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
            actor=actor,
        ),
    )
    return booking


async def cancel(
    session: Any, *, booking_id: uuid.UUID, actor: str, own_units: set[uuid.UUID] | None = None
) -> SpaceBooking:
    booking = await get(session, SpaceBooking, booking_id, "booking")
    if own_units is not None and booking.unit_id not in own_units:
        raise NotFound("no such booking")
    if booking.cancelled:
        raise Conflict("the booking is cancelled already")
    booking.cancelled = True
    await session.flush()
    await record(session, actor, "booking_cancelled", booking.id)
    return booking
