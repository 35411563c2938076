"""Patrol routes, checkpoints with QR or NFC tags, check-ins, and missed checkpoints.

A route's periods run from ``starts_at`` in steps of ``interval_minutes``. Within each period
every active checkpoint (that existed when the period began) needs one check-in; the job
:func:`flag_missed` looks at the period that ended last and flags each checkpoint without one
(once: unique per checkpoint and period). A check-in's time is the server's; its location is
recorded only when the worker gives one *and* consented to ``grid.patrol_location``."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kernel.sdk import Conflict, NotFound, notify, utcnow
from kernel.sdk.inputs import parse_input
from kernel.sdk.notifications import NotificationTemplate
from kernel.sdk.repository import Viewer
from plugins.grid.common import publish, record, seal
from plugins.grid.consent import require_location_consent
from plugins.grid.grids import worker_accounts
from plugins.grid.inputs import CheckInScan, NewCheckpoint, NewRoute
from plugins.grid.models import CheckIn, Checkpoint, Grid, MissedCheckpoint, PatrolRoute
from plugins.grid.repository import CheckpointRepository

MISSED_TEMPLATE = NotificationTemplate(
    key="grid.checkpoint_missed",
    category="grid",
    subject={
        "zh-CN": "【网格巡查】漏检：{checkpoint}",
        "en": "Patrol: checkpoint missed — {checkpoint}",
    },
    body={
        "zh-CN": "网格“{grid}”巡查路线“{route}”的巡查点“{checkpoint}”在 {period_start} 至 {period_end} 期间无人打卡。",
        "en": 'Nobody checked in at "{checkpoint}" (route "{route}", grid "{grid}") between {period_start} and {period_end}.',
    },
)


async def create_route(
    session: Any,
    *,
    grid: Grid,
    name: str,
    interval_minutes: int,
    starts_at: datetime | None = None,
    actor: str = "system",
) -> PatrolRoute:
    spec = parse_input(NewRoute, name=name, interval_minutes=interval_minutes, starts_at=starts_at)
    row = PatrolRoute(
        id=uuid.uuid4(),
        grid_id=grid.id,
        name=spec.name,
        interval_minutes=spec.interval_minutes,
        starts_at=spec.starts_at or utcnow(),
        active=True,
    )
    session.add(row)
    await session.flush()
    await record(session, actor, "route_created", row.id, interval_minutes=interval_minutes)
    return row


async def add_checkpoint(
    session: Any,
    *,
    route: PatrolRoute,
    name: str,
    tag_kind: str,
    tag_code: str | None = None,
    actor: str = "system",
) -> Checkpoint:
    """A checkpoint at the end of the route. ``tag_code`` is an NFC tag's own id when given;
    otherwise a random code is made for printing as a QR code."""
    spec = parse_input(NewCheckpoint, name=name, tag_code=tag_code)
    name, code = spec.name, spec.tag_code or secrets.token_urlsafe(18)
    if await session.scalar(select(Checkpoint.id).where(Checkpoint.tag_code == code)):
        raise Conflict("another checkpoint has this tag", field="tagCode")
    last = await session.scalar(
        select(Checkpoint.position)
        .where(Checkpoint.route_id == route.id)
        .order_by(Checkpoint.position.desc())
        .limit(1)
    )
    row = Checkpoint(
        id=uuid.uuid4(),
        route_id=route.id,
        grid_id=route.grid_id,
        name=name,
        position=(last or 0) + 1,
        tag_kind=tag_kind,
        tag_code=code,
        active=True,
    )
    session.add(row)
    await session.flush()
    await record(
        session, actor, "checkpoint_added", row.id, route_id=str(route.id), tag_kind=tag_kind
    )
    return row


async def set_active(session: Any, row: PatrolRoute | Checkpoint, active: bool, actor: str) -> None:
    """Take a route or a checkpoint out of (or back into) the patrol: an inactive one is neither
    checked in at nor flagged as missed."""
    row.active = active
    await session.flush()
    kind = "route" if isinstance(row, PatrolRoute) else "checkpoint"
    await record(session, actor, f"{kind}_{'activated' if active else 'deactivated'}", row.id)


async def check_in(
    session: Any,
    vault: Any,
    bus: Any,
    *,
    actor: Viewer,
    tag_code: str,
    latitude: float | None = None,
    longitude: float | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """A worker scanned a checkpoint's tag. Only a checkpoint of the worker's own grids answers
    (any other tag: NOT_FOUND); a location needs the worker's consent (FORBIDDEN otherwise)."""
    scan = parse_input(CheckInScan, latitude=latitude, longitude=longitude, tag_code=tag_code)
    location, code = scan.location, scan.tag_code
    point = await session.scalar(
        CheckpointRepository(session).readable_statement(actor).where(Checkpoint.tag_code == code)
    )
    if point is None or not point.active:
        raise NotFound("no checkpoint of your grids has this tag", field="tagCode")
    if location is not None:
        await require_location_consent(session, actor.account_id)
    row = CheckIn(
        id=uuid.uuid4(),
        checkpoint_id=point.id,
        grid_id=point.grid_id,
        account_id=actor.account_id,
        by=actor.label[:80],
        at=now or utcnow(),
        location_enc=seal(vault, session.info["tenant_id"], location),
    )
    session.add(row)
    await session.flush()
    await record(session, actor.label, "checked_in", point.id, with_location=location is not None)
    await publish(
        session,
        bus,
        "grid.checked_in",
        {"checkpoint_id": str(point.id), "grid_id": str(point.grid_id), "at": row.at.isoformat()},
        actor=actor.label,
    )
    return row


