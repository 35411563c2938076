"""What staff and households do with parking: lots and tariffs, spaces, barrier lanes and
charging piles, registered plates (with the per-unit limit), monthly passes, visitor plates from
visitor passes, payments at the gate. Owns audit and events for these writes.

Barrier reads are :mod:`plugins.parking.sessions`, lending and booking spaces
:mod:`plugins.parking.sharing`, charging :mod:`plugins.parking.charging`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import BadUserInput, Conflict, Event, NotFound, audit, devices
from kernel.sdk.estate import Community, Unit
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.parking.inputs import (
    Lane,
    NewLot,
    NewSpace,
    PassTerms,
    Payment,
    PilePrices,
    PlateLimit,
    TariffSetting,
)
from plugins.parking.models import (
    ChargingPile,
    MonthlyPass,
    ParkingGate,
    ParkingLot,
    ParkingPolicy,
    ParkingSession,
    ParkingSpace,
    Vehicle,
    VisitorPlate,
)
from plugins.parking.plates import normalize_plate, require_plate, seal
from plugins.parking.tariff import Tariff

BARRIER_TYPE = "parking_barrier"
CHARGER_TYPE = "ev_charger"
DEFAULT_PLATES_PER_UNIT = 3


async def record(session: Any, actor: str, action: str, target: Any, **detail: Any) -> None:
    """One audit entry (``parking.<action>``) in the change's transaction. No plate in clear."""
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"parking.{action}",
        target=str(target),
        detail=detail,
    )


async def get(session: Any, model: type, row_id: uuid.UUID, what: str) -> Any:
    """The row of this tenant, or NOT_FOUND (an unknown id and another firm's look the same)."""
    row = await session.scalar(select(model).where(model.id == row_id))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no such {what}")
    return row


def tariff_of(lot: ParkingLot) -> Tariff:
    return Tariff(
        free_minutes=lot.free_minutes,
        hourly_fen=lot.hourly_fen,
        night_hourly_fen=lot.night_hourly_fen,
        night_start=lot.night_start,
        night_end=lot.night_end,
        daily_cap_fen=lot.daily_cap_fen,
    )


def _check_tariff(tariff: Tariff, no_entry_fee_fen: int) -> None:
    parse_input(TariffSetting, tariff=tariff, no_entry_fee_fen=no_entry_fee_fen)


def _apply_tariff(lot: ParkingLot, tariff: Tariff, no_entry_fee_fen: int) -> None:
    lot.free_minutes = tariff.free_minutes
    lot.hourly_fen = tariff.hourly_fen
    lot.night_hourly_fen = tariff.night_hourly_fen
    lot.night_start = tariff.night_start
    lot.night_end = tariff.night_end
    lot.daily_cap_fen = tariff.daily_cap_fen
    lot.no_entry_fee_fen = no_entry_fee_fen


# -- lots, spaces, lanes, piles -------------------------------------------------------------------


async def create_lot(
    session: Any,
    *,
    community_id: uuid.UUID,
    name: str,
    capacity: int,
    tariff: Tariff,
    no_entry_fee_fen: int,
    actor: str,
) -> ParkingLot:
    name = parse_input(NewLot, name=name, capacity=capacity).name
    _check_tariff(tariff, no_entry_fee_fen)
    await get(session, Community, community_id, "community")
    if await session.scalar(
        select(ParkingLot.id).where(
            ParkingLot.community_id == community_id, ParkingLot.name == name
        )
    ):
        raise Conflict(f"the community has a lot named {name!r}", field="name")
    lot = ParkingLot(id=uuid.uuid4(), community_id=community_id, name=name, capacity=capacity)
    _apply_tariff(lot, tariff, no_entry_fee_fen)
    session.add(lot)
    await session.flush()
    await record(session, actor, "lot_created", lot.id, capacity=capacity)
    return lot


async def set_tariff(
    session: Any, *, lot_id: uuid.UUID, tariff: Tariff, no_entry_fee_fen: int, actor: str
) -> ParkingLot:
    """A new tariff applies to cars leaving from now on (fees are computed at exit)."""
    lot = await get(session, ParkingLot, lot_id, "parking lot")
    _check_tariff(tariff, no_entry_fee_fen)
    _apply_tariff(lot, tariff, no_entry_fee_fen)
    await session.flush()
    await record(
        session, actor, "tariff_set", lot.id, **tariff.__dict__, no_entry_fee_fen=no_entry_fee_fen
    )
    return lot


