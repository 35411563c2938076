"""The inspection plugin's mutation root: decode ids, call the service (which audits and
publishes its own changes)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, require_member
from kernel.sdk.graphql import decode_id
from kernel.sdk.vocabulary import FacilityCategory
from plugins.inspections import service
from plugins.inspections.permissions import Allowed
from plugins.inspections.types import (
    CheckpointInput,
    InspectionFinding,
    InspectionRound,
    InspectionRoute,
    InspectionSchedule,
    _gid,
    _uuid,
)
from plugins.inspections.vocabulary import FindingSeverity


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
                service.CheckpointSpec(c.name, c.location, c.category.value) for c in checkpoints
            ],
            actor=ctx.actor.label,
        )
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
            actor=ctx.actor.label,
        )
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
            actor=ctx.actor.label,
        )
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
        severity: FindingSeverity = FindingSeverity.normal,
        category: FacilityCategory | None = None,
        photo_urls: list[str] | None = None,
    ) -> InspectionFinding:
        ctx = info.context
        f = await service.record_finding(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            round_id=decode_id(round_id, "InspectionRound"),
            checkpoint_id=decode_id(checkpoint_id, "InspectionCheckpoint"),
            ok=ok,
            note=note,
            severity=severity.value,
            category=category.value if category is not None else None,
            photos=photo_urls or [],
            actor=ctx.actor.label,
        )
        return InspectionFinding.from_row(f)

    @strawberry.mutation(permission_classes=[Allowed("inspections", "perform")])
    async def finish_inspection_round(
        self, info: strawberry.Info, round_id: relay.GlobalID
    ) -> InspectionRound:
        ctx = info.context
        rnd = await service.finish_round(
            ctx.session, round_id=decode_id(round_id, "InspectionRound"), actor=ctx.actor.label
        )
        return InspectionRound.from_row(rnd)
