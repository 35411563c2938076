"""Safety operations: raising alarms from devices, the staff's acknowledge → arrive → resolve
(or false alarm), rule settings and statistics. Flush, never commit; validate before writing;
the service audits (``safety.<action>``) and publishes (``safety.alarm_*``) its own changes.

The closed loop: a new alarm's work order is opened in the alarm's transaction through the
workorders plugin's service ``workorders.open_from_alarm`` (``source_ref = "alarm:<id>"``,
linked at once) — or, without it, the alarm is published as ``device.alarm_raised``
(``alarm_id`` = the safety alarm's id, ``alarm_type``, ``severity``, ``work_order_category``,
``community_id``, ``raised_by = "safety"``) and the order's ``workorder.reported`` links it back
here (:func:`link_work_order`). A device
alarm taken over (a smoke detector's ``smoke``) already opened its order from the kernel's own
``device.alarm_raised``; its reference is ``alarm:<device alarm id>``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select

from kernel.sdk import (
    BadUserInput,
    Conflict,
    Event,
    NotFound,
    audit,
    enabled_plugins,
    service,
    utcnow,
)
from kernel.sdk.estate import Unit, community_exists
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.safety import escalation, live
from plugins.safety.inputs import FalseAlarmNote, Resolution, RuleSetting
from plugins.safety.models import SafetyAlarm, SafetyRuleSetting
from plugins.safety.rules import Effective, Verdict
from plugins.safety.vocabulary import (
    ACKNOWLEDGED,
    ALARM_TYPES,
    ARRIVED,
    OPEN_STATUSES,
    RAISED,
    RESOLVED,
)

log = structlog.get_logger("linli.plugins.safety")


@dataclass(frozen=True)
class DevicePlace:
    """Where a device is, as an alarm records it."""

    device_id: uuid.UUID | None
    name: str
    community_id: uuid.UUID | None
    building_id: uuid.UUID | None


async def place_of(session: Any, device: Any) -> DevicePlace:
    """The community and building of a registered device (a unit's building is looked up)."""
    building_id = None
    if device.place_kind == "building":
        building_id = device.place_id
    elif device.place_kind == "unit":
        building_id = await session.scalar(
            select(Unit.building_id).where(Unit.id == device.place_id)
        )
    return DevicePlace(device.id, device.name, device.community_id, building_id)


async def _audit(session: Any, actor: str, action: str, alarm: SafetyAlarm, **detail: Any) -> None:
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"safety.{action}",
        target=str(alarm.id),
        detail={"type": alarm.type, "severity": alarm.severity, **detail},
    )


def payload(alarm: SafetyAlarm) -> dict[str, Any]:
    """The ``safety.alarm_*`` event payload (no personal data)."""
    return {
        "alarm_id": str(alarm.id),
        "alarm_type": alarm.type,
        "severity": alarm.severity,
        "status": alarm.status,
        "community_id": str(alarm.community_id) if alarm.community_id else None,
        "building_id": str(alarm.building_id) if alarm.building_id else None,
        "device_id": str(alarm.device_id) if alarm.device_id else None,
        "floor_from": alarm.floor_from,
        "floor_to": alarm.floor_to,
        "clip_ref": alarm.clip_ref,
        "false_alarm": alarm.false_alarm,
        "work_order_ref": alarm.work_order_ref,
    }


async def _publish(
    runtime: Runtime, session: Any, type_: str, alarm: SafetyAlarm, actor: str = "system"
) -> None:
    event = Event(type_, alarm.tenant_id, payload(alarm), actor=actor)
    await runtime.bus.publish(session, event)
    await live.hub(runtime).publish(session, live.Change.of(event))


async def open_alarm_of(session: Any, device_id: uuid.UUID, alarm_type: str) -> SafetyAlarm | None:
    """The device's open alarm of this type, if any."""
    return await session.scalar(
        select(SafetyAlarm)
        .where(
            SafetyAlarm.device_id == device_id,
            SafetyAlarm.type == alarm_type,
            SafetyAlarm.status.in_(OPEN_STATUSES),
        )
        .order_by(SafetyAlarm.raised_at.desc())
        .limit(1)
    )