def last_period(route: PatrolRoute, now: datetime) -> tuple[datetime, datetime] | None:
    """The route's period that ended last at ``now`` (``None`` before the first one ended)."""
    step = timedelta(minutes=route.interval_minutes)
    if now < route.starts_at + step:
        return None
    ended = (now - route.starts_at) // step
    end = route.starts_at + ended * step
    return end - step, end


async def flag_missed(
    session: Any, bus: Any, *, now: datetime | None = None
) -> list[MissedCheckpoint]:
    """Flag every checkpoint nobody checked in at during its route's last ended period; tell the
    grid's workers. Idempotent: a checkpoint and period are flagged once."""
    now = now or utcnow()
    flagged: list[MissedCheckpoint] = []
    routes = await session.scalars(select(PatrolRoute).where(PatrolRoute.active.is_(True)))
    for route in list(routes):
        period = last_period(route, now)
        if period is None:
            continue
        start, end = period
        points = await session.scalars(
            select(Checkpoint).where(
                Checkpoint.route_id == route.id,
                Checkpoint.active.is_(True),
                Checkpoint.created_at <= start,
            )
        )
        for point in list(points):
            visited = await session.scalar(
                select(CheckIn.id)
                .where(CheckIn.checkpoint_id == point.id, CheckIn.at >= start, CheckIn.at < end)
                .limit(1)
            )
            if visited is not None:
                continue
            if await session.scalar(
                select(MissedCheckpoint.id).where(
                    MissedCheckpoint.checkpoint_id == point.id, MissedCheckpoint.period_end == end
                )
            ):
                continue
            row = MissedCheckpoint(
                id=uuid.uuid4(),
                checkpoint_id=point.id,
                grid_id=point.grid_id,
                period_start=start,
                period_end=end,
                detected_at=now,
            )
            session.add(row)
            await session.flush()
            flagged.append(row)
            await _tell_missed(session, bus, route, point, row)
    return flagged


async def _tell_missed(
    session: Any, bus: Any, route: PatrolRoute, point: Checkpoint, row: MissedCheckpoint
) -> None:
    grid_name = await session.scalar(select(Grid.name).where(Grid.id == route.grid_id)) or ""
    workers = await worker_accounts(session, route.grid_id)
    if workers:
        await notify(
            session,
            tenant_id=session.info["tenant_id"],
            recipients=workers,
            template=MISSED_TEMPLATE.key,
            data={
                "grid": grid_name,
                "route": route.name,
                "checkpoint": point.name,
                "period_start": row.period_start.isoformat(timespec="minutes"),
                "period_end": row.period_end.isoformat(timespec="minutes"),
            },
            key=f"grid.checkpoint_missed:{row.id}",
        )
    await publish(
        session,
        bus,
        "grid.checkpoint_missed",
        {
            "missed_id": str(row.id),
            "checkpoint_id": str(point.id),
            "route_id": str(route.id),
            "grid_id": str(route.grid_id),
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
        },
    )
