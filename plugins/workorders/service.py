"""Work-order operations: the closed loop as a state machine, SLA timers and escalation,
automatic dispatch, feedback and statistics. Functions flush, never commit; they validate
everything before writing, so a refused call leaves nothing behind.

The loop (感知—研判—分派—处置—反馈)::

    reported ──assess──▶ assessed ──dispatch──▶ dispatched ──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
        │                   │                     │  ▲ (re-dispatch)                             │                 │
        └──cancel──▶ cancelled ◀──cancel──────────┘  └──────────────────── reopen ◀──────────────┘              rate (once)

Any other move is a CONFLICT.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from kernel.sdk import BadUserInput, Conflict, Event, NotFound, audit, utcnow
from kernel.sdk.estate import Unit, community_exists
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.workorders.inputs import (
    MAX_PHOTOS,
    PHOTO_PREFIX,
    Assessment,
    NewWorkOrder,
    Photo,
    Rating,
    Reason,
    Resolution,
    TechnicianProfile,
)
from plugins.workorders.live import announce
from plugins.workorders.models import Technician, WorkOrder, WorkOrderTransition
from plugins.workorders.vocabulary import FacilityCategory, WorkOrderKind, WorkOrderPriority, values

KINDS = values(WorkOrderKind)
CATEGORIES = values(FacilityCategory)
PRIORITIES = values(WorkOrderPriority)
OPEN_STATUSES = ("reported", "assessed", "dispatched", "in_progress")
ACTIVE_LOAD_STATUSES = ("dispatched", "in_progress")

#: Allowed moves: action → (from statuses, to status).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "assess": (("reported", "assessed"), "assessed"),
    "dispatch": (("assessed", "dispatched"), "dispatched"),
    "start": (("dispatched",), "in_progress"),
    "resolve": (("in_progress",), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved",), "in_progress"),
    "cancel": (("reported", "assessed", "dispatched"), "cancelled"),
}
#: How a refused transition names its action ("cannot be closed", not "closeed").
PAST = {"assess": "assessed", "dispatch": "dispatched", "start": "started", "resolve": "resolved",
        "close": "closed", "reopen": "reopened", "cancel": "cancelled"}

#: SLA per priority: (time to dispatch, time to resolve).
SLA: dict[str, tuple[timedelta, timedelta]] = {
    "urgent": (timedelta(minutes=30), timedelta(hours=4)),
    "high": (timedelta(hours=2), timedelta(hours=24)),
    "normal": (timedelta(hours=8), timedelta(hours=72)),
    "low": (timedelta(hours=24), timedelta(days=7)),
}


def _own_photos(session: Any, photos: Sequence[Photo]) -> list[dict[str, Any]]:
    """The photos as stored; an uploaded photo must be one of this tenant's."""
    own = f"{PHOTO_PREFIX}/{session.info['tenant_id']}/"
    for p in photos:
        if p.url.startswith(PHOTO_PREFIX) and not p.url.startswith(own):
            raise BadUserInput("an uploaded photo of another tenant", field="photos")
    return [p.stored() for p in photos]


async def _audit(session: Any, actor: str, action: str, target: uuid.UUID, **detail: Any) -> None:
    """The service audits its own changes (``workorders.<action>``), in the change's transaction."""
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"workorders.{action}",
        target=str(target),
        detail=detail,
    )


async def _announce(
    runtime: Runtime, session: Any, event_type: str, order: WorkOrder, actor: str, **extra: Any
) -> None:
    """Publish ``workorder.<change>`` (outbox and live subscribers) in the change's transaction."""
    await announce(
        runtime,
        session,
        Event(event_type, session.info["tenant_id"], {**payload(order), **extra}, actor=actor),
    )


def sla_deadlines(priority: str, start: datetime) -> tuple[datetime, datetime]:
    respond, resolve = SLA[priority]
    return start + respond, start + resolve


async def _community_exists(session: Any, community_id: uuid.UUID) -> None:
    if not await community_exists(session, community_id):
        raise NotFound("no community with this id")


async def get(session: Any, order_id: uuid.UUID) -> WorkOrder:
    row = await session.scalar(select(WorkOrder).where(WorkOrder.id == order_id))
    if row is None:
        raise NotFound("no work order with this id")
    return row


