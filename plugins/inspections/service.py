"""Inspection operations. Flush, never commit; validate before writing.

A defect found on a round is published as ``inspection.finding_reported``; the work-order
plugin (if the tenant enabled it) opens an order from it and publishes ``workorder.reported``
with ``source_ref = "finding:<id>"``, which links the order back to the finding here. The two
plugins know each other only through these events — neither imports the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from kernel.sdk import BadUserInput, Conflict, Event, NotFound, audit, utcnow
from kernel.sdk.estate import Community
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.inspections.inputs import CATEGORIES as CATEGORIES  # the facility categories' values
from plugins.inspections.inputs import NewFinding, NewRoute, Schedule
from plugins.inspections.models import (
    Checkpoint,
    Finding,
    InspectionRound,
    InspectionRoute,
    InspectionSchedule,
)


@dataclass(frozen=True)
class CheckpointSpec:
    name: str
    location: str = ""
    category: str = "other"


async def _get(session: Any, model: type, id_: uuid.UUID, what: str) -> Any:
    row = await session.scalar(select(model).where(model.id == id_))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no {what} with this id")
    return row


async def _audit(session: Any, actor: str, action: str, target: uuid.UUID, **detail: Any) -> None:
    """The service audits its own changes (``inspections.<action>``), in the change's transaction."""
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"inspections.{action}",
        target=str(target),
        detail=detail,
    )


async def create_route(
    session: Any,
    *,
    community_id: uuid.UUID,
    name: str,
    checkpoints: Sequence[CheckpointSpec],
    actor: str = "system",
) -> InspectionRoute:
    """A route and its checkpoints (validated by :class:`plugins.inspections.inputs.NewRoute`),
    audited as ``inspections.route_created``."""
    spec = parse_input(NewRoute, name=name, checkpoints=list(checkpoints))
    name = spec.name
    await _get(session, Community, community_id, "community")
    if await session.scalar(
        select(InspectionRoute.id).where(
            InspectionRoute.community_id == community_id, InspectionRoute.name == name
        )
    ):
        raise Conflict(f"the community has a route named {name!r}", field="name")
    route = InspectionRoute(id=uuid.uuid4(), community_id=community_id, name=name)
    session.add(route)
    await session.flush()
    session.add_all(
        Checkpoint(
            route_id=route.id,
            seq=i + 1,
            name=c.name,
            location=c.location,
            category=c.category,
        )
        for i, c in enumerate(spec.checkpoints)
    )
    await session.flush()
    await _audit(session, actor, "route_created", route.id, checkpoints=len(checkpoints))
    return route


async def create_schedule(
    session: Any,
    *,
    route_id: uuid.UUID,
    interval_hours: int,
    first_due_at: datetime,
    inspector_account_id: uuid.UUID | None = None,
    actor: str = "system",
) -> InspectionSchedule:
    spec = parse_input(Schedule, interval_hours=interval_hours, first_due_at=first_due_at)
    interval_hours, first_due_at = spec.interval_hours, spec.first_due_at
    await _get(session, InspectionRoute, route_id, "route")
    row = InspectionSchedule(
        route_id=route_id,
        interval_hours=interval_hours,
        next_due_at=first_due_at,
        inspector_account_id=inspector_account_id,
    )
    session.add(row)
    await session.flush()
    await _audit(session, actor, "schedule_created", row.id, interval_hours=interval_hours)
    return row


