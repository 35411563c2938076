"""The work-order plugin's mutation root: decode ids, check who acts on which order, call one
service function (which validates the input, audits and announces the change), map the row.
GraphQL inputs and enums are in :mod:`plugins.workorders.types`, their validation in
:mod:`plugins.workorders.inputs`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, Forbidden, require_member
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.workorders import photos as photo_links
from plugins.workorders import service
from plugins.workorders.permissions import Allowed, AnyOf
from plugins.workorders.repository import WorkOrderRepository, require_reportable_unit
from plugins.workorders.types import (
    PhotoInput,
    PhotoUpload,
    ReportWorkOrderInput,
    Technician,
    WorkOrder,
    _uuid,
)
from plugins.workorders.vocabulary import FacilityCategory, WorkOrderKind, WorkOrderPriority


def _source_for(roles: list[str]) -> str:
    if {"tenant_admin", "property_staff", "technician"} & set(roles):
        return "staff"
    if "grid_worker" in roles:
        return "grid_worker"
    return "resident"


@strawberry.type
class WorkOrderMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "report")],
        description="Report a repair, complaint or incident (with photo references).",
    )
    async def report_work_order(
        self, info: strawberry.Info, input: ReportWorkOrderInput
    ) -> WorkOrder:
        ctx = info.context
        unit_id = decode_id(input.unit_id, "Unit") if input.unit_id is not None else None
        community_id = (
            decode_id(input.community_id, "Community") if input.community_id is not None else None
        )
        if unit_id is not None:
            await require_reportable_unit(ctx.session, unit_id, Viewer.of(ctx))
        if input.priority is not None and not ctx.allowed("workorders", "manage"):
            raise Forbidden("only staff set a priority; it is assessed after the report")
        order = await service.report(
            ctx.session,
            ctx.runtime,
            title=input.title,
            kind=input.kind.value,
            source=_source_for(ctx.roles()),
            description=input.description,
            location=input.location,
            category=input.category.value,
            priority=input.priority.value if input.priority is not None else "normal",
            community_id=community_id,
            unit_id=unit_id,
            reporter_account_id=ctx.actor.account_id,
            photos=input.photos or [],
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "report"), ("workorders", "handle"))],
        description="A pre-signed URL to upload one photo (JPEG/PNG/WebP/HEIC, ≤10 MiB) for a work order.",
    )
    def request_work_order_photo_upload(
        self, info: strawberry.Info, content_type: str, size: int
    ) -> PhotoUpload:
        from datetime import UTC

        ctx = info.context
        upload, url, expires = photo_links.upload_url(
            ctx.runtime.settings.secret_key, ctx.tenant.id, content_type, size
        )
        return PhotoUpload(
            upload_url=upload, url=url, expires_at=datetime.fromtimestamp(expires, UTC)
        )

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "manage")],
        description="Assess: set category and priority (研判).",
    )
    async def assess_work_order(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        category: FacilityCategory,
        priority: WorkOrderPriority,
        kind: WorkOrderKind | None = None,
    ) -> WorkOrder:
        ctx = info.context
        order = await service.assess(
            ctx.session,
            decode_id(id, "WorkOrder"),
            category=category.value,
            priority=priority.value,
            kind=kind.value if kind is not None else None,
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "manage")],
        description="Dispatch to a technician; without one, pick automatically by skill, place and load.",
    )
    async def dispatch_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, technician_id: relay.GlobalID | None = None
    ) -> WorkOrder:
        ctx = info.context
        tid = decode_id(technician_id, "Technician") if technician_id is not None else None
        order = await service.dispatch(
            ctx.session,
            ctx.runtime,
            decode_id(id, "WorkOrder"),
            technician_id=tid,
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "handle")],
        description="The assigned technician starts work (处置).",
    )
    async def start_work_order(self, info: strawberry.Info, id: relay.GlobalID) -> WorkOrder:
        ctx = info.context
        await WorkOrderRepository(ctx.session).to_handle(decode_id(id, "WorkOrder"), Viewer.of(ctx))
        order = await service.start(ctx.session, decode_id(id, "WorkOrder"), actor=ctx.actor.label)
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "handle")],
        description="The assigned technician reports the work done, with photos.",
    )
    async def resolve_work_order(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        resolution: str,
        photos: list[PhotoInput] | None = None,
    ) -> WorkOrder:
        ctx = info.context
        await WorkOrderRepository(ctx.session).to_handle(decode_id(id, "WorkOrder"), Viewer.of(ctx))
        order = await service.resolve(
            ctx.session,
            ctx.runtime,
            decode_id(id, "WorkOrder"),
            resolution=resolution,
            photos=photos or [],
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Confirm a resolved order: the reporter or staff closes it.",
    )
    async def close_work_order(self, info: strawberry.Info, id: relay.GlobalID) -> WorkOrder:
        ctx = info.context
        await WorkOrderRepository(ctx.session).to_follow_up(
            decode_id(id, "WorkOrder"), Viewer.of(ctx)
        )
        order = await service.close(
            ctx.session, ctx.runtime, decode_id(id, "WorkOrder"), actor=ctx.actor.label
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Not fixed: send a resolved order back to the technician.",
    )
    async def reopen_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, reason: str
    ) -> WorkOrder:
        ctx = info.context
        await WorkOrderRepository(ctx.session).to_follow_up(
            decode_id(id, "WorkOrder"), Viewer.of(ctx)
        )
        order = await service.reopen(
            ctx.session, decode_id(id, "WorkOrder"), reason=reason, actor=ctx.actor.label
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Withdraw an order not yet being handled.",
    )
    async def cancel_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, reason: str
    ) -> WorkOrder:
        ctx = info.context
        await WorkOrderRepository(ctx.session).to_follow_up(
            decode_id(id, "WorkOrder"), Viewer.of(ctx)
        )
        order = await service.cancel(
            ctx.session,
            ctx.runtime,
            decode_id(id, "WorkOrder"),
            reason=reason,
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "report")],
        description="The reporter rates a closed order (1–5 stars), once.",
    )
    async def rate_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, rating: int, feedback: str = ""
    ) -> WorkOrder:
        ctx = info.context
        if ctx.actor.account_id is None:
            raise Forbidden("an API key cannot rate a work order")
        order = await service.rate(
            ctx.session,
            ctx.runtime,
            decode_id(id, "WorkOrder"),
            rating=rating,
            feedback=feedback,
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "manage")],
        description="Create or update a technician's profile (skills, base community).",
    )
    async def upsert_technician(
        self,
        info: strawberry.Info,
        account_id: strawberry.ID,
        name: str,
        skills: list[str],
        community_id: relay.GlobalID | None = None,
        active: bool = True,
    ) -> Technician:
        ctx = info.context
        aid = _uuid(str(account_id))
        if aid is None:
            raise BadUserInput("malformed account id", field="accountId")
        await require_member(ctx.session, aid, field="accountId")
        cid = decode_id(community_id, "Community") if community_id is not None else None
        row = await service.upsert_technician(
            ctx.session,
            account_id=aid,
            name=name,
            skills=skills,
            community_id=cid,
            active=active,
            actor=ctx.actor.label,
        )
        return Technician.from_row(row)
