"""Monitoring: the activity trail from care devices, the no-activity check against each person's
baseline (:mod:`plugins.care.baseline`), missed check-ins, and device alarms turned into alerts.
Every path checks the person's consent first: after a revocation nothing is recorded or raised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import utcnow
from kernel.sdk.runtime import Runtime
from plugins.care import alerts
from plugins.care.baseline import HISTORY_DAYS, LOCAL, assess, local_midnight
from plugins.care.consent import consents
from plugins.care.models import CareActivity, CareCheckIn, CareDevice, CareRecipient
from plugins.care.profiles import ACTIVITY_SIGNS
from plugins.care.service import local_day
from plugins.care.vocabulary import ALARM_RULES

#: The activity trail is kept this long (the baseline needs 14 days; the rest is slack).
RETENTION = timedelta(days=28)


async def record_activity(
    session: Any, recipient: CareRecipient, at: datetime, source: str
) -> bool:
    """Add a sign of life to the trail (once per recipient, source and instant). The caller has
    checked consent."""
    if await session.scalar(
        select(CareActivity.id).where(
            CareActivity.recipient_id == recipient.id,
            CareActivity.source == source,
            CareActivity.at == at,
        )
    ):
        return False
    try:
        async with session.begin_nested():
            session.add(
                CareActivity(id=uuid.uuid4(), recipient_id=recipient.id, at=at, source=source[:16])
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


async def _linked(session: Any, device_id: Any) -> tuple[CareDevice, CareRecipient] | None:
    try:
        did = uuid.UUID(str(device_id))
    except ValueError:
        return None
    link = await session.scalar(select(CareDevice).where(CareDevice.device_id == did))
    if link is None:
        return None
    recipient = await session.scalar(
        select(CareRecipient).where(CareRecipient.id == link.recipient_id)
    )
    if (
        recipient is None
        or recipient.status != "active"
        or not await consents(session, recipient.person_id)
    ):
        return None
    return link, recipient


async def on_telemetry_event(session: Any, payload: dict[str, Any]) -> bool:
    """``device.telemetry_event`` of a care device: a sign of life (a step, a door, water, a
    switch-on) goes into the trail at the device's timestamp."""
    found = await _linked(session, payload.get("device_id"))
    if found is None:
        return False
    link, recipient = found
    values = payload.get("values") or {}
    if not any(key in values and ACTIVITY_SIGNS[key](values[key]) for key in ACTIVITY_SIGNS):
        return False
    try:
        at = datetime.fromtimestamp(int(payload["ts"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError):
        return False
    if at < recipient.monitoring_since:
        return False
    return await record_activity(session, recipient, at, link.kind)


async def on_device_alarm(session: Any, runtime: Runtime, payload: dict[str, Any]) -> Any:
    """``device.alarm_raised`` with an SOS, fall or heart-rate rule on a care device: an alert."""
    kind = ALARM_RULES.get(str(payload.get("rule")))
    if kind is None:
        return None
    found = await _linked(session, payload.get("device_id"))
    if found is None:
        return None
    link, recipient = found
    return await alerts.raise_alert(
        session,
        runtime,
        recipient,
        kind=kind.value,
        source_ref=f"alarm:{payload.get('alarm_id')}",
        detail={"rule": str(payload.get("rule")), "device_kind": link.kind},
    )


async def check_no_activity(
    session: Any, runtime: Runtime, *, now: datetime | None = None
) -> list[Any]:
    """Raise a no-activity alert for every active recipient whose quiet gap exceeds their
    baseline (or the fixed rule); one alert per quiet spell (keyed by when it began)."""
    now = now or utcnow()
    raised = []
    recipients = (
        await session.scalars(select(CareRecipient).where(CareRecipient.status == "active"))
    ).all()
    for r in recipients:
        if not await consents(session, r.person_id):
            continue
        since = max(r.monitoring_since, now - timedelta(days=HISTORY_DAYS + 1))
        trail = list(
            await session.scalars(
                select(CareActivity.at).where(
                    CareActivity.recipient_id == r.id,
                    CareActivity.at >= since,
                    CareActivity.at <= now,
                )
            )
        )
        verdict = assess(
            trail,
            now=now,
            monitoring_since=r.monitoring_since,
            margin_percent=r.margin_percent,
            fallback_hours=r.fallback_hours,
        )
        if not verdict.alert:
            continue
        quiet_since = max(trail) if trail else r.monitoring_since
        alert = await alerts.raise_alert(
            session,
            runtime,
            r,
            kind="no_activity",
            source_ref=f"quiet:{quiet_since.astimezone(UTC).isoformat(timespec='seconds')}",
            detail={
                "rule": verdict.rule,
                "quiet_minutes": verdict.quiet_minutes,
                "threshold_minutes": verdict.threshold_minutes,
            },
            now=now,
        )
        if alert is not None:
            raised.append(alert)
    return raised


async def check_missed_check_ins(
    session: Any, runtime: Runtime, *, now: datetime | None = None
) -> list[Any]:
    """Raise a missed-check-in alert for every active recipient past today's deadline without a
    check-in (and enrolled before it); one per recipient and day."""
    now = now or utcnow()
    today = local_day(now)
    local = now.astimezone(LOCAL)
    minute = local.hour * 60 + local.minute
    raised = []
    recipients = (
        await session.scalars(select(CareRecipient).where(CareRecipient.status == "active"))
    ).all()
    checked = set(
        await session.scalars(select(CareCheckIn.recipient_id).where(CareCheckIn.day == today))
    )
    for r in recipients:
        if r.id in checked or minute <= r.check_in_by_minute:
            continue
        deadline = local_midnight(now) + timedelta(minutes=r.check_in_by_minute)
        if r.monitoring_since >= deadline:
            continue
        alert = await alerts.raise_alert(
            session,
            runtime,
            r,
            kind="missed_check_in",
            source_ref=f"check_in:{today.isoformat()}",
            now=now,
        )
        if alert is not None:
            raised.append(alert)
    return raised


async def purge_old_activity(session: Any, *, now: datetime | None = None) -> None:
    """Minimisation: the trail older than :data:`RETENTION` is deleted."""
    await session.execute(
        delete(CareActivity).where(CareActivity.at < (now or utcnow()) - RETENTION)
    )