async def add_space(
    session: Any, *, lot_id: uuid.UUID, code: str, kind: str, unit_id: uuid.UUID | None, actor: str
) -> ParkingSpace:
    await get(session, ParkingLot, lot_id, "parking lot")
    code = parse_input(NewSpace, code=code, kind=kind, unit_id=unit_id).code
    if unit_id is not None:
        await get(session, Unit, unit_id, "unit")
    if await session.scalar(
        select(ParkingSpace.id).where(ParkingSpace.lot_id == lot_id, ParkingSpace.code == code)
    ):
        raise Conflict(f"the lot has a space {code!r}", field="code")
    space = ParkingSpace(id=uuid.uuid4(), lot_id=lot_id, code=code, kind=kind, unit_id=unit_id)
    session.add(space)
    await session.flush()
    await record(session, actor, "space_added", space.id, kind=kind)
    return space


async def _device_of_type(session: Any, device_id: uuid.UUID, device_type: str) -> Any:
    try:
        device = await devices.get_device(session, device_id)
    except NotFound:
        raise NotFound("no such device") from None
    if device.type != device_type:
        raise BadUserInput(f"the device is a {device.type}, not a {device_type}", field="deviceId")
    return device


async def add_gate(
    session: Any, *, lot_id: uuid.UUID, device_id: uuid.UUID, direction: str, actor: str
) -> ParkingGate:
    """Make a ``parking_barrier`` device a lane of the lot, reading entries or exits."""
    await get(session, ParkingLot, lot_id, "parking lot")
    parse_input(Lane, direction=direction)
    await _device_of_type(session, device_id, BARRIER_TYPE)
    if await session.scalar(select(ParkingGate.id).where(ParkingGate.device_id == device_id)):
        raise Conflict("the device is a lane already", field="deviceId")
    gate = ParkingGate(id=uuid.uuid4(), lot_id=lot_id, device_id=device_id, direction=direction)
    session.add(gate)
    await session.flush()
    await record(session, actor, "gate_added", gate.id, direction=direction)
    return gate


async def add_pile(
    session: Any,
    *,
    device_id: uuid.UUID,
    lot_id: uuid.UUID | None,
    price_per_kwh_fen: int,
    service_per_kwh_fen: int,
    actor: str,
) -> ChargingPile:
    await _device_of_type(session, device_id, CHARGER_TYPE)
    if lot_id is not None:
        await get(session, ParkingLot, lot_id, "parking lot")
    parse_input(
        PilePrices, price_per_kwh_fen=price_per_kwh_fen, service_per_kwh_fen=service_per_kwh_fen
    )
    if await session.scalar(select(ChargingPile.id).where(ChargingPile.device_id == device_id)):
        raise Conflict("the device is a charging pile already", field="deviceId")
    pile = ChargingPile(
        id=uuid.uuid4(),
        device_id=device_id,
        lot_id=lot_id,
        price_per_kwh_fen=price_per_kwh_fen,
        service_per_kwh_fen=service_per_kwh_fen,
    )
    session.add(pile)
    await session.flush()
    await record(session, actor, "pile_added", pile.id)
    return pile


async def occupancy(session: Any, lot_id: uuid.UUID) -> int:
    """Cars inside the lot now: its sessions with no exit."""
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count())
            .select_from(ParkingSession)
            .where(ParkingSession.lot_id == lot_id, ParkingSession.exit_at.is_(None))
        )
        or 0
    )


# -- registered plates ------------------------------------------------------------------------------


async def plates_per_unit(session: Any) -> int:
    row = await session.scalar(select(ParkingPolicy))
    return row.plates_per_unit if row is not None else DEFAULT_PLATES_PER_UNIT


async def set_plates_per_unit(session: Any, *, limit: int, actor: str) -> int:
    parse_input(PlateLimit, limit=limit)
    row = await session.scalar(select(ParkingPolicy))
    if row is None:
        session.add(ParkingPolicy(tenant_id=session.info["tenant_id"], plates_per_unit=limit))
    else:
        row.plates_per_unit = limit
    await session.flush()
    await record(session, actor, "plate_limit_set", session.info["tenant_id"], limit=limit)
    return limit


