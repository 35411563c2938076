"""What happens to parcels: arrival from the locker's telemetry, pickup by code through the
locker's RPC, overdue reminders, and the storage days the fees plugin bills.

The service owns audit and events; GraphQL resolvers and the event handler call it. Pickup codes
are six digits, unique among a tenant's waiting parcels, stored as a keyed digest (lookups) and
encrypted with the tenant's key (shown to the recipient) — never in clear at rest, in logs or in
notifications.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import Event, NotFound, audit, devices, notify
from kernel.sdk.db import utcnow
from kernel.sdk.estate import Building, Ownership, Person, Residency, Unit, accounts_of_units
from kernel.sdk.runtime import Runtime
from parcel_lockers.models import COLLECTED, WAITING, Parcel
from parcel_lockers.notifications import ARRIVED, OVERDUE
from parcel_lockers.profile import TYPE

log = structlog.get_logger("linli.plugins.parcel_lockers")

PLUGIN = "parcel_lockers"
#: Storage is free this long after the deposit; every day (or part of one) after it is billed.
FREE_STORAGE = timedelta(hours=48)
#: An overdue parcel's recipients are reminded at most this often.
REMIND_EVERY = timedelta(hours=24)
#: The fee item code the firm prices overdue storage with (fen per day, kind ``fixed``).
STORAGE_ITEM_CODE = "PARCEL_STORAGE"


def _digest(runtime: Runtime, tenant_id: uuid.UUID, code: str) -> str:
    return str(runtime.vault.keyed_digest(tenant_id, f"parcel-pickup:{code}"))


async def _new_code(runtime: Runtime, session: Any, tenant_id: uuid.UUID) -> tuple[str, str]:
    """A six-digit code no waiting parcel of the tenant has; (code, digest)."""
    for _ in range(20):
        code = f"{secrets.randbelow(1_000_000):06d}"
        digest = _digest(runtime, tenant_id, code)
        taken = await session.scalar(select(Parcel.id).where(Parcel.code_digest == digest, Parcel.status == WAITING))
        if taken is None:
            return code, digest
    raise RuntimeError("no free pickup code after 20 draws: too many parcels waiting")


async def account_units(session: Any, account_id: uuid.UUID | None) -> list[uuid.UUID]:
    """The units whose owner or resident (in the owner register) is linked to the account."""
    if account_id is None:
        return []
    owned = select(Ownership.unit_id).join(Person, Person.id == Ownership.person_id).where(Person.account_id == account_id)
    lived = select(Residency.unit_id).join(Person, Person.id == Residency.person_id).where(Person.account_id == account_id)
    return sorted(set((await session.scalars(owned)).all()) | set((await session.scalars(lived)).all()), key=str)


async def _find_unit(session: Any, community_id: uuid.UUID | None, building: str, number: str) -> uuid.UUID | None:
    stmt = select(Unit.id).join(Building, Building.id == Unit.building_id).where(Building.name == building, Unit.number == number)
    if community_id is not None:
        stmt = stmt.where(Unit.community_id == community_id)
    found = list((await session.scalars(stmt.limit(2))).all())
    return found[0] if len(found) == 1 else None


async def record_arrival(runtime: Runtime, session: Any, tenant_id: uuid.UUID, payload: dict[str, Any]) -> Parcel | None:
    """A courier's deposit (a locker's ``device.telemetry_event``) → a waiting parcel with a
    pickup code, and its recipients told. Idempotent per (locker, message timestamp)."""
    values = payload.get("values") or {}
    compartment = values.get("deposit_compartment")
    if payload.get("device_type") != TYPE or not isinstance(compartment, str):
        return None
    device_id, ts = uuid.UUID(payload["device_id"]), int(payload["ts"])
    existing = await session.scalar(select(Parcel).where(Parcel.device_id == device_id, Parcel.deposit_ts == ts))
    if existing is not None:
        return existing  # a second delivery of the same message
    device = await devices.get_device(session, device_id)
    unit_id = await _find_unit(
        session, device.community_id, str(values.get("deposit_building", "")), str(values.get("deposit_unit", ""))
    )
    code, digest = await _new_code(runtime, session, tenant_id)
    parcel = Parcel(
        id=uuid.uuid4(),
        device_id=device_id,
        unit_id=unit_id,
        compartment=compartment,
        tracking_number=str(values.get("deposit_tracking", "")),
        deposit_ts=ts,
        code_digest=digest,
        code_enc=runtime.vault.encrypt(tenant_id, code),
        status=WAITING,
        deposited_at=datetime.fromtimestamp(ts / 1000, tz=UTC),
    )
    session.add(parcel)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # a concurrent delivery of the same message won
        return await session.scalar(select(Parcel).where(Parcel.device_id == device_id, Parcel.deposit_ts == ts))
    await audit(session, tenant_id=tenant_id, actor="system", action="parcel_lockers.parcel_arrived", target=str(parcel.id))
    await runtime.bus.publish(
        session,
        Event("parcel_lockers.parcel_arrived", tenant_id, {"parcel_id": str(parcel.id), "unit_id": str(unit_id) if unit_id else None}),
    )
    if unit_id is None:
        log.warning("parcel_for_unknown_unit", tenant=str(tenant_id), parcel=str(parcel.id))
    else:
        await tell_recipients(session, tenant_id, parcel, ARRIVED, f"parcel_lockers:{parcel.id}:arrived")
    return parcel


async def tell_recipients(session: Any, tenant_id: uuid.UUID, parcel: Parcel, template: str, key: str) -> int:
    """Notify the unit's people (their logins: inbox and their own channels) about their parcel,
    once per ``key``. The message names the locker and compartment, never the pickup code: the
    code is read in ``parcels``, where only the unit's people see it."""
    assert parcel.unit_id is not None
    accounts = await accounts_of_units(session, [parcel.unit_id])
    if not accounts:
        return 0
    device = await devices.get_device(session, parcel.device_id)
    data = {
        "locker": device.name,
        "compartment": parcel.compartment,
        "tracking_tail": parcel.tracking_number[-4:],
        "days": max(1, (utcnow() - parcel.deposited_at).days),
    }
    await notify(session, tenant_id=tenant_id, recipients=accounts, template=template, data=data, key=key)
    return len(accounts)