async def report(
    session: Any,
    runtime: Runtime,
    *,
    title: str,
    kind: str = "repair",
    source: str = "resident",
    description: str = "",
    location: str = "",
    category: str = "other",
    priority: str = "normal",
    community_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    reporter_account_id: uuid.UUID | None = None,
    photos: Sequence[Any] = (),
    source_ref: str | None = None,
    actor: str = "system",
    now: datetime | None = None,
    source_ref_checked: bool = False,
) -> WorkOrder:
    """Open a work order (the *sense* step), audited as ``workorders.reported`` and announced as
    ``workorder.reported``. The SLA clock starts now. ``photos`` are :class:`Photo` models, dicts
    or objects with ``url``, ``content_type`` and ``size``. An order with the ``source_ref`` of
    an existing one (the same alarm, proposal or finding delivered twice) is that order, unchanged
    and not announced again — unless ``source_ref_checked``: the caller looked for one in this
    transaction and found none (the event handlers do, before choosing the order's place)."""
    spec = parse_input(
        NewWorkOrder,
        title=title,
        kind=kind,
        source=source,
        description=description,
        location=location,
        category=category,
        priority=priority,
        photos=list(photos),
    )
    photo_rows = _own_photos(session, spec.photos)
    if unit_id is not None:
        unit = await session.scalar(select(Unit).where(Unit.id == unit_id))
        if unit is None:
            raise NotFound("no unit with this id")
        if community_id is not None and community_id != unit.community_id:
            raise BadUserInput("the unit is not in this community", field="unitId")
        community_id = unit.community_id
    elif community_id is not None:
        await _community_exists(session, community_id)
    if source_ref is not None and not source_ref_checked:
        existing = await session.scalar(select(WorkOrder).where(WorkOrder.source_ref == source_ref))
        if existing is not None:
            return existing  # the same alarm/proposal/finding delivered twice opens one order
    now = now or utcnow()
    respond_by, resolve_by = sla_deadlines(spec.priority.value, now)
    row = WorkOrder(
        id=uuid.uuid4(),
        kind=spec.kind.value,
        source=spec.source,
        source_ref=source_ref,
        category=spec.category.value,
        priority=spec.priority.value,
        status="reported",
        title=spec.title,
        description=spec.description,
        location=spec.location,
        community_id=community_id,
        unit_id=unit_id,
        reporter_account_id=reporter_account_id,
        photos=photo_rows,
        response_due_at=respond_by,
        resolve_due_at=resolve_by,
        created_at=now,
    )
    session.add(row)
    session.add(
        WorkOrderTransition(
            work_order_id=row.id,
            from_status="",
            to_status="reported",
            actor=actor,
            note=spec.source,
        )
    )
    await session.flush()
    await _audit(session, actor, "reported", row.id, kind=row.kind)
    await _announce(runtime, session, "workorder.reported", row, actor)
    return row


def _move(session: Any, order: WorkOrder, action: str, actor: str, note: str = "") -> str:
    allowed_from, to = TRANSITIONS[action]
    if order.status not in allowed_from:
        raise Conflict(
            f"a work order that is {order.status} cannot be {PAST[action]} (allowed from: {', '.join(allowed_from)})",
            status=order.status,
        )
    before = order.status
    order.status = to
    session.add(
        WorkOrderTransition(
            work_order_id=order.id, from_status=before, to_status=to, actor=actor, note=note
        )
    )
    return before


async def assess(
    session: Any,
    order_id: uuid.UUID,
    *,
    category: str,
    priority: str,
    kind: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> WorkOrder:
    """Classify and prioritise (研判), audited as ``workorders.assessed``. A new priority restarts
    the SLA from the report time."""
    spec = parse_input(Assessment, category=category, priority=priority, kind=kind)
    category, priority = spec.category.value, spec.priority.value
    order = await get(session, order_id)
    _move(session, order, "assess", actor, f"{category}/{priority}")
    order.category, order.priority = category, priority
    if spec.kind is not None:
        order.kind = spec.kind.value
    order.response_due_at, order.resolve_due_at = sla_deadlines(priority, order.created_at)
    order.assessed_at = now or utcnow()
    await session.flush()
    await _audit(session, actor, "assessed", order.id, category=category, priority=priority)
    return order


async def _load(session: Any) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(WorkOrder.assignee_id, func.count())
        .where(WorkOrder.status.in_(ACTIVE_LOAD_STATUSES), WorkOrder.assignee_id.is_not(None))
        .group_by(WorkOrder.assignee_id)
    )
    return {a: int(n) for a, n in rows}