async def register_vehicle(
    vault: Any, session: Any, *, unit_id: uuid.UUID, plate: str, actor: str
) -> Vehicle:
    """Register a household's plate. The limit per unit holds under concurrency: each plate
    takes a numbered slot of its unit, unique in the table."""
    tenant_id = session.info["tenant_id"]
    plate = require_plate(plate)
    await get(session, Unit, unit_id, "unit")
    sealed = seal(vault, tenant_id, plate)
    if await session.scalar(select(Vehicle.id).where(Vehicle.plate_digest == sealed.digest)):
        raise Conflict("this plate is registered already", field="plate")
    limit = await plates_per_unit(session)
    taken = set(
        (await session.scalars(select(Vehicle.slot).where(Vehicle.unit_id == unit_id))).all()
    )
    free = next((s for s in range(1, limit + 1) if s not in taken), None)
    if free is None:
        raise Conflict(
            f"the household has {len(taken)} plates registered; the limit is {limit}", field="plate"
        )
    vehicle = Vehicle(
        id=uuid.uuid4(),
        unit_id=unit_id,
        slot=free,
        plate_digest=sealed.digest,
        plate_enc=sealed.enc,
        plate_masked=sealed.masked,
    )
    try:
        # the row joins the savepoint: a clash rolls back only it
        async with session.begin_nested():
            session.add(vehicle)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "the plate or the household's last free slot was just taken; retry", field="plate"
        ) from None
    await record(
        session, actor, "vehicle_registered", vehicle.id, unit_id=str(unit_id), plate=sealed.masked
    )
    return vehicle


async def remove_vehicle(session: Any, *, vehicle_id: uuid.UUID, actor: str) -> Vehicle:
    vehicle = await get(session, Vehicle, vehicle_id, "vehicle")
    for p in await session.scalars(select(MonthlyPass).where(MonthlyPass.vehicle_id == vehicle_id)):
        await session.delete(p)
    await session.delete(vehicle)
    await session.flush()
    await record(session, actor, "vehicle_removed", vehicle_id, plate=vehicle.plate_masked)
    return vehicle


# -- monthly passes ---------------------------------------------------------------------------------


async def issue_pass(
    session: Any,
    *,
    lot_id: uuid.UUID,
    vehicle_id: uuid.UUID,
    valid_from: datetime,
    valid_until: datetime,
    monthly_fen: int,
    actor: str,
) -> MonthlyPass:
    lot = await get(session, ParkingLot, lot_id, "parking lot")
    vehicle = await get(session, Vehicle, vehicle_id, "vehicle")
    terms = parse_input(
        PassTerms, valid_from=valid_from, valid_until=valid_until, monthly_fen=monthly_fen
    )
    valid_from, valid_until = terms.valid_from, terms.valid_until
    overlapping = await session.scalar(
        select(MonthlyPass.id).where(
            MonthlyPass.lot_id == lot.id,
            MonthlyPass.vehicle_id == vehicle.id,
            MonthlyPass.revoked.is_(False),
            MonthlyPass.valid_from < valid_until,
            MonthlyPass.valid_until > valid_from,
        )
    )
    if overlapping is not None:
        raise Conflict("the car has a pass for this lot in that time already", field="validFrom")
    row = MonthlyPass(
        id=uuid.uuid4(),
        lot_id=lot.id,
        vehicle_id=vehicle.id,
        unit_id=vehicle.unit_id,
        plate_digest=vehicle.plate_digest,
        valid_from=valid_from,
        valid_until=valid_until,
        monthly_fen=monthly_fen,
    )
    session.add(row)
    await session.flush()
    await record(
        session, actor, "pass_issued", row.id, lot_id=str(lot.id), plate=vehicle.plate_masked
    )
    return row


async def revoke_pass(session: Any, *, pass_id: uuid.UUID, actor: str) -> MonthlyPass:
    row = await get(session, MonthlyPass, pass_id, "monthly pass")
    if row.revoked:
        raise Conflict("the pass is revoked already")
    row.revoked = True
    await session.flush()
    await record(session, actor, "pass_revoked", row.id)
    return row


# -- visitor plates (from access.pass_created) -------------------------------------------------------


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _pass_id(payload: dict[str, Any]) -> uuid.UUID | None:
    """The pass's id: ``pass_id`` as the access plugin names it (``id`` accepted too)."""
    return _uuid(payload.get("pass_id") or payload.get("id"))


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _published_plate(vault: Any, tenant_id: uuid.UUID, p: dict[str, Any]) -> Any:
    """The plate a pass event carries: ``plate_enc`` opened with the tenant's key, else a clear
    ``plate``; None when neither is usable (a ciphertext of another tenant does not open)."""
    enc = p.get("plate_enc")
    if isinstance(enc, str) and enc:
        try:
            return vault.decrypt(tenant_id, enc)
        except Exception:  # forged, truncated or another tenant's: no plate
            return None
    return p.get("plate")


