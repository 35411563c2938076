"""Alerts that must be acknowledged, escalating level by level until someone does.

A plugin opens an escalation for its alarm or alert (:func:`open_escalation`): level 1 — the
on-duty first responders (:func:`~kernel.notifications.duty.on_duty`) and the first of the
plugin's extra contacts — is told at once, urgently (quiet hours and preferences do not hold
it back). Unless someone acknowledges within the severity's time, the scheduled job
(:func:`escalate_due`) moves it up a level: the on-duty people of the next level and the next
contacts are told, with a new deadline. A **critical** escalation that goes past level 1 also
raises a regulator alert (the street office reads it through ``regulatorAlerts``).
Acknowledgement, arrival and resolution are recorded with their times and who; the owning
plugin hears of each step through the events ``escalation.escalated``,
``escalation.acknowledged`` and ``escalation.resolved`` (payload: :func:`event_payload`).

Everything runs in the caller's tenant-scoped session (flushed, never committed); every call is
idempotent per ``(tenant, source, subject_id)``. See docs/plugins/escalation.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.errors import BadUserInput, NotFound
from kernel.events import Event
from kernel.identity.members import require_member
from kernel.notifications.duty import on_duty, require_community
from kernel.notifications.models import EscalationPolicy, EscalationRecord
from kernel.notifications.service import notify, registries, runtime_for

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")
#: The kernel's acknowledgement times; a tenant overrides them with :func:`set_ack_within`.
DEFAULT_ACK_WITHIN: dict[str, timedelta] = {
    "critical": timedelta(minutes=2),
    "major": timedelta(minutes=10),
    "minor": timedelta(minutes=30),
}
#: Levels an escalation climbs by default (more when the plugin gives a longer contact chain).
DEFAULT_MAX_LEVEL = 3
ANY_SOURCE = "*"
MAX_ACK_WITHIN = timedelta(days=7)

ESCALATED = "escalation.escalated"
ACKNOWLEDGED = "escalation.acknowledged"
RESOLVED = "escalation.resolved"


@dataclass(frozen=True)
class Escalation:
    """An escalation as its plugin sees it (times are aware UTC; ``due_at`` is ``None`` once
    acknowledged, closed or at the last level)."""

    id: uuid.UUID
    source: str
    subject_id: str
    community_id: uuid.UUID | None
    severity: str
    level: int
    opened_at: datetime
    due_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    regulator_alerted_at: datetime | None
    closed: bool
    arrived_by: uuid.UUID | None = None
    resolved_by: uuid.UUID | None = None

    @classmethod
    def of(cls, row: EscalationRecord) -> Escalation:
        return cls(
            id=row.id,
            source=row.source,
            subject_id=row.subject_id,
            community_id=row.community_id,
            severity=row.severity,
            level=row.level,
            opened_at=row.opened_at,
            due_at=row.due_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            arrived_at=row.arrived_at,
            resolved_at=row.resolved_at,
            regulator_alerted_at=row.regulator_alerted_at,
            closed=row.closed,
            arrived_by=row.arrived_by,
            resolved_by=row.resolved_by,
        )


# -- policies ------------------------------------------------------------------------------------


def _check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise BadUserInput(f"severity is one of {', '.join(SEVERITIES)}", field="severity")
    return severity


def _check_source(source: str) -> str:
    if not isinstance(source, str) or not 1 <= len(source) <= 64:
        raise BadUserInput("a source is the plugin's name, 1–64 characters", field="source")
    return source


def _seconds(value: timedelta | int | float, field: str = "ackWithin") -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not 1 <= seconds <= MAX_ACK_WITHIN.total_seconds():
        raise BadUserInput("an acknowledgement time is 1 second to 7 days", field=field)
    return int(seconds)


async def ack_within_for(session: AsyncSession, *, source: str, severity: str) -> timedelta:
    """The acknowledgement time for ``source``'s alerts of ``severity``: the tenant's policy
    for that plugin, else the tenant's policy for every plugin, else the kernel's default."""
    _check_severity(severity)
    rows = {
        p.source: p.ack_within_seconds
        for p in await session.scalars(
            select(EscalationPolicy).where(
                EscalationPolicy.severity == severity,
                EscalationPolicy.source.in_((source, ANY_SOURCE)),
            )
        )
    }
    seconds = rows.get(source, rows.get(ANY_SOURCE))
    return timedelta(seconds=seconds) if seconds is not None else DEFAULT_ACK_WITHIN[severity]


async def set_ack_within(
    session: AsyncSession,
    *,
    severity: str,
    ack_within: timedelta | int | None,
    source: str = ANY_SOURCE,
) -> timedelta:
    """Set (or, with ``None``, drop) the tenant's acknowledgement time for a severity, for one
    plugin's alerts or for every plugin's (``source="*"``). Returns the time now in force."""
    _check_severity(severity)
    _check_source(source)
    tenant_id = session.info["tenant_id"]
    row = await session.get(
        EscalationPolicy, {"tenant_id": tenant_id, "source": source, "severity": severity}
    )
    if ack_within is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(
            EscalationPolicy(
                source=source, severity=severity, ack_within_seconds=_seconds(ack_within)
            )
        )
    else:
        row.ack_within_seconds = _seconds(ack_within)
    await session.flush()
    return await ack_within_for(
        session, source=source if source != ANY_SOURCE else "", severity=severity
    )


# -- opening and notifying -----------------------------------------------------------------------


def _contact_chain(contacts: Sequence[uuid.UUID | Sequence[uuid.UUID]]) -> list[list[uuid.UUID]]:
    chain: list[list[uuid.UUID]] = []
    for entry in contacts:
        group = [entry] if isinstance(entry, uuid.UUID) else list(entry)
        if not all(isinstance(a, uuid.UUID) for a in group):
            raise BadUserInput(
                "contacts are account ids, or lists of account ids per level", field="contacts"
            )
        chain.append(group)
    if len(chain) > 9:
        raise BadUserInput("at most 9 levels of contacts", field="contacts")
    return chain


async def _notify_level(
    session: AsyncSession, row: EscalationRecord, level: int, at: datetime
) -> None:
    people = await on_duty(
        session, tenant_id=row.tenant_id, community_id=row.community_id, level=level, at=at
    )
    extra = [uuid.UUID(a) for a in row.contacts[level - 1]] if level - 1 < len(row.contacts) else []
    await notify(
        session,
        tenant_id=row.tenant_id,
        recipients=[*people, *extra],
        template=row.template,
        data={**row.data, "escalation_level": level},
        urgency="urgent",
        key=f"escalation:{row.id}:level:{level}",
    )


def event_payload(row: EscalationRecord) -> dict[str, Any]:
    """What the ``escalation.*`` events carry: ids, severity, level and the recorded times."""

    def iso(t: datetime | None) -> str | None:
        return t.isoformat() if t is not None else None

    return {
        "escalation_id": str(row.id),
        "source": row.source,
        "subject_id": row.subject_id,
        "community_id": str(row.community_id) if row.community_id else None,
        "severity": row.severity,
        "level": row.level,
        "acknowledged_at": iso(row.acknowledged_at),
        "acknowledged_by": str(row.acknowledged_by) if row.acknowledged_by else None,
        "arrived_at": iso(row.arrived_at),
        "resolved_at": iso(row.resolved_at),
        "regulator_alerted": row.regulator_alerted_at is not None,
    }


async def _publish(
    session: AsyncSession, row: EscalationRecord, event_type: str, actor: str
) -> None:
    runtime = runtime_for(session)
    if runtime is not None:
        await runtime.bus.publish(
            session, Event(event_type, row.tenant_id, event_payload(row), actor=actor)
        )


async def _find(
    session: AsyncSession, tenant_id: uuid.UUID, source: str, subject_id: str
) -> EscalationRecord | None:
    return await session.scalar(
        select(EscalationRecord).where(
            EscalationRecord.tenant_id == tenant_id,
            EscalationRecord.source == source,
            EscalationRecord.subject_id == subject_id,
        )
    )


async def open_escalation(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    source: str,
    subject_id: str,
    community_id: uuid.UUID | None,
    severity: str,
    template: str,
    data: Mapping[str, Any],
    contacts: Sequence[uuid.UUID | Sequence[uuid.UUID]] = (),
    ack_within: timedelta | int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Open an escalation for ``source``'s alert ``subject_id`` and tell level 1 at once.

    :param session: a session scoped to ``tenant_id``; flushed, never committed.
    :param source: the owning plugin's name (its events carry it back).
    :param subject_id: the plugin's id of the alarm or alert (a string, ≤ 120 characters).
    :param community_id: where it happens: picks the on-duty roster (``None``: every shift of
        the level) and the street office that sees a critical one.
    :param severity: ``critical``, ``major`` or ``minor``.
    :param template: a registered notification template; ``data`` fills it (every level is sent
        the same, plus ``escalation_level``).
    :param contacts: extra people per level: ``contacts[0]`` is told at level 1, ``contacts[1]``
        at level 2… — each an account id of the firm or a list of them.
    :param ack_within: seconds or a timedelta to acknowledge before it escalates; default the
        tenant's time for the severity (:func:`ack_within_for`; kernel: 2 min critical, 10 min
        major, 30 min minor).
    :returns: the escalation; when one is already open (or closed) for ``subject_id``, that one,
        unchanged and nobody told again.
    :raises BadUserInput: unknown severity, malformed contacts or times; :class:`NotFound`: a
        contact or community the firm does not have.
    """
    _check_source(source)
    _check_severity(severity)
    if not isinstance(subject_id, str) or not 1 <= len(subject_id) <= 120:
        raise BadUserInput("a subject id is 1–120 characters", field="subjectId")
    existing = await _find(session, tenant_id, source, subject_id)
    if existing is not None:
        return Escalation.of(existing)
    chain = _contact_chain(contacts)
    for group in chain:
        for account in group:
            await require_member(session, account, field="contacts")
    if community_id is not None:
        await require_community(session, community_id)
    registries(runtime_for(session)).templates.get(
        template
    )  # unknown template: fails before writing
    seconds = (
        _seconds(ack_within)
        if ack_within is not None
        else int((await ack_within_for(session, source=source, severity=severity)).total_seconds())
    )
    now = now or utcnow()
    row = EscalationRecord(
        source=source,
        subject_id=subject_id,
        community_id=community_id,
        severity=severity,
        level=1,
        max_level=max(DEFAULT_MAX_LEVEL, len(chain)),
        contacts=[[str(a) for a in g] for g in chain],
        template=template,
        data=dict(data),
        ack_within_seconds=seconds,
        opened_at=now,
        due_at=now + timedelta(seconds=seconds),
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # opened concurrently for the same subject: that one stands
        found = await _find(session, tenant_id, source, subject_id)
        if found is None:
            raise
        return Escalation.of(found)
    await _notify_level(session, row, 1, now)
    return Escalation.of(row)


# -- the scheduled job ---------------------------------------------------------------------------


async def escalate_due(
    session: AsyncSession, *, tenant_id: uuid.UUID, now: datetime | None = None
) -> list[Escalation]:
    """Escalate every open, unacknowledged escalation of the tenant whose deadline has passed:
    one level up, the next level told, a new deadline (none at the last level); a critical one
    past level 1 raises the regulator alert. Publishes ``escalation.escalated`` for each."""
    now = now or utcnow()
    stmt = (
        select(EscalationRecord)
        .where(
            EscalationRecord.tenant_id == tenant_id,
            EscalationRecord.closed.is_(False),
            EscalationRecord.acknowledged_at.is_(None),
            EscalationRecord.due_at.is_not(None),
            EscalationRecord.due_at <= now,
        )
        .order_by(EscalationRecord.due_at, EscalationRecord.id)
        .with_for_update(skip_locked=True)
    )
    out = []
    for row in (await session.scalars(stmt)).all():
        row.level += 1
        await _notify_level(session, row, row.level, now)
        row.due_at = (
            now + timedelta(seconds=row.ack_within_seconds) if row.level < row.max_level else None
        )
        if row.severity == "critical" and row.regulator_alerted_at is None:
            row.regulator_alerted_at = now
        await session.flush()
        await _publish(session, row, ESCALATED, "system")
        out.append(Escalation.of(row))
    return out


async def escalate_due_all(runtime: Any, *, now: datetime | None = None) -> int:
    """The worker's job: :func:`escalate_due` in every active tenant, each in its own
    transaction (a tenant that fails is logged and skipped). Returns how many escalated."""
    import structlog

    from kernel.tenancy import all_tenants

    log = structlog.get_logger("linli.notifications")
    count = 0
    for tenant in await all_tenants(runtime):
        if not tenant.is_active:
            continue
        try:
            # a background writer: on SQLite it holds the write lock from the start
            async with runtime.db.tenant(tenant.id, immediate=True) as session:
                count += len(await escalate_due(session, tenant_id=tenant.id, now=now))
        except Exception:
            log.exception("escalation_job_failed", tenant=str(tenant.id))
    return count


# -- responding ----------------------------------------------------------------------------------


async def _require(
    session: AsyncSession, tenant_id: uuid.UUID, source: str, subject_id: str
) -> EscalationRecord:
    row = await _find(session, tenant_id, source, subject_id)
    if row is None:
        raise NotFound("no such escalation", field="subjectId")
    return row


async def _actor(session: AsyncSession, account_id: uuid.UUID | None) -> str:
    if account_id is None:
        return "system"
    await require_member(session, account_id)
    return f"account:{account_id}"


async def get_escalation(
    session: AsyncSession, *, tenant_id: uuid.UUID, source: str, subject_id: str
) -> Escalation | None:
    """The escalation of ``source``'s ``subject_id``, or ``None``."""
    row = await _find(session, tenant_id, source, subject_id)
    return Escalation.of(row) if row is not None else None


async def acknowledge(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    source: str,
    subject_id: str,
    account_id: uuid.UUID | None,
    at: datetime | None = None,
) -> Escalation:
    """Someone took it: record when and who, stop escalating, publish
    ``escalation.acknowledged``. Again (or after resolution): nothing changes. NOT_FOUND for an
    escalation — or an acting account — the firm does not have."""
    row = await _require(session, tenant_id, source, subject_id)
    actor = await _actor(session, account_id)
    if row.acknowledged_at is None and not row.closed:
        row.acknowledged_at, row.acknowledged_by, row.due_at = at or utcnow(), account_id, None
        await session.flush()
        await _publish(session, row, ACKNOWLEDGED, actor)
    return Escalation.of(row)


async def mark_arrived(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    source: str,
    subject_id: str,
    account_id: uuid.UUID | None,
    at: datetime | None = None,
) -> Escalation:
    """Someone is on site: record when and who (acknowledging it too, if nobody had). Again:
    nothing changes. NOT_FOUND as :func:`acknowledge`."""
    row = await _require(session, tenant_id, source, subject_id)
    actor = await _actor(session, account_id)
    if row.arrived_at is None and not row.closed:
        at = at or utcnow()
        row.arrived_at, row.arrived_by = at, account_id
        if row.acknowledged_at is None:
            row.acknowledged_at, row.acknowledged_by, row.due_at = at, account_id, None
            await session.flush()
            await _publish(session, row, ACKNOWLEDGED, actor)
        await session.flush()
    return Escalation.of(row)


async def resolve(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    source: str,
    subject_id: str,
    account_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Escalation:
    """It is over (handled, or a false alarm): record when and who, close it (no further
    escalation), publish ``escalation.resolved``. Again: nothing changes. An escalation never
    acknowledged stays unacknowledged in the statistics."""
    row = await _require(session, tenant_id, source, subject_id)
    actor = await _actor(session, account_id)
    if not row.closed:
        row.resolved_at, row.resolved_by, row.closed, row.due_at = (
            at or utcnow(),
            account_id,
            True,
            None,
        )
        await session.flush()
        await _publish(session, row, RESOLVED, actor)
    return Escalation.of(row)


# -- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationStats:
    """Counts and response times (seconds from opening; ``None`` without data) of a plugin's
    escalations."""

    opened: int
    acknowledged: int
    arrived: int
    resolved: int
    open: int
    escalated: int
    regulator_alerted: int
    ack_p50: float | None
    ack_p90: float | None
    arrive_p50: float | None
    arrive_p90: float | None
    resolve_p50: float | None
    resolve_p90: float | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q ≤ 100) of ``values``; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n·q/100)
    return float(ordered[int(rank) - 1])