async def pick_technician(session: Any, order: WorkOrder) -> Technician | None:
    """Automatic dispatch: an active technician with the order's skill; those based in the
    order's community first, then those who work anywhere; among them the least loaded (open
    dispatched/in-progress orders), then by name for a stable choice. Technicians based in
    another community are not picked."""
    techs = list(
        (await session.scalars(select(Technician).where(Technician.active.is_(True)))).all()
    )
    fit = [
        t
        for t in techs
        if order.category in (t.skills or [])
        and (t.community_id is None or t.community_id == order.community_id)
    ]
    if not fit:
        return None  # nobody to weigh: the load is not read
    load = await _load(session)
    candidates = []
    for t in fit:
        on_site = 0 if (t.community_id is not None and t.community_id == order.community_id) else 1
        candidates.append((on_site, load.get(t.id, 0), t.name, str(t.id), t))
    return min(candidates, key=lambda c: c[:4])[4]


async def dispatch(
    session: Any,
    runtime: Runtime,
    order_id: uuid.UUID,
    *,
    technician_id: uuid.UUID | None = None,
    actor: str,
    now: datetime | None = None,
) -> WorkOrder:
    """Assign a technician (分派): the one given, or the automatic choice. A reported order is
    assessed implicitly with its current category and priority. Audited as
    ``workorders.dispatched``, announced as ``workorder.dispatched``."""
    order = await get(session, order_id)
    if order.status == "reported":
        _move(session, order, "assess", actor, "implicit")
        order.assessed_at = now or utcnow()
    if technician_id is not None:
        tech = await session.scalar(select(Technician).where(Technician.id == technician_id))
        if tech is None:
            raise NotFound("no technician with this id")
        if not tech.active:
            raise Conflict("this technician is inactive")
    else:
        tech = await pick_technician(session, order)
        if tech is None:
            raise Conflict(
                f"no active technician has the skill {order.category!r} for this place; add one or dispatch by hand"
            )
    _move(
        session,
        order,
        "dispatch",
        actor if technician_id is not None else f"auto-dispatch by {actor}",
        f"to {tech.id}",
    )
    order.assignee_id = tech.id
    order.dispatched_at = now or utcnow()
    await session.flush()
    await _audit(
        session,
        actor,
        "dispatched",
        order.id,
        technician=str(order.assignee_id),
        automatic=technician_id is None,
    )
    await _announce(runtime, session, "workorder.dispatched", order, actor)
    return order


async def try_auto_dispatch(session: Any, runtime: Runtime, order: WorkOrder, actor: str) -> bool:
    """Dispatch automatically if some technician fits; otherwise leave the order for staff."""
    if order.status not in ("reported", "assessed"):
        return False
    if await pick_technician(session, order) is None:
        return False
    await dispatch(session, runtime, order.id, actor=actor)
    return True


async def start(
    session: Any, order_id: uuid.UUID, *, actor: str, now: datetime | None = None
) -> WorkOrder:
    """The technician starts work (处置), audited as ``workorders.started``."""
    order = await get(session, order_id)
    _move(session, order, "start", actor)
    order.started_at = order.started_at or now or utcnow()
    await session.flush()
    await _audit(session, actor, "started", order.id)
    return order


async def resolve(
    session: Any,
    runtime: Runtime,
    order_id: uuid.UUID,
    *,
    resolution: str,
    photos: Sequence[Any] = (),
    actor: str,
    now: datetime | None = None,
) -> WorkOrder:
    """The work is done: what was done, with photos. Audited as ``workorders.resolved``,
    announced as ``workorder.resolved``."""
    spec = parse_input(Resolution, resolution=resolution, photos=list(photos))
    extra = _own_photos(session, spec.photos)
    order = await get(session, order_id)
    if len(order.photos or []) + len(extra) > MAX_PHOTOS * 2:
        raise BadUserInput("too many photos on this work order", field="photos")
    _move(session, order, "resolve", actor, spec.resolution[:200])
    order.resolution = spec.resolution
    order.photos = [*(order.photos or []), *extra]
    order.resolved_at = now or utcnow()
    await session.flush()
    await _audit(session, actor, "resolved", order.id)
    await _announce(runtime, session, "workorder.resolved", order, actor)
    return order