async def collect(runtime: Runtime, session: Any, tenant_id: uuid.UUID, actor: str, code: str) -> Parcel:
    """Pick a parcel up by its code: the locker opens the compartment (RPC ``open_compartment``,
    queued in its own committed transaction) and the parcel is marked collected. A wrong code
    answers NOT_FOUND, exactly as a code of another tenant would."""
    code = code.strip()
    parcel = None
    if len(code) == 6 and code.isdigit():
        parcel = await session.scalar(
            select(Parcel).where(Parcel.code_digest == _digest(runtime, tenant_id, code), Parcel.status == WAITING).with_for_update()
        )
    if parcel is None:
        raise NotFound("no parcel waits for that pickup code")
    await devices.send_command(
        runtime, tenant_id, parcel.device_id, "open_compartment", {"compartment": parcel.compartment}, actor=actor
    )
    parcel.status = COLLECTED
    parcel.collected_at = utcnow()
    parcel.collected_by = actor
    await session.flush()
    await audit(session, tenant_id=tenant_id, actor=actor, action="parcel_lockers.parcel_collected", target=str(parcel.id))
    await runtime.bus.publish(session, Event("parcel_lockers.parcel_collected", tenant_id, {"parcel_id": str(parcel.id)}, actor=actor))
    return parcel


async def remind_overdue(runtime: Runtime, session: Any, tenant_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """Remind the recipients of parcels waiting past the free storage time (at most once per
    :data:`REMIND_EVERY`); returns the parcels reminded."""
    now = now or utcnow()
    overdue = list(
        await session.scalars(
            select(Parcel).where(
                Parcel.status == WAITING,
                Parcel.unit_id.is_not(None),
                Parcel.deposited_at <= now - FREE_STORAGE,
            )
        )
    )
    reminded = 0
    for parcel in overdue:
        if parcel.last_reminded_at is not None and parcel.last_reminded_at > now - REMIND_EVERY:
            continue
        parcel.reminders += 1
        parcel.last_reminded_at = now
        await tell_recipients(session, tenant_id, parcel, OVERDUE, f"parcel_lockers:{parcel.id}:overdue:{parcel.reminders}")
        await runtime.bus.publish(
            session, Event("parcel_lockers.parcel_overdue", tenant_id, {"parcel_id": str(parcel.id), "reminders": parcel.reminders})
        )
        reminded += 1
    await session.flush()
    return reminded


def storage_days(deposited_at: datetime, collected_at: datetime) -> int:
    """Days billed: every started day past :data:`FREE_STORAGE` (0 within it)."""
    over = collected_at - deposited_at - FREE_STORAGE
    if over <= timedelta(0):
        return 0
    return -(-over // timedelta(days=1))


@dataclass(frozen=True)
class StorageLine:
    unit_id: uuid.UUID
    days: int


async def storage_lines(session: Any, period: str) -> Sequence[StorageLine]:
    """Overdue storage of the parcels collected in ``period`` (``YYYY-MM``), per unit."""
    year, month = (int(p) for p in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    rows = await session.execute(
        select(Parcel.unit_id, Parcel.deposited_at, Parcel.collected_at).where(
            Parcel.status == COLLECTED, Parcel.unit_id.is_not(None), Parcel.collected_at >= start, Parcel.collected_at < end
        )
    )
    days: dict[uuid.UUID, int] = {}
    for unit_id, deposited, collected in rows.all():
        d = storage_days(deposited, collected)
        if d:
            days[unit_id] = days.get(unit_id, 0) + d
    return [StorageLine(u, d) for u, d in sorted(days.items(), key=lambda kv: str(kv[0]))]
