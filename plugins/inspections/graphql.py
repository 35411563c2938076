"""GraphQL for inspections: routes with checkpoints, schedules, rounds and findings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.permission import BasePermission

from kernel.sdk import BadUserInput, require_member
from kernel.sdk import graphql as sdk_graphql
from kernel.sdk.graphql import children_loader, decode_id, load_nodes
from plugins.inspections import models as m
from plugins.inspections import service

PLUGIN = "inspections"


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)


def _gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


_children = children_loader


@strawberry.type
class InspectionCheckpoint:
    id: strawberry.ID
    seq: int
    name: str
    location: str
    category: str


@strawberry.type
class InspectionFinding:
    id: strawberry.ID
    checkpoint_id: strawberry.ID
    result: str
    severity: str
    category: str
    note: str
    work_order_id: strawberry.ID | None = strawberry.field(
        description="The work order this defect opened, once opened"
    )

    @classmethod
    def from_row(cls, r: m.Finding) -> InspectionFinding:
        return cls(
            id=_gid("InspectionFinding", r.id),
            checkpoint_id=_gid("InspectionCheckpoint", r.checkpoint_id),
            result=r.result,  # type: ignore[arg-type]
            severity=r.severity,
            category=r.category,
            note=r.note,
            work_order_id=_gid("WorkOrder", r.work_order_id),
        )


@strawberry.type
class InspectionRoute(relay.Node):
    id: relay.NodeID[str]
    name: str
    community_id: strawberry.ID
    active: bool

    @strawberry.field
    async def checkpoints(self, info: strawberry.Info) -> list[InspectionCheckpoint]:
        loader = _children(
            info, "inspections.checkpoints", m.Checkpoint, m.Checkpoint.route_id, m.Checkpoint.seq
        )
        rows = await loader.load(uuid.UUID(self.id))
        return [
            InspectionCheckpoint(
                id=_gid("InspectionCheckpoint", r.id),
                seq=r.seq,
                name=r.name,
                location=r.location,
                category=r.category,
            )
            for r in rows
        ]  # type: ignore[arg-type]

    @classmethod
    def from_row(cls, r: m.InspectionRoute) -> InspectionRoute:
        return cls(
            id=str(r.id),
            name=r.name,
            community_id=_gid("Community", r.community_id),
            active=r.active,
        )  # type: ignore[arg-type]

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.InspectionRoute, cls.from_row, node_ids)


@strawberry.type
class InspectionRound(relay.Node):
    id: relay.NodeID[str]
    route_id: strawberry.ID
    status: str
    due_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    missed: int

    @strawberry.field
    async def findings(self, info: strawberry.Info) -> list[InspectionFinding]:
        loader = _children(
            info, "inspections.findings", m.Finding, m.Finding.round_id, m.Finding.created_at
        )
        rows = await loader.load(uuid.UUID(self.id))
        return [InspectionFinding.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, r: m.InspectionRound) -> InspectionRound:
        return cls(
            id=str(r.id),
            route_id=_gid("InspectionRoute", r.route_id),
            status=r.status,
            due_at=r.due_at,  # type: ignore[arg-type]
            started_at=r.started_at,
            finished_at=r.finished_at,
            missed=r.missed,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.InspectionRound, cls.from_row, node_ids)


async def _resolve(
    info: strawberry.Info, model: Any, to_node: Any, node_ids: Iterable[str]
) -> list[Any]:
    return await load_nodes(info, model, to_node, node_ids, permission=("inspections", "read"), plugin=PLUGIN)


@strawberry.type
class InspectionSchedule:
    id: strawberry.ID
    route_id: strawberry.ID
    interval_hours: int
    next_due_at: datetime


@strawberry.input
class CheckpointInput:
    name: str
    location: str = ""
    category: str = "other"


async def _audit(info: strawberry.Info, action: str, target: Any, **detail: Any) -> None:
    await info.context.audit(f"inspections.{action}", target, **detail)


@strawberry.type
class InspectionQuery:
    @strawberry.field(permission_classes=[Allowed("inspections", "read")])
    async def inspection_routes(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[InspectionRoute]:
        stmt = select(m.InspectionRoute).order_by(m.InspectionRoute.name)
        if community_id is not None:
            stmt = stmt.where(
                m.InspectionRoute.community_id == decode_id(community_id, "Community")
            )
        return [InspectionRoute.from_row(r) for r in await info.context.session.scalars(stmt)]

    @strawberry.field(
        permission_classes=[Allowed("inspections", "read")],
        description="Rounds, newest first (at most 100).",
    )
    async def inspection_rounds(
        self,
        info: strawberry.Info,
        route_id: relay.GlobalID | None = None,
        status: str | None = None,
    ) -> list[InspectionRound]:
        stmt = select(m.InspectionRound).order_by(m.InspectionRound.created_at.desc()).limit(100)
        if route_id is not None:
            stmt = stmt.where(m.InspectionRound.route_id == decode_id(route_id, "InspectionRoute"))
        if status is not None:
            stmt = stmt.where(m.InspectionRound.status == status)
        return [InspectionRound.from_row(r) for r in await info.context.session.scalars(stmt)]

    @strawberry.field(permission_classes=[Allowed("inspections", "read")])
    async def inspection_round(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> InspectionRound | None:
        row = await info.context.session.scalar(
            select(m.InspectionRound).where(
                m.InspectionRound.id == decode_id(id, "InspectionRound")
            )
        )
        return InspectionRound.from_row(row) if row else None


@strawberry.type
class InspectionMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("inspections", "manage")],
        description="A route and its checkpoints, in walking order.",
    )
    async def create_inspection_route(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        name: str,
        checkpoints: list[CheckpointInput],
    ) -> InspectionRoute:
        ctx = info.context
        route = await service.create_route(
            ctx.session,
            community_id=decode_id(community_id, "Community"),
            name=name,
            checkpoints=[
                service.CheckpointSpec(c.name, c.location, c.category) for c in checkpoints
            ],
        )
        await _audit(info, "route_created", route.id, checkpoints=len(checkpoints))
        return InspectionRoute.from_row(route)

    @strawberry.mutation(permission_classes=[Allowed("inspections", "manage")])
    async def create_inspection_schedule(
        self,
        info: strawberry.Info,
        route_id: relay.GlobalID,
        interval_hours: int,
        first_due_at: datetime,
        inspector_account_id: strawberry.ID | None = None,
    ) -> InspectionSchedule:
        ctx = info.context
        inspector = None
        if inspector_account_id is not None:
            inspector = _uuid(str(inspector_account_id))
            if inspector is None:
                raise BadUserInput("malformed account id", field="inspectorAccountId")
            await require_member(ctx.session, inspector, field="inspectorAccountId")
        row = await service.create_schedule(
            ctx.session,
            route_id=decode_id(route_id, "InspectionRoute"),
            interval_hours=interval_hours,
            first_due_at=first_due_at,
            inspector_account_id=inspector,
        )
        await _audit(info, "schedule_created", row.id, interval_hours=interval_hours)
        return InspectionSchedule(
            id=strawberry.ID(str(row.id)),
            route_id=_gid("InspectionRoute", row.route_id),
            interval_hours=row.interval_hours,
            next_due_at=row.next_due_at,
        )  # type: ignore[arg-type]

    @strawberry.mutation(
        permission_classes=[Allowed("inspections", "perform")],
        description="Start walking a route (takes over its earliest scheduled round).",
    )
    async def start_inspection_round(
        self, info: strawberry.Info, route_id: relay.GlobalID
    ) -> InspectionRound:
        ctx = info.context
        rnd = await service.start_round(
            ctx.session,
            route_id=decode_id(route_id, "InspectionRoute"),
            inspector_account_id=ctx.actor.account_id,
        )
        await _audit(info, "round_started", rnd.id)
        return InspectionRound.from_row(rnd)

    @strawberry.mutation(
        permission_classes=[Allowed("inspections", "perform")],
        description="Record a checkpoint's state; a defect opens a work order.",
    )
    async def record_inspection_finding(
        self,
        info: strawberry.Info,
        round_id: relay.GlobalID,
        checkpoint_id: relay.GlobalID,
        ok: bool,
        note: str = "",
        severity: str = "normal",
        category: str | None = None,
        photo_urls: list[str] | None = None,
    ) -> InspectionFinding:
        ctx = info.context
        f = await service.record_finding(
            ctx.session,
            ctx.runtime.bus,
            ctx.tenant.id,
            round_id=decode_id(round_id, "InspectionRound"),
            checkpoint_id=decode_id(checkpoint_id, "InspectionCheckpoint"),
            ok=ok,
            note=note,
            severity=severity,
            category=category,
            photos=photo_urls or [],
        )
        await _audit(info, "finding_recorded", f.id, result=f.result)
        return InspectionFinding.from_row(f)

    @strawberry.mutation(permission_classes=[Allowed("inspections", "perform")])
    async def finish_inspection_round(
        self, info: strawberry.Info, round_id: relay.GlobalID
    ) -> InspectionRound:
        ctx = info.context
        rnd = await service.finish_round(
            ctx.session, round_id=decode_id(round_id, "InspectionRound")
        )
        await _audit(info, "round_finished", rnd.id, missed=rnd.missed)
        return InspectionRound.from_row(rnd)