async def close(
    session: Any, runtime: Runtime, order_id: uuid.UUID, *, actor: str, now: datetime | None = None
) -> WorkOrder:
    """The reporter (or staff) confirms a resolved order. Audited as ``workorders.closed``,
    announced as ``workorder.closed``."""
    order = await get(session, order_id)
    _move(session, order, "close", actor)
    order.closed_at = now or utcnow()
    await session.flush()
    await _audit(session, actor, "closed", order.id)
    await _announce(runtime, session, "workorder.closed", order, actor)
    return order


async def reopen(session: Any, order_id: uuid.UUID, *, reason: str, actor: str) -> WorkOrder:
    """Not fixed: back to the technician, audited as ``workorders.reopened``."""
    spec = parse_input(Reason, reason=reason)
    order = await get(session, order_id)
    _move(session, order, "reopen", actor, spec.reason[:200])
    order.resolved_at = None
    await session.flush()
    await _audit(session, actor, "reopened", order.id)
    return order


async def cancel(
    session: Any, runtime: Runtime, order_id: uuid.UUID, *, reason: str, actor: str
) -> WorkOrder:
    """Withdraw an order not yet being handled. Audited as ``workorders.cancelled``, announced as
    ``workorder.cancelled``."""
    spec = parse_input(Reason, reason=reason)
    order = await get(session, order_id)
    _move(session, order, "cancel", actor, spec.reason[:200])
    await session.flush()
    await _audit(session, actor, "cancelled", order.id)
    await _announce(runtime, session, "workorder.cancelled", order, actor)
    return order


async def rate(
    session: Any,
    runtime: Runtime,
    order_id: uuid.UUID,
    *,
    rating: int,
    feedback: str = "",
    account_id: uuid.UUID,
    actor: str,
) -> WorkOrder:
    """The reporter's feedback (反馈) after closure: 1–5 stars, once. Audited as
    ``workorders.rated``, announced as ``workorder.rated`` (with the rating)."""
    spec = parse_input(Rating, rating=rating, feedback=feedback)
    order = await get(session, order_id)
    if order.reporter_account_id != account_id:
        raise NotFound("no work order with this id among yours")
    if order.status != "closed":
        raise Conflict(
            f"rate a work order after it is closed (it is {order.status})", status=order.status
        )
    if order.rating is not None:
        raise Conflict("this work order is rated already")
    order.rating = spec.rating
    order.feedback = spec.feedback
    await session.flush()
    await _audit(session, actor, "rated", order.id, rating=spec.rating)
    await _announce(runtime, session, "workorder.rated", order, actor, rating=spec.rating)
    return order


async def upsert_technician(
    session: Any,
    *,
    account_id: uuid.UUID,
    name: str,
    skills: Sequence[str],
    community_id: uuid.UUID | None = None,
    active: bool = True,
    actor: str = "system",
) -> Technician:
    """Create or update a technician's profile, audited as ``workorders.technician_saved``."""
    spec = parse_input(TechnicianProfile, name=name, skills=list(skills), active=active)
    if community_id is not None:
        await _community_exists(session, community_id)
    row = await session.scalar(select(Technician).where(Technician.account_id == account_id))
    if row is None:
        row = Technician(account_id=account_id)
        session.add(row)
    row.name, row.skills, row.community_id, row.active = (
        spec.name,
        sorted({s.value for s in spec.skills}),
        community_id,
        spec.active,
    )
    await session.flush()
    await _audit(session, actor, "technician_saved", row.id, skills=row.skills)
    return row


# -- escalation ---------------------------------------------------------------------------------


def due_escalation(order: WorkOrder, now: datetime) -> int:
    """The escalation level an open order has reached at ``now``: 1 when not dispatched past the
    response deadline, 2 when not resolved past the resolution deadline, 0 otherwise."""
    if order.status not in OPEN_STATUSES:
        return 0
    if now > order.resolve_due_at:
        return 2
    if order.status in ("reported", "assessed") and now > order.response_due_at:
        return 1
    return 0


