"""The alarms engine: profile rules evaluated on telemetry (threshold, duration) and by the
activity job (missing data); lifecycle raised → acknowledged → cleared, with severity and
deduplication (one open alarm per device and rule: a repeat counts, it does not re-raise).
Every change is a domain event (``device.alarm_raised`` / ``_acknowledged`` / ``_cleared``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.db.sql import in_ids
from kernel.devices import events
from kernel.devices.models import AlarmPending, Device, DeviceAlarm
from kernel.devices.profiles import AlarmRule, DeviceProfile
from kernel.errors import Conflict, NotFound
from kernel.plugins.enablement import enabled_plugins

RAISED, ACKNOWLEDGED, CLEARED = "raised", "acknowledged", "cleared"


def _payload(alarm: DeviceAlarm) -> dict[str, Any]:
    return {
        "alarm_id": str(alarm.id),
        "device_id": str(alarm.device_id),
        "rule": alarm.rule,
        "severity": alarm.severity,
        "status": alarm.status,
        "count": alarm.count,
        "details": alarm.details,
    }


def takeovers(runtime: Any) -> dict[str, tuple[str, ...]]:
    """Device alarm rule → the plugins that take it over (``register_device_alarm_takeovers``),
    collected once per runtime."""
    found = runtime.services.get("device_alarm_takeovers")
    if found is None:
        by_rule: dict[str, list[str]] = {}
        for plugin, rules in runtime.host.device_alarm_takeovers():
            for rule in rules or ():
                by_rule.setdefault(str(rule), []).append(plugin)
        found = runtime.services["device_alarm_takeovers"] = {k: tuple(v) for k, v in by_rule.items()}
    return found  # type: ignore[no-any-return]


async def taken_over_by(session: AsyncSession, runtime: Any, rule: str) -> list[str]:
    """The plugins of the session's tenant (core, or enabled there) that take ``rule`` over."""
    plugins = takeovers(runtime).get(rule, ()) if runtime is not None else ()
    if not plugins:
        return []
    enabled = await enabled_plugins(session)
    loaded = runtime.host.plugins
    return [p for p in plugins if p in enabled or (p in loaded and loaded[p].manifest.core)]


async def open_alarm(session: AsyncSession, device_id: uuid.UUID, rule: str) -> DeviceAlarm | None:
    return await session.scalar(
        select(DeviceAlarm).where(DeviceAlarm.device_id == device_id, DeviceAlarm.rule == rule, DeviceAlarm.status != CLEARED)
    )


async def raise_alarm(
    session: AsyncSession, runtime: Any, device: Device, rule: AlarmRule, details: dict[str, Any]
) -> tuple[DeviceAlarm, bool]:
    """Raise ``rule`` for ``device`` or, if it is open already, count the repeat.
    Returns ``(alarm, newly_raised)``."""
    now = utcnow()
    existing = await open_alarm(session, device.id, rule.name)
    if existing is None:
        alarm = DeviceAlarm(
            id=uuid.uuid4(), tenant_id=device.tenant_id, device_id=device.id, rule=rule.name,
            severity=rule.severity, status=RAISED, count=1, raised_at=now, last_seen_at=now, details=details,
        )
        try:
            async with session.begin_nested():
                session.add(alarm)
                await session.flush()
        except IntegrityError:  # raised concurrently by another writer: count it as a repeat
            existing = await open_alarm(session, device.id, rule.name)
        else:
            payload = {
                **_payload(alarm),
                "device_name": device.name,
                "work_order_category": rule.work_order_category,
            }
            takers = await taken_over_by(session, runtime, rule.name)
            if takers:
                payload["taken_over_by"] = takers
            await events.publish(runtime, session, "device.alarm_raised", device.tenant_id, payload)
            return alarm, True
    assert existing is not None
    existing.count += 1
    existing.last_seen_at = now
    existing.details = details
    await session.flush()
    return existing, False