async def escalation_stats(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    source: str,
    community_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> EscalationStats:
    """``source``'s escalations opened since ``since`` (all, by default), in one community or
    all: how many were opened, acknowledged, arrived at, resolved, are still open, escalated
    past level 1 and reached the regulator; p50/p90 of the seconds from opening to
    acknowledgement, arrival and resolution."""
    stmt = select(EscalationRecord).where(
        EscalationRecord.tenant_id == tenant_id, EscalationRecord.source == source
    )
    if community_id is not None:
        stmt = stmt.where(EscalationRecord.community_id == community_id)
    if since is not None:
        stmt = stmt.where(EscalationRecord.opened_at >= since)
    rows = list((await session.scalars(stmt)).all())

    def spans(attr: str) -> list[float]:
        return [
            (getattr(r, attr) - r.opened_at).total_seconds()
            for r in rows
            if getattr(r, attr) is not None
        ]

    ack, arrive, done = spans("acknowledged_at"), spans("arrived_at"), spans("resolved_at")
    return EscalationStats(
        opened=len(rows),
        acknowledged=len(ack),
        arrived=len(arrive),
        resolved=len(done),
        open=sum(1 for r in rows if not r.closed),
        escalated=sum(1 for r in rows if r.level > 1),
        regulator_alerted=sum(1 for r in rows if r.regulator_alerted_at is not None),
        ack_p50=percentile(ack, 50),
        ack_p90=percentile(ack, 90),
        arrive_p50=percentile(arrive, 50),
        arrive_p90=percentile(arrive, 90),
        resolve_p50=percentile(done, 50),
        resolve_p90=percentile(done, 90),
    )
