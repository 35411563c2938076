"""EV charging sessions (充电) from an ``ev_charger`` pile's telemetry.

The charger reports ``charge_event`` (an event key) with its own transaction id
``charge_session``: ``start`` (optionally the ``plate`` of the car) and ``stop`` with the
session's ``energy_wh``. Rules: a repeated ``start`` or ``stop`` changes nothing (unique per
pile and transaction id); a ``stop`` with no ``start`` on record is a session of its own,
priced by its energy (its start time unknown) — a rule, not an error. The price is the pile's
electricity price plus service fee per kWh (:func:`~plugins.parking.tariff.charging_fee`); a
session of a plate registered by a household is billed to that unit through fees.

A fault (``fault_code`` > 0) is the profile's alarm rule ``charger_fault``: the kernel's alarm
engine raises it and publishes ``device.alarm_raised``, which the work-order plugin turns into
an order. A ``stop`` with ``reason: "fault"`` marks the session ``interrupted``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import Event
from kernel.sdk.runtime import Runtime
from plugins.parking.models import ChargingPile, ChargingSession, Vehicle
from plugins.parking.plates import mask_plate, normalize_plate, plate_digest
from plugins.parking.tariff import charging_fee

MAX_SESSION_WH = 1_000_000  # 1 MWh: no car takes more in one charge


async def _session(session: Any, pile_id: uuid.UUID, ref: str) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession).where(
            ChargingSession.pile_id == pile_id, ChargingSession.charger_ref == ref
        )
    )


async def on_telemetry_event(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, payload: Any
) -> ChargingSession | None:
    """``device.telemetry_event`` of an ``ev_charger`` → start or stop a charging session."""
    p = payload if isinstance(payload, dict) else {}
    values = p.get("values") or {}
    kind, ref = values.get("charge_event"), values.get("charge_session")
    if (
        p.get("device_type") != "ev_charger"
        or kind not in ("start", "stop")
        or not isinstance(ref, str)
        or not ref
    ):
        return None
    try:
        device_id, at = (
            uuid.UUID(str(p["device_id"])),
            datetime.fromtimestamp(int(p["ts"]) // 1000, tz=UTC),
        )
    except (KeyError, TypeError, ValueError):
        return None
    pile = await session.scalar(select(ChargingPile).where(ChargingPile.device_id == device_id))
    if pile is None:
        return None
    ref, pile_id = ref[:64], pile.id
    row = await _session(session, pile.id, ref)
    if kind == "start":
        if row is not None:
            return row  # a repeated start, or a start arriving after its stop
        row = ChargingSession(id=uuid.uuid4(), pile_id=pile.id, charger_ref=ref, started_at=at)
        await _attribute(runtime, session, tenant_id, row, values.get("plate"))
        try:
            # the row joins the savepoint: a clash rolls back only it
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:  # the same start delivered concurrently
            if row in session:
                session.expunge(row)
            return await _session(session, pile_id, ref)
        return row
    if row is not None and row.status != "charging":
        return row  # a repeated stop
    if row is None:  # a stop with no start on record
        row = ChargingSession(id=uuid.uuid4(), pile_id=pile.id, charger_ref=ref)
        await _attribute(runtime, session, tenant_id, row, values.get("plate"))
        session.add(row)
    energy = values.get("energy_wh")
    row.energy_wh = (
        int(energy) if isinstance(energy, int | float) and 0 <= energy <= MAX_SESSION_WH else 0
    )
    row.energy_fen, row.service_fen = charging_fee(
        row.energy_wh, pile.price_per_kwh_fen, pile.service_per_kwh_fen
    )
    row.stopped_at = at
    row.status = "interrupted" if values.get("reason") == "fault" else "stopped"
    await session.flush()
    await runtime.bus.publish(
        session,
        Event(
            "parking.charging_stopped",
            tenant_id,
            {
                "charging_session_id": str(row.id),
                "pile_id": str(pile.id),
                "energy_wh": row.energy_wh,
                "amount_fen": row.energy_fen + row.service_fen,
                "unit_id": str(row.unit_id) if row.unit_id else None,
                "status": row.status,
            },
        ),
    )
    return row


async def _attribute(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, row: ChargingSession, raw_plate: Any
) -> None:
    """Whose charge: the household that registered the plate (masked plate kept for staff)."""
    plate = normalize_plate(raw_plate)
    if plate is None:
        return
    row.plate_masked = mask_plate(plate)
    row.unit_id = await session.scalar(
        select(Vehicle.unit_id).where(
            Vehicle.plate_digest == plate_digest(runtime.vault, tenant_id, plate)
        )
    )