async def raise_alarm(
    session: Any,
    runtime: Runtime,
    *,
    place: DevicePlace,
    verdict: Verdict,
    details: dict[str, Any],
    settings: Effective,
    device_alarm_id: uuid.UUID | None = None,
    command_call_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> tuple[SafetyAlarm, bool]:
    """Raise an alarm for a device's happening — or count it on the open alarm it repeats, or
    do nothing for a happening already recorded. Returns ``(alarm, newly_raised)``.

    A new alarm is audited, published (``safety.alarm_raised``, live) and handed to the closed
    loop; :mod:`plugins.safety.escalation` then tells the on-duty staff."""
    now = at or utcnow()
    seen = await session.scalar(select(SafetyAlarm).where(SafetyAlarm.dedupe_key == verdict.dedupe))
    if seen is not None:
        return seen, False
    if verdict.merge_open and place.device_id is not None:
        existing = await open_alarm_of(session, place.device_id, verdict.alarm_type)
        if existing is not None:
            existing.count += 1
            existing.last_seen_at = now
            existing.details = details
            await session.flush()
            return existing, False
    if place.community_id is not None and not await community_exists(session, place.community_id):
        place = DevicePlace(place.device_id, place.name, None, place.building_id)
    alarm = SafetyAlarm(
        id=uuid.uuid4(),
        type=verdict.alarm_type,
        severity=verdict.severity,
        status=RAISED,
        community_id=place.community_id,
        building_id=place.building_id,
        device_id=place.device_id,
        device_alarm_id=device_alarm_id,
        location=place.name[:200],
        floor_from=verdict.floor_from,
        floor_to=verdict.floor_to,
        clip_ref=verdict.clip_ref,
        details=details,
        dedupe_key=verdict.dedupe[:160],
        raised_at=now,
        last_seen_at=now,
        command_call_id=command_call_id,
    )
    alarm.work_order_ref = f"alarm:{device_alarm_id or alarm.id}"
    session.add(alarm)
    await session.flush()
    await _audit(session, "system", "alarm_raised", alarm, device_id=str(place.device_id))
    await _publish(runtime, session, "safety.alarm_raised", alarm)
    order_id = None
    if device_alarm_id is None:
        order_id = await _open_work_order(session, runtime, alarm, place)
    await escalation.start(session, runtime, alarm, settings)
    # linked after the escalation's statements (which would flush it on their own): the order
    # and the escalation reach the alarm row in one UPDATE
    if order_id is not None:
        alarm.work_order_id = order_id
    await session.flush()
    return alarm, True


def _alarm_event_payload(alarm: SafetyAlarm, place: DevicePlace) -> dict[str, Any]:
    """The alarm as a ``device.alarm_raised`` payload (the workorders plugin's input)."""
    community = str(alarm.community_id) if alarm.community_id else None
    return {
        "alarm_id": str(alarm.id),
        "device_id": str(place.device_id) if place.device_id else None,
        "device_name": place.name,
        "alarm_type": alarm.type,
        "rule": alarm.type,
        "work_order_category": ALARM_TYPES[alarm.type].work_order_category,
        "severity": alarm.severity,
        "community_id": community,
        "place": {"label": place.name, "community_id": community},
        "raised_by": "safety",
    }


async def _open_work_order(
    session: Any, runtime: Runtime, alarm: SafetyAlarm, place: DevicePlace
) -> uuid.UUID | None:
    """The closed loop. Where the firm uses work orders, the order is opened in the alarm's own
    transaction through the workorders plugin's service ``workorders.open_from_alarm`` — alarm,
    escalation, notification and order commit together, one outbox hop after the device's
    message instead of two. Otherwise (or if opening fails: the alarm still commits) the alarm
    is published as ``device.alarm_raised`` for the workorders plugin's handler. Returns the
    order's id to link (None: it comes by the event, :func:`link_work_order`)."""
    p = _alarm_event_payload(alarm, place)
    opener = service(runtime, "workorders.open_from_alarm")
    if opener is not None and "workorders" in await enabled_plugins(session):
        try:
            async with session.begin_nested():
                order_id: uuid.UUID = await opener(
                    session, runtime, p, actor="event:safety.alarm_raised"
                )
            return order_id
        except Exception:  # the order is retried through the event below
            log.exception("safety_work_order_failed", alarm_id=str(alarm.id))
    await runtime.bus.publish(session, Event("device.alarm_raised", alarm.tenant_id, p))
    return None


async def get(session: Any, alarm_id: uuid.UUID) -> SafetyAlarm:
    alarm = await session.scalar(select(SafetyAlarm).where(SafetyAlarm.id == alarm_id))
    if alarm is None:
        raise NotFound("no safety alarm with this id")
    return alarm


async def acknowledge(
    session: Any,
    runtime: Runtime,
    alarm_id: uuid.UUID,
    *,
    actor: str,
    account_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> SafetyAlarm:
    """raised → acknowledged: someone on duty has taken the alarm (stops its escalation)."""
    alarm = await get(session, alarm_id)
    if alarm.status != RAISED:
        raise Conflict(f"the alarm is {alarm.status}; only a raised alarm can be acknowledged")
    alarm.status = ACKNOWLEDGED
    alarm.acknowledged_at = at or utcnow()
    alarm.acknowledged_by = actor[:80]
    await session.flush()
    await _audit(session, actor, "alarm_acknowledged", alarm)
    await _publish(runtime, session, "safety.alarm_acknowledged", alarm, actor)
    await escalation.acknowledged(session, alarm, account_id=account_id, at=alarm.acknowledged_at)
    return alarm


async def arrive(
    session: Any,
    runtime: Runtime,
    alarm_id: uuid.UUID,
    *,
    actor: str,
    account_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> SafetyAlarm:
    """raised | acknowledged → arrived: staff are on site (arriving acknowledges too)."""
    alarm = await get(session, alarm_id)
    if alarm.status not in (RAISED, ACKNOWLEDGED):
        raise Conflict(f"the alarm is {alarm.status}; arrival is recorded once, before resolution")
    now = at or utcnow()
    acknowledging = alarm.acknowledged_at is None
    if acknowledging:
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor[:80]
    alarm.status = ARRIVED
    alarm.arrived_at, alarm.arrived_by = now, actor[:80]
    await session.flush()
    await _audit(session, actor, "alarm_arrived", alarm)
    await _publish(runtime, session, "safety.alarm_arrived", alarm, actor)
    if acknowledging:
        await escalation.acknowledged(session, alarm, account_id=account_id, at=now)
    await escalation.arrived(session, alarm, account_id=account_id, at=now)
    return alarm


async def resolve(
    session: Any,
    runtime: Runtime,
    alarm_id: uuid.UUID,
    *,
    actor: str,
    note: str = "",
    false_alarm: bool = False,
    account_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> SafetyAlarm:
    """An open alarm → resolved, optionally as a false alarm (counted in the statistics); its
    escalation is closed."""
    parse_input(Resolution, false_alarm=false_alarm, note=note)
    alarm = await get(session, alarm_id)
    if alarm.status == RESOLVED:
        raise Conflict("the alarm is resolved already")
    now = at or utcnow()
    # resolving does not pretend the alarm was acknowledged: an unacknowledged one stays so in
    # the statistics (resolved as false before anyone took it, say)
    alarm.status = RESOLVED
    alarm.resolved_at, alarm.resolved_by = now, actor[:80]
    alarm.false_alarm = false_alarm
    alarm.resolution_note = note.strip()
    await session.flush()
    await _audit(session, actor, "alarm_resolved", alarm, false_alarm=false_alarm)
    await _publish(runtime, session, "safety.alarm_resolved", alarm, actor)
    await escalation.resolved(session, alarm, account_id=account_id, at=now)
    return alarm


async def mark_false_alarm(
    session: Any,
    runtime: Runtime,
    alarm_id: uuid.UUID,
    *,
    actor: str,
    note: str,
    at: datetime | None = None,
) -> SafetyAlarm:
    """Staff mark a resolved alarm false after the fact (the footage showed a bird, a test);
    an open one is resolved as false."""
    alarm = await get(session, alarm_id)
    if alarm.status != RESOLVED:
        return await resolve(
            session, runtime, alarm_id, actor=actor, note=note, false_alarm=True, at=at
        )
    if alarm.false_alarm:
        raise Conflict("the alarm is marked false already")
    parse_input(FalseAlarmNote, note=note)
    alarm.false_alarm = True
    alarm.resolution_note = (alarm.resolution_note + "\n" + note.strip()).strip()
    await session.flush()
    await _audit(session, actor, "alarm_marked_false", alarm)
    await _publish(runtime, session, "safety.alarm_resolved", alarm, actor)
    return alarm


async def escalation_moved(session: Any, event_payload: dict[str, Any]) -> bool:
    """Handle ``escalation.escalated`` of this plugin's escalations: record the level reached
    and whether the street office was alerted."""
    if event_payload.get("source") != "safety":
        return False
    try:
        alarm_id = uuid.UUID(str(event_payload.get("subject_id")))
    except ValueError:
        return False
    alarm = await session.scalar(select(SafetyAlarm).where(SafetyAlarm.id == alarm_id))
    level = event_payload.get("level")
    if alarm is None or not isinstance(level, int):
        return False
    alarm.escalation_level = max(alarm.escalation_level, level)
    alarm.regulator_alerted = alarm.regulator_alerted or bool(
        event_payload.get("regulator_alerted")
    )
    await session.flush()
    return True


async def link_work_order(session: Any, event_payload: dict[str, Any]) -> bool:
    """Handle ``workorder.reported``: remember the order an alarm opened."""
    ref = str(event_payload.get("source_ref") or "")
    if not ref.startswith("alarm:"):
        return False
    try:
        order_id = uuid.UUID(str(event_payload.get("work_order_id")))
    except ValueError:
        return False
    alarm = await session.scalar(select(SafetyAlarm).where(SafetyAlarm.work_order_ref == ref[:80]))
    if alarm is None:
        return False
    alarm.work_order_id = order_id
    await session.flush()
    return True


# -- rule settings -------------------------------------------------------------------------------


async def set_rule(
    session: Any,
    *,
    alarm_type: str,
    community_id: uuid.UUID | None,
    enabled: bool = True,
    severity: str | None = None,
    threshold: float | None = None,
    ack_within_seconds: int | None = None,
    actor: str = "system",
) -> SafetyRuleSetting:
    """Set an alarm type's rule firm-wide or for one community (replacing the previous one)."""
    parse_input(
        RuleSetting,
        alarm_type=alarm_type,
        severity=severity,
        threshold=threshold,
        ack_within_seconds=ack_within_seconds,
    )
    if community_id is not None and not await community_exists(session, community_id):
        raise NotFound("no community with this id")
    stmt = select(SafetyRuleSetting).where(SafetyRuleSetting.alarm_type == alarm_type)
    stmt = stmt.where(
        SafetyRuleSetting.community_id.is_(None)
        if community_id is None
        else SafetyRuleSetting.community_id == community_id
    )
    row = await session.scalar(stmt)
    if row is None:
        row = SafetyRuleSetting(id=uuid.uuid4(), alarm_type=alarm_type, community_id=community_id)
        session.add(row)
    row.enabled, row.severity, row.threshold, row.ack_within_seconds = (
        enabled,
        severity,
        threshold,
        ack_within_seconds,
    )
    await session.flush()
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action="safety.rule_set",
        target=alarm_type,
        detail={
            "community_id": str(community_id) if community_id else None,
            "enabled": enabled,
            "severity": severity,
            "threshold": threshold,
            "ack_within_seconds": ack_within_seconds,
        },
    )
    return row


# -- statistics ----------------------------------------------------------------------------------


@dataclass
class TypeStats:
    """One community's alarms of one type over a period."""

    community_id: uuid.UUID | None
    alarm_type: str
    total: int
    open: int
    false_alarms: int
    #: False alarms / resolved alarms, in basis points (2500 = 25.00 %); None with none resolved.
    false_alarm_rate_bp: int | None
    #: Mean seconds from raised to acknowledged / to resolved, over the alarms that got there.
    mean_seconds_to_acknowledge: float | None
    mean_seconds_to_resolve: float | None
    max_seconds_to_acknowledge: float | None


async def stats(
    session: Any, *, since: datetime, until: datetime, community_id: uuid.UUID | None = None
) -> list[TypeStats]:
    """Alarms raised in ``[since, until)`` by community and type: counts, false-alarm rate and
    times to acknowledge and resolve. Durations are computed here (portable across databases)."""
    if until <= since:
        raise BadUserInput("`until` must be after `since`", field="until")
    stmt = select(
        SafetyAlarm.community_id,
        SafetyAlarm.type,
        SafetyAlarm.status,
        SafetyAlarm.false_alarm,
        SafetyAlarm.raised_at,
        SafetyAlarm.acknowledged_at,
        SafetyAlarm.resolved_at,
    ).where(SafetyAlarm.raised_at >= since, SafetyAlarm.raised_at < until)
    if community_id is not None:
        stmt = stmt.where(SafetyAlarm.community_id == community_id)
    groups: dict[tuple[Any, str], list[Any]] = {}
    for row in await session.execute(stmt):
        groups.setdefault((row.community_id, row.type), []).append(row)
    out = []
    for (cid, type_), rows in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        acks = [
            (r.acknowledged_at - r.raised_at).total_seconds() for r in rows if r.acknowledged_at
        ]
        fixes = [(r.resolved_at - r.raised_at).total_seconds() for r in rows if r.resolved_at]
        resolved = [r for r in rows if r.status == RESOLVED]
        false_n = sum(1 for r in rows if r.false_alarm)
        out.append(
            TypeStats(
                community_id=cid,
                alarm_type=type_,
                total=len(rows),
                open=sum(1 for r in rows if r.status in OPEN_STATUSES),
                false_alarms=false_n,
                false_alarm_rate_bp=(false_n * 10_000 // len(resolved)) if resolved else None,
                mean_seconds_to_acknowledge=sum(acks) / len(acks) if acks else None,
                mean_seconds_to_resolve=sum(fixes) / len(fixes) if fixes else None,
                max_seconds_to_acknowledge=max(acks) if acks else None,
            )
        )
    return out
