"""Parking sessions from barrier-gate reads (a ``parking_barrier`` lane's plate telemetry).

The rules, in the order a read is handled (docs/parking.md repeats them for integrators):

* **Same message twice** (same lane, same reading time ``ts``): one read; the second delivery
  answers the first one's decision and changes nothing.
* **Entry** of a plate with no open session in the lot opens one (``entered``). An entry of a
  plate already inside is a **duplicate entry** (a second camera frame, a car reversing at the
  barrier): the open session is kept, the barrier still rises. One open session per lot and
  plate is a unique index, so two concurrent reads cannot open two.
* **Exit** of a plate inside closes its session at the reading time and prices it
  (:func:`settle`).
* **Exit with no open session**: if the plate's last session in this lot ended at most
  :data:`EXIT_DEBOUNCE` earlier, a **duplicate exit** (the same car read again at the barrier:
  the first decision is repeated). Otherwise the car **left without an entry on record** (an
  entry camera missed it, or it came in before the system): a session with no entry time,
  charged the lot's flat ``no_entry_fee_fen`` unless a pass covers it — a rule, not an error.

**Settling** a stay at exit, first match wins: a monthly pass of the lot valid at the exit time
covers it (``covered``, free); a plate registered by a household is billed to that unit through
fees (``billed``); a visitor plate whose pass window holds the entry (or the exit, when the
entry is missing) is billed to the host's unit, or ``covered`` when the pass names none (staff
passes for couriers and services); any other car is a temporary car: ``free`` within the
free minutes, else ``due`` — the barrier stays down until the fee is paid. Fees come from the
pure :mod:`plugins.parking.tariff`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import Event
from kernel.sdk.runtime import Runtime
from plugins.parking import live
from plugins.parking.models import (
    GateEvent,
    MonthlyPass,
    ParkingGate,
    ParkingLot,
    ParkingSession,
    Vehicle,
    VisitorPlate,
)
from plugins.parking.plates import normalize_plate, plate_digest
from plugins.parking.service import tariff_of
from plugins.parking.tariff import Tariff, epoch_seconds, parking_fee

#: Outcomes that change how many cars are inside (live occupancy subscribers are told).
OCCUPANCY_OUTCOMES = frozenset({"entered", "left", "payment_due"})
#: A second exit read of the same plate within this time of its last exit is the same car.
EXIT_DEBOUNCE = timedelta(minutes=5)


@dataclass(frozen=True)
class GateDecision:
    """What a lane is told about one read."""

    outcome: str
    allowed: bool
    fee_fen: int
    session_id: uuid.UUID | None
    lot_id: uuid.UUID
    device_id: uuid.UUID
    direction: str
    plate_masked: str

    def payload(self) -> dict[str, Any]:
        return {
            "lot_id": str(self.lot_id),
            "device_id": str(self.device_id),
            "direction": self.direction,
            "outcome": self.outcome,
            "allowed": self.allowed,
            "fee_fen": self.fee_fen,
            "session_id": str(self.session_id) if self.session_id else None,
            "plate_masked": self.plate_masked,
        }


def _decision(gate: Lane, direction: str, row: GateEvent) -> GateDecision:
    return GateDecision(
        row.outcome,
        row.allowed,
        row.fee_fen,
        row.session_id,
        gate.lot_id,
        gate.device_id,
        direction,
        row.plate_masked,
    )


async def _covering_pass(
    session: Any, lot_id: uuid.UUID, digest: str, at: datetime
) -> MonthlyPass | None:
    return await session.scalar(
        select(MonthlyPass)
        .where(
            MonthlyPass.lot_id == lot_id,
            MonthlyPass.plate_digest == digest,
            MonthlyPass.revoked.is_(False),
            MonthlyPass.valid_from <= at,
            MonthlyPass.valid_until > at,
        )
        .limit(1)
    )


async def _visitor(session: Any, lot: Lane, digest: str, at: datetime) -> VisitorPlate | None:
    return await session.scalar(
        select(VisitorPlate)
        .where(
            VisitorPlate.plate_digest == digest,
            VisitorPlate.revoked.is_(False),
            VisitorPlate.valid_from <= at,
            VisitorPlate.valid_until > at,
            (VisitorPlate.community_id.is_(None)) | (VisitorPlate.community_id == lot.community_id),
        )
        .order_by(VisitorPlate.valid_from)
        .limit(1)
    )


async def settle(session: Any, lot: Lane, row: ParkingSession, exit_at: datetime) -> None:
    """Close ``row`` at ``exit_at``: its kind, fee, the unit billed and the settlement."""
    row.exit_at = exit_at
    if row.entry_at is None:
        fee = lot.no_entry_fee_fen
    else:
        fee = parking_fee(lot.tariff, epoch_seconds(row.entry_at), epoch_seconds(exit_at))
    if await _covering_pass(session, lot.lot_id, row.plate_digest, exit_at) is not None:
        row.kind, row.fee_fen, row.settlement = "pass", 0, "covered"
        return
    unit_id = await session.scalar(
        select(Vehicle.unit_id).where(Vehicle.plate_digest == row.plate_digest)
    )
    if unit_id is not None:
        row.kind, row.unit_id, row.fee_fen = "household", unit_id, fee
        row.settlement = "billed" if fee else "free"
        return
    visitor = await _visitor(session, lot, row.plate_digest, row.entry_at or exit_at)
    if visitor is not None:
        row.kind, row.unit_id = "visitor", visitor.unit_id
        row.fee_fen = fee if visitor.unit_id is not None else 0
        row.settlement = "billed" if row.fee_fen else "covered"
        return
    row.kind, row.fee_fen = "temporary", fee
    row.settlement = "due" if fee else "free"


async def _open_session(session: Any, lot_id: uuid.UUID, digest: str) -> ParkingSession | None:
    return await session.scalar(
        select(ParkingSession).where(
            ParkingSession.lot_id == lot_id,
            ParkingSession.plate_digest == digest,
            ParkingSession.exit_at.is_(None),
        )
    )


@dataclass(frozen=True)
class Lane:
    """A lane and the terms of its lot, as plain values: looked up once per transaction (a batch
    of reads shares them) and unaffected by a savepoint rollback expiring ORM rows."""

    device_id: uuid.UUID
    lot_id: uuid.UUID
    direction: str
    community_id: uuid.UUID
    tariff: Tariff
    no_entry_fee_fen: int


async def _lane(session: Any, device_id: uuid.UUID) -> Lane | None:
    cache = session.info.setdefault("parking.lanes", {})
    if device_id not in cache:
        gate = await session.scalar(select(ParkingGate).where(ParkingGate.device_id == device_id))
        lot = None
        if gate is not None:
            lot = await session.scalar(select(ParkingLot).where(ParkingLot.id == gate.lot_id))
        cache[device_id] = (
            Lane(
                device_id,
                lot.id,
                gate.direction,
                lot.community_id,
                tariff_of(lot),
                lot.no_entry_fee_fen,
            )
            if gate is not None and lot is not None
            else None
        )
    return cache[device_id]  # type: ignore[no-any-return]


async def process_read(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    *,
    device_id: uuid.UUID,
    ts: int,
    plate: Any,
    direction: str | None = None,
    publish: bool = True,
) -> GateDecision | None:
    """Handle one plate read of a lane (``ts``: the reading's epoch milliseconds). Returns the
    decision, or None when the device is no lane or the plate unreadable (logged by the lane's
    telemetry, nothing to decide)."""
    plate = normalize_plate(plate)
    if plate is None:
        return None
    lane = await _lane(session, device_id)
    if lane is None:
        return None
    lot = lane
    direction = direction if direction in ("entry", "exit") else lane.direction
    seen = await session.scalar(
        select(GateEvent).where(GateEvent.device_id == device_id, GateEvent.ts == ts)
    )
    if seen is not None:
        return _decision(lane, seen.direction, seen)
    digest = plate_digest(runtime.vault, tenant_id, plate)
    at = datetime.fromtimestamp(ts // 1000, tz=UTC)
    masked = plate[:2] + "***" + plate[-2:]
    if direction == "entry":
        row, outcome = await _enter(runtime, session, tenant_id, lot, digest, plate, masked, at)
        allowed = True
    else:
        row, outcome = await _leave(
            runtime, session, tenant_id, lot, digest, plate, masked, at, device_id
        )
        allowed = row.settlement != "due"
        if outcome == "left" and not allowed:
            outcome = "payment_due"
    event = GateEvent(
        id=uuid.uuid4(),
        lot_id=lot.lot_id,
        device_id=device_id,
        ts=ts,
        direction=direction,
        plate_masked=masked,
        outcome=outcome,
        allowed=allowed,
        session_id=row.id,
        fee_fen=row.fee_fen if direction == "exit" else 0,
    )
    session.add(event)
    await session.flush()
    if outcome in OCCUPANCY_OUTCOMES:
        await live.lot_changed(runtime, session, tenant_id, lot.lot_id)
    decision = _decision(lane, direction, event)
    if publish:
        await runtime.bus.publish(
            session, Event("parking.gate_decision", tenant_id, decision.payload())
        )
    return decision


async def _enter(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    lot: Lane,
    digest: str,
    plate: str,
    masked: str,
    at: datetime,
) -> tuple[ParkingSession, str]:
    current = await _open_session(session, lot.lot_id, digest)
    if current is not None:
        return current, "duplicate_entry"
    row = ParkingSession(
        id=uuid.uuid4(),
        lot_id=lot.lot_id,
        plate_digest=digest,
        plate_enc=runtime.vault.encrypt(tenant_id, plate),
        plate_masked=masked,
        entry_at=at,
    )
    try:
        # the row joins the savepoint: a clash rolls back only it
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # a concurrent read of the same car opened it first
        if row in session:
            session.expunge(row)
        current = await _open_session(session, lot.lot_id, digest)
        assert current is not None
        return current, "duplicate_entry"
    return row, "entered"


async def _leave(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    lot: Lane,
    digest: str,
    plate: str,
    masked: str,
    at: datetime,
    device_id: uuid.UUID,
) -> tuple[ParkingSession, str]:
    current = await _open_session(session, lot.lot_id, digest)
    if current is not None:
        current.exit_device_id = device_id
        await settle(session, lot, current, max(at, current.entry_at or at))
        return current, "left"
    last = await session.scalar(
        select(ParkingSession)
        .where(
            ParkingSession.lot_id == lot.lot_id,
            ParkingSession.plate_digest == digest,
            ParkingSession.exit_at.is_not(None),
        )
        .order_by(ParkingSession.exit_at.desc())
        .limit(1)
    )
    if last is not None and last.exit_at is not None and at - last.exit_at <= EXIT_DEBOUNCE:
        return last, "duplicate_exit"
    row = ParkingSession(
        id=uuid.uuid4(),
        lot_id=lot.lot_id,
        plate_digest=digest,
        plate_enc=runtime.vault.encrypt(tenant_id, plate),
        plate_masked=masked,
        entry_missing=True,
        exit_device_id=device_id,
    )
    await settle(session, lot, row, at)
    session.add(row)
    return row, "left_without_entry"


async def on_telemetry_event(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, payload: Any
) -> GateDecision | None:
    """A ``device.telemetry_event`` of a ``parking_barrier`` (``{device_id, device_type, ts,
    values: {plate, direction?}}``) → :func:`process_read`; other devices' events are not ours."""
    p = payload if isinstance(payload, dict) else {}
    values = p.get("values") or {}
    if p.get("device_type") != "parking_barrier" or "plate" not in values:
        return None
    try:
        device_id, ts = uuid.UUID(str(p["device_id"])), int(p["ts"])
    except (KeyError, TypeError, ValueError):
        return None
    return await process_read(
        runtime,
        session,
        tenant_id,
        device_id=device_id,
        ts=ts,
        plate=values.get("plate"),
        direction=values.get("direction"),
    )