async def visitor_pass_created(
    vault: Any, session: Any, tenant_id: uuid.UUID, payload: Any
) -> VisitorPlate | None:
    """``access.pass_created`` → the visitor's plate, expected inside the pass window.

    The payload (published by the access plugin, ``plugins/access/service.py`` ``pass_payload``;
    read defensively, nothing imported): ``{pass_id, community_id, kind, plate_enc, plate_masked,
    valid_from, valid_until, max_entries, point_ids, host_account_id}`` — ``plate_enc`` is the plate
    encrypted with the tenant's key, so no plate sits in clear in the outbox (a publisher's clear
    ``plate`` is still read) — plus an optional ``unit_id`` (the host's unit, when a publisher knows
    it). A pass without a plate, or with an unusable field, is ignored; a redelivered event
    changes nothing (unique per pass id).
    """
    p = payload if isinstance(payload, dict) else {}
    pass_id = _pass_id(p)
    plate = normalize_plate(_published_plate(vault, tenant_id, p))
    valid_from, valid_until = _moment(p.get("valid_from")), _moment(p.get("valid_until"))
    if (
        pass_id is None
        or plate is None
        or valid_from is None
        or valid_until is None
        or valid_until <= valid_from
    ):
        return None
    if p.get("tenant") not in (None, str(tenant_id)):
        return None  # an event naming another tenant is not ours to act on
    existing = await session.scalar(select(VisitorPlate).where(VisitorPlate.pass_id == pass_id))
    if existing is not None:
        return existing
    unit_id = _uuid(p.get("unit_id"))
    if (
        unit_id is not None
        and await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None
    ):
        unit_id = None
    sealed = seal(vault, tenant_id, plate)
    row = VisitorPlate(
        id=uuid.uuid4(),
        pass_id=pass_id,
        community_id=_uuid(p.get("community_id")),
        unit_id=unit_id,
        plate_digest=sealed.digest,
        plate_enc=sealed.enc,
        plate_masked=sealed.masked,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    try:
        # the row joins the savepoint: a clash rolls back only it
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same event delivered concurrently
        return await session.scalar(select(VisitorPlate).where(VisitorPlate.pass_id == pass_id))
    await record(
        session, "event:access.pass_created", "visitor_plate_added", row.id, plate=sealed.masked
    )
    return row


async def visitor_pass_revoked(session: Any, payload: Any) -> bool:
    """``access.pass_revoked`` ``{pass_id, ...}``: the plate is no longer expected."""
    pass_id = _pass_id(payload if isinstance(payload, dict) else {})
    row = (
        await session.scalar(select(VisitorPlate).where(VisitorPlate.pass_id == pass_id))
        if pass_id
        else None
    )
    if row is None or row.revoked:
        return False
    row.revoked = True
    await session.flush()
    return True


# -- payment at the gate ---------------------------------------------------------------------------


async def pay_session(
    runtime: Runtime, session: Any, *, session_id: uuid.UUID, reference: str, actor: str
) -> ParkingSession:
    """A temporary car's fee paid at the exit (cashier, kiosk or scan-to-pay): the session is
    settled and the exit lane that stopped the car is told to raise its barrier."""
    tenant_id = session.info["tenant_id"]
    reference = parse_input(Payment, reference=reference).reference
    row = await session.scalar(
        select(ParkingSession).where(ParkingSession.id == session_id).with_for_update()
    )
    if row is None:
        raise NotFound("no such parking session")
    if row.settlement != "due":
        raise Conflict(f"the session is {row.settlement}; only a fee due can be paid")
    if row.exit_device_id is not None:
        # the command is queued in its own transaction (the device sees it at once), before this
        # one writes: on SQLite a second writer would wait for this one
        await devices.send_command(runtime, tenant_id, row.exit_device_id, "raise", {}, actor=actor)
    row.paid_fen = row.fee_fen
    row.settlement = "paid"
    row.payment_reference = reference
    await session.flush()
    await record(session, actor, "session_paid", row.id, fee_fen=row.fee_fen, reference=reference)
    await runtime.bus.publish(
        session,
        Event(
            "parking.session_paid",
            tenant_id,
            {"session_id": str(row.id), "lot_id": str(row.lot_id), "fee_fen": row.fee_fen},
            actor=actor,
        ),
    )
    return row