async def escalate_overdue(
    session: Any, runtime: Runtime, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> list[WorkOrder]:
    """Raise the escalation level of overdue open orders and publish ``workorder.escalated``
    once per level reached (re-running at the same time escalates nothing more)."""
    now = now or utcnow()
    rows = (
        await session.scalars(
            select(WorkOrder).where(
                WorkOrder.status.in_(OPEN_STATUSES),
                WorkOrder.escalation_level < 2,
                (WorkOrder.response_due_at < now) | (WorkOrder.resolve_due_at < now),
            )
        )
    ).all()
    escalated = []
    for order in rows:
        level = due_escalation(order, now)
        if level <= order.escalation_level:
            continue
        order.escalation_level = level
        order.escalated_at = now
        if level == 2 and order.priority != "urgent":
            order.priority = PRIORITIES[PRIORITIES.index(order.priority) + 1]
        session.add(
            WorkOrderTransition(
                work_order_id=order.id,
                from_status=order.status,
                to_status=order.status,
                actor="sla",
                note=f"escalated to level {level}",
            )
        )
        await announce(
            runtime,
            session,
            Event("workorder.escalated", tenant_id, {**payload(order), "level": level}),
        )  # not audited: the SLA clock, not a person, raised it (the history keeps the step)
        escalated.append(order)
    await session.flush()
    return escalated


def payload(order: WorkOrder) -> dict[str, Any]:
    """The event payload describing a work order (no personal data)."""
    return {
        "work_order_id": str(order.id),
        "kind": order.kind,
        "source": order.source,
        "source_ref": order.source_ref,
        "category": order.category,
        "priority": order.priority,
        "status": order.status,
        "community_id": str(order.community_id) if order.community_id else None,
        "assignee_id": str(order.assignee_id) if order.assignee_id else None,
    }


# -- statistics ---------------------------------------------------------------------------------


@dataclass
class Stats:
    total: int
    open: int
    closed: int
    cancelled: int
    #: Closed / (all but cancelled), in basis points (9370 = 93.70%).
    closure_rate_bp: int
    #: Mean seconds from report to dispatch, over dispatched orders.
    mean_response_seconds: int | None
    #: Mean seconds from report to resolution, over resolved orders.
    mean_resolution_seconds: int | None
    rated: int
    #: Mean rating ×100 (435 = 4.35 stars).
    mean_rating_x100: int | None
    escalated: int
    auto_dispatched: int


async def stats(
    session: Any, community_id: uuid.UUID | None, *, since: datetime | None = None
) -> Stats:
    stmt = select(
        WorkOrder.id,
        WorkOrder.status,
        WorkOrder.created_at,
        WorkOrder.dispatched_at,
        WorkOrder.resolved_at,
        WorkOrder.rating,
        WorkOrder.escalation_level,
    )
    if community_id is not None:
        stmt = stmt.where(WorkOrder.community_id == community_id)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    rows = (await session.execute(stmt)).all()
    auto = set(
        (
            await session.scalars(
                select(WorkOrderTransition.work_order_id).where(
                    WorkOrderTransition.to_status == "dispatched",
                    WorkOrderTransition.actor.like("auto%"),
                )
            )
        ).all()
    )
    total = len(rows)
    closed = sum(1 for r in rows if r.status == "closed")
    cancelled = sum(1 for r in rows if r.status == "cancelled")
    opened = sum(1 for r in rows if r.status in OPEN_STATUSES)
    resp = [(r.dispatched_at - r.created_at).total_seconds() for r in rows if r.dispatched_at]
    reso = [(r.resolved_at - r.created_at).total_seconds() for r in rows if r.resolved_at]
    ratings = [r.rating for r in rows if r.rating is not None]
    base = total - cancelled
    return Stats(
        total=total,
        open=opened,
        closed=closed,
        cancelled=cancelled,
        closure_rate_bp=closed * 10000 // base if base else 0,
        mean_response_seconds=int(sum(resp) / len(resp)) if resp else None,
        mean_resolution_seconds=int(sum(reso) / len(reso)) if reso else None,
        rated=len(ratings),
        mean_rating_x100=sum(ratings) * 100 // len(ratings) if ratings else None,
        escalated=sum(1 for r in rows if r.escalation_level > 0),
        auto_dispatched=sum(1 for r in rows if r.id in auto),
    )