async def open_due_rounds(
    session: Any, runtime: Runtime, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> list[InspectionRound]:
    """Open one scheduled round per due schedule and move the schedule past ``now`` (rounds
    missed while the scheduler was down are not back-filled: one round, not a flood)."""
    now = now or utcnow()
    due = (
        await session.scalars(
            select(InspectionSchedule).where(
                InspectionSchedule.active.is_(True), InspectionSchedule.next_due_at <= now
            )
        )
    ).all()
    opened = []
    for sched in due:
        rnd = InspectionRound(
            id=uuid.uuid4(),
            route_id=sched.route_id,
            schedule_id=sched.id,
            inspector_account_id=sched.inspector_account_id,
            status="scheduled",
            due_at=sched.next_due_at,
        )
        session.add(rnd)
        step = timedelta(hours=sched.interval_hours)
        nxt = sched.next_due_at
        while nxt <= now:
            nxt += step
        sched.next_due_at = nxt
        await session.flush()
        await runtime.bus.publish(
            session,
            Event(
                "inspection.round_due",
                tenant_id,
                {
                    "round_id": str(rnd.id),
                    "route_id": str(rnd.route_id),
                    "due_at": rnd.due_at.isoformat() if rnd.due_at else None,
                    "inspector_account_id": str(rnd.inspector_account_id)
                    if rnd.inspector_account_id
                    else None,
                },
            ),
        )
        opened.append(rnd)
    return opened


async def start_round(
    session: Any,
    *,
    route_id: uuid.UUID,
    inspector_account_id: uuid.UUID | None,
    now: datetime | None = None,
    actor: str = "system",
) -> InspectionRound:
    """Start walking a route: take over its earliest scheduled round, or open an ad-hoc one."""
    route = await _get(session, InspectionRoute, route_id, "route")
    if not route.active:
        raise Conflict("this route is inactive")
    busy = await session.scalar(
        select(InspectionRound.id).where(
            InspectionRound.route_id == route_id, InspectionRound.status == "in_progress"
        )
    )
    if busy is not None:
        raise Conflict("a round of this route is in progress; finish it first")
    rnd = await session.scalar(
        select(InspectionRound)
        .where(InspectionRound.route_id == route_id, InspectionRound.status == "scheduled")
        .order_by(InspectionRound.due_at)
        .limit(1)
    )
    if rnd is None:
        rnd = InspectionRound(id=uuid.uuid4(), route_id=route_id)
        session.add(rnd)
    rnd.status = "in_progress"
    rnd.started_at = now or utcnow()
    rnd.inspector_account_id = inspector_account_id or rnd.inspector_account_id
    await session.flush()
    await _audit(session, actor, "round_started", rnd.id)
    return rnd


async def record_finding(
    session: Any,
    runtime: Runtime,
    tenant_id: uuid.UUID,
    *,
    round_id: uuid.UUID,
    checkpoint_id: uuid.UUID,
    ok: bool,
    note: str = "",
    severity: str = "normal",
    category: str | None = None,
    photos: Sequence[str] = (),
    actor: str = "system",
) -> Finding:
    spec = parse_input(
        NewFinding, ok=ok, severity=severity, category=category, note=note, photos=list(photos)
    )
    severity, category, note, photos = spec.severity, spec.category, spec.note, spec.photos
    rnd = await _get(session, InspectionRound, round_id, "round")
    cp = await _get(session, Checkpoint, checkpoint_id, "checkpoint")
    if cp.route_id != rnd.route_id:
        raise BadUserInput("this checkpoint is not on the round's route", field="checkpointId")
    if rnd.status != "in_progress":
        raise Conflict(f"the round is {rnd.status}; findings are recorded while it is in progress")
    if await session.scalar(
        select(Finding.id).where(
            Finding.round_id == round_id, Finding.checkpoint_id == checkpoint_id
        )
    ):
        raise Conflict("this checkpoint already has a finding in this round")
    finding = Finding(
        id=uuid.uuid4(),
        round_id=round_id,
        checkpoint_id=checkpoint_id,
        result="ok" if ok else "defect",
        severity=severity,
        category=category or cp.category,
        note=note,
        photos=[{"url": p} for p in photos],
    )
    session.add(finding)
    await session.flush()
    if not ok:
        route = await _get(session, InspectionRoute, rnd.route_id, "route")
        await runtime.bus.publish(
            session,
            Event(
                "inspection.finding_reported",
                tenant_id,
                {
                    "finding_id": str(finding.id),
                    "round_id": str(rnd.id),
                    "community_id": str(route.community_id),
                    "checkpoint": cp.name,
                    "location": cp.location,
                    "category": finding.category,
                    "severity": severity,
                    "note": finding.note,
                },
            ),
        )
    await _audit(session, actor, "finding_recorded", finding.id, result=finding.result)
    return finding


async def finish_round(
    session: Any, *, round_id: uuid.UUID, now: datetime | None = None, actor: str = "system"
) -> InspectionRound:
    rnd = await _get(session, InspectionRound, round_id, "round")
    if rnd.status != "in_progress":
        raise Conflict(f"the round is {rnd.status}; only a round in progress can be finished")
    total = await session.scalar(
        select(func.count()).select_from(Checkpoint).where(Checkpoint.route_id == rnd.route_id)
    )
    done = await session.scalar(
        select(func.count()).select_from(Finding).where(Finding.round_id == round_id)
    )
    rnd.missed = int(total or 0) - int(done or 0)
    rnd.status = "completed"
    rnd.finished_at = now or utcnow()
    await session.flush()
    await _audit(session, actor, "round_finished", rnd.id, missed=rnd.missed)
    return rnd


async def link_work_order(session: Any, payload: dict[str, Any]) -> bool:
    """Handle ``workorder.reported``: remember which order a defect opened."""
    ref = str(payload.get("source_ref") or "")
    if not ref.startswith("finding:"):
        return False
    try:
        finding_id, order_id = (
            uuid.UUID(ref.removeprefix("finding:")),
            uuid.UUID(str(payload.get("work_order_id"))),
        )
    except ValueError:
        return False
    finding = await session.scalar(select(Finding).where(Finding.id == finding_id))
    if finding is None:
        return False
    finding.work_order_id = order_id
    await session.flush()
    return True