async def clear_alarm(session: AsyncSession, runtime: Any, alarm: DeviceAlarm, actor: str) -> DeviceAlarm:
    if alarm.status == CLEARED:
        raise Conflict("the alarm is cleared already")
    alarm.status = CLEARED
    alarm.cleared_at = utcnow()
    alarm.cleared_by = actor
    await session.flush()
    await events.publish(runtime, session, "device.alarm_cleared", alarm.tenant_id, _payload(alarm), actor=actor)
    return alarm


async def acknowledge(session: AsyncSession, runtime: Any, alarm_id: uuid.UUID, actor: str) -> DeviceAlarm:
    """raised → acknowledged. Acknowledging twice or after clearing is a CONFLICT."""
    alarm = await _get(session, alarm_id)
    if alarm.status != RAISED:
        raise Conflict(f"the alarm is {alarm.status}; only a raised alarm can be acknowledged")
    alarm.status = ACKNOWLEDGED
    alarm.acknowledged_at = utcnow()
    alarm.acknowledged_by = actor
    await session.flush()
    await events.publish(runtime, session, "device.alarm_acknowledged", alarm.tenant_id, _payload(alarm), actor=actor)
    return alarm


async def clear(session: AsyncSession, runtime: Any, alarm_id: uuid.UUID, actor: str) -> DeviceAlarm:
    """raised | acknowledged → cleared (by a person)."""
    return await clear_alarm(session, runtime, await _get(session, alarm_id), actor)


async def _get(session: AsyncSession, alarm_id: uuid.UUID) -> DeviceAlarm:
    alarm = await session.scalar(select(DeviceAlarm).where(DeviceAlarm.id == alarm_id))
    if alarm is None:
        raise NotFound("no such alarm")
    return alarm


@dataclass
class AlarmState:
    """Open alarms and pending duration conditions of a batch's devices, read with one query
    each, so evaluating a batch costs no query per device and rule."""

    open: dict[tuple[uuid.UUID, str], DeviceAlarm] = field(default_factory=dict)
    pending: dict[tuple[uuid.UUID, str], AlarmPending] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession, device_ids: list[uuid.UUID]) -> AlarmState:
        state = cls()
        if not device_ids:
            return state
        for a in await session.scalars(select(DeviceAlarm).where(in_ids(session, DeviceAlarm.device_id, device_ids), DeviceAlarm.status != CLEARED)):
            state.open[(a.device_id, a.rule)] = a
        for p in await session.scalars(select(AlarmPending).where(in_ids(session, AlarmPending.device_id, device_ids))):
            state.pending[(p.device_id, p.rule)] = p
        return state


async def evaluate(
    session: AsyncSession, runtime: Any, profile: DeviceProfile, device: Device, readings: list[Any], state: AlarmState | None = None
) -> None:
    """Evaluate the profile's rules on a device's newly stored readings (in time order)."""
    if state is None:
        state = await AlarmState.load(session, [device.id])
    last: dict[str, Any] = {}
    for r in sorted(readings, key=lambda r: r.ts):
        last[r.key] = r
    for rule in profile.alarms:
        key = (device.id, rule.name)
        if rule.kind == "missing":
            if rule.auto_clear and (rule.key is None or rule.key in last) and key in state.open:
                await clear_alarm(session, runtime, state.open.pop(key), "system")
            continue
        reading = last.get(rule.key or "")
        if reading is None:
            continue
        value = reading.value
        spec = profile.keys.get(rule.key or "")
        if spec is not None and spec.kind == "boolean" and value is not None:
            value = bool(value)
        if rule.holds(value):
            if rule.duration_seconds > 0:
                pending = state.pending.get(key)
                if pending is None:
                    pending = AlarmPending(tenant_id=device.tenant_id, device_id=device.id, rule=rule.name, since_ts=reading.ts)
                    session.add(pending)
                    await session.flush()
                    state.pending[key] = pending
                    continue
                if reading.ts - pending.since_ts < rule.duration_seconds * 1000:
                    continue
            alarm, _ = await raise_alarm(session, runtime, device, rule, {"key": rule.key, "value": reading.value, "ts": reading.ts})
            state.open[key] = alarm
        else:
            if key in state.pending:
                await session.delete(state.pending.pop(key))
            if rule.auto_clear and key in state.open:
                await clear_alarm(session, runtime, state.open.pop(key), "system")
