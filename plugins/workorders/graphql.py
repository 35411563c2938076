"""GraphQL for work orders: types, queries and mutations.

Permissions (casbin) guard every field. Row scope is data, not permission: an actor without
``workorders:read`` (an owner or resident) sees only the orders they reported, and may report
only against units they own; a technician starts and resolves only orders assigned to them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.permission import BasePermission

from kernel.sdk import BadUserInput, Event, Forbidden, NotFound, require_member
from kernel.sdk import graphql as sdk_graphql
from kernel.sdk.estate import units_owned_by_account
from kernel.sdk.graphql import (
    Connection,
    children_loader,
    decode_id,
    load_nodes,
    paginate,
    requested_page_size,
)
from plugins.workorders import models as m
from plugins.workorders import photos as photo_links
from plugins.workorders import service
from plugins.workorders.live import announce

PLUGIN = "workorders"


def AnyOf(*perms: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of ``perms``, once the tenant enabled this plugin (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf(*perms, plugin=PLUGIN)


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)


_first = requested_page_size


@strawberry.type
class PhotoRef:
    url: str
    content_type: str
    size: int

    @strawberry.field(
        description="A URL to show the photo: uploaded photos get a GET link signed for 10 minutes."
    )
    def view_url(self, info: strawberry.Info) -> str:
        return photo_links.view_url(info.context.runtime.settings.secret_key, self.url) or self.url


@strawberry.type
class PhotoUpload:
    upload_url: str = strawberry.field(
        description="PUT the bytes here within 10 minutes (no token needed)"
    )
    url: str = strawberry.field(
        description="Give this in `photos` of reportWorkOrder/resolveWorkOrder"
    )
    expires_at: datetime


@strawberry.input
class PhotoInput:
    url: str
    content_type: str
    size: int = strawberry.field(description="Bytes")


def _photos(info: strawberry.Info, items: list[PhotoInput] | None) -> list[service.Photo]:
    """Photo references; an uploaded photo must be one of this tenant's."""
    own = f"{photo_links.PREFIX}/{info.context.tenant.id}/"
    for p in items or []:
        if p.url.startswith(photo_links.PREFIX) and not p.url.startswith(own):
            raise BadUserInput("an uploaded photo of another tenant", field="photos")
    return [service.Photo(p.url, p.content_type, p.size) for p in items or []]


_children = children_loader


@strawberry.type
class WorkOrderStep:
    from_status: str
    to_status: str
    actor: str
    note: str
    at: datetime


@strawberry.type
class Technician(relay.Node):
    id: relay.NodeID[str]
    account_id: strawberry.ID
    name: str
    skills: list[str]
    community_id: strawberry.ID | None
    active: bool

    @classmethod
    def from_row(cls, row: m.Technician) -> Technician:
        return cls(
            id=str(row.id),
            account_id=strawberry.ID(str(row.account_id)),
            name=row.name,
            skills=list(row.skills or []),
            community_id=strawberry.ID(str(relay.GlobalID("Community", str(row.community_id))))
            if row.community_id
            else None,
            active=row.active,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await load_nodes(
            info, m.Technician, cls.from_row, node_ids, permission=("workorders", "read"), plugin=PLUGIN
        )


@strawberry.type
class WorkOrder(relay.Node):
    id: relay.NodeID[str]
    kind: str
    source: str
    category: str
    priority: str
    status: str
    title: str
    description: str
    location: str
    photos: list[PhotoRef]
    resolution: str
    rating: int | None
    feedback: str
    escalation_level: int
    created_at: datetime
    response_due_at: datetime
    resolve_due_at: datetime
    dispatched_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    community_id: strawberry.ID | None
    unit_id: strawberry.ID | None
    assignee_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The technician assigned, if any.")
    async def assignee(self, info: strawberry.Info) -> Technician | None:
        if self.assignee_id is None:
            return None
        loader = info.context.loader(
            "workorders.technicians", lambda: _technician_loader(info.context.session)
        )
        row = await loader.load(self.assignee_id)
        return Technician.from_row(row) if row else None

    @strawberry.field(description="The order's history, oldest first.")
    async def history(self, info: strawberry.Info) -> list[WorkOrderStep]:
        loader = _children(
            info,
            "workorders.history",
            m.WorkOrderTransition,
            m.WorkOrderTransition.work_order_id,
            m.WorkOrderTransition.created_at,
        )
        rows = await loader.load(uuid.UUID(self.id))
        return [
            WorkOrderStep(
                from_status=r.from_status,
                to_status=r.to_status,
                actor=r.actor,
                note=r.note,
                at=r.created_at,
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: m.WorkOrder) -> WorkOrder:
        return cls(
            id=str(row.id),
            kind=row.kind,
            source=row.source,
            category=row.category,
            priority=row.priority,
            status=row.status,
            title=row.title,
            description=row.description,
            location=row.location,
            photos=[
                PhotoRef(url=p["url"], content_type=p["content_type"], size=p["size"])
                for p in row.photos or []
            ],
            resolution=row.resolution,
            rating=row.rating,
            feedback=row.feedback,
            escalation_level=row.escalation_level,
            created_at=row.created_at,
            response_due_at=row.response_due_at,
            resolve_due_at=row.resolve_due_at,
            dispatched_at=row.dispatched_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            community_id=strawberry.ID(str(relay.GlobalID("Community", str(row.community_id))))
            if row.community_id
            else None,
            unit_id=strawberry.ID(str(relay.GlobalID("Unit", str(row.unit_id))))
            if row.unit_id
            else None,
            assignee_id=row.assignee_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        ctx = info.context
        ctx.require_plugin(PLUGIN)
        out = []
        for n in node_ids:
            i = _uuid(n)
            row = await _visible_order(info, i) if i else None
            out.append(cls.from_row(row) if row else None)
        return out


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _technician_loader(session: Any) -> Any:
    from strawberry.dataloader import DataLoader

    async def load(ids: list[uuid.UUID]) -> list[m.Technician | None]:
        found = {
            r.id: r
            for r in await session.scalars(select(m.Technician).where(m.Technician.id.in_(ids)))
        }
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


async def _my_technician_id(info: strawberry.Info) -> uuid.UUID | None:
    ctx = info.context
    if ctx.actor.account_id is None:
        return None
    return await ctx.session.scalar(
        select(m.Technician.id).where(m.Technician.account_id == ctx.actor.account_id)
    )


async def _visible_order(info: strawberry.Info, order_id: uuid.UUID) -> m.WorkOrder | None:
    """The order if the actor may see it: staff with workorders:read see all; others only the
    orders they reported or are assigned to."""
    ctx = info.context
    row = await ctx.session.scalar(select(m.WorkOrder).where(m.WorkOrder.id == order_id))
    if row is None:
        return None
    if ctx.allowed("workorders", "read"):
        return row
    if ctx.actor.account_id is not None and row.reporter_account_id == ctx.actor.account_id:
        return row
    mine = await _my_technician_id(info)
    if mine is not None and row.assignee_id == mine:
        return row
    return None


def _source_for(roles: list[str]) -> str:
    if {"tenant_admin", "property_staff", "technician"} & set(roles):
        return "staff"
    if "grid_worker" in roles:
        return "grid_worker"
    return "resident"


async def _publish(
    info: strawberry.Info, event_type: str, order: m.WorkOrder, **extra: Any
) -> None:
    ctx = info.context
    await announce(
        ctx.runtime,
        ctx.session,
        Event(
            event_type, ctx.tenant.id, {**service.payload(order), **extra}, actor=ctx.actor.label
        ),
    )


async def _audit(
    info: strawberry.Info, action: str, order: m.WorkOrder | m.Technician, **detail: Any
) -> None:
    await info.context.audit(f"workorders.{action}", order.id, **detail)


@strawberry.type
class WorkOrderStats:
    total: int
    open: int
    closed: int
    cancelled: int
    closure_rate_bp: int = strawberry.field(description="Closed / (all − cancelled), basis points")
    mean_response_seconds: int | None = strawberry.field(description="Report → dispatch")
    mean_resolution_seconds: int | None = strawberry.field(description="Report → resolved")
    rated: int
    mean_rating_x100: int | None = strawberry.field(description="Mean stars × 100")
    escalated: int
    auto_dispatched: int


@strawberry.input
class ReportWorkOrderInput:
    title: str
    kind: str = "repair"
    description: str = ""
    location: str = ""
    category: str = "other"
    priority: str | None = strawberry.field(
        default=None, description="Staff only; residents' reports start as normal"
    )
    community_id: relay.GlobalID | None = None
    unit_id: relay.GlobalID | None = None
    photos: list[PhotoInput] | None = None


@strawberry.type
class WorkOrderQuery:
    @strawberry.field(
        permission_classes=[Allowed("workorders", "read")], description="All work orders, filtered."
    )
    async def work_orders(
        self,
        info: strawberry.Info,
        status: str | None = None,
        community_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WorkOrder]:
        stmt = select(m.WorkOrder)
        if status is not None:
            stmt = stmt.where(m.WorkOrder.status == status)
        if community_id is not None:
            stmt = stmt.where(m.WorkOrder.community_id == decode_id(community_id, "Community"))
        return await paginate(
            info.context.session,
            stmt,
            order_by=[m.WorkOrder.id],
            first=_first(info, first),
            after=after,
            to_node=WorkOrder.from_row,
            key_types=[uuid.UUID],
        )

    @strawberry.field(
        permission_classes=[Allowed("workorders", "report")],
        description="The work orders I reported.",
    )
    async def my_work_orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WorkOrder]:
        ctx = info.context
        stmt = select(m.WorkOrder).where(m.WorkOrder.reporter_account_id == ctx.actor.account_id)
        return await paginate(
            ctx.session,
            stmt,
            order_by=[m.WorkOrder.id],
            first=_first(info, first),
            after=after,
            to_node=WorkOrder.from_row,
            key_types=[uuid.UUID],
        )

    @strawberry.field(
        permission_classes=[
            AnyOf(("workorders", "read"), ("workorders", "report"), ("workorders", "handle"))
        ]
    )
    async def work_order(self, info: strawberry.Info, id: relay.GlobalID) -> WorkOrder | None:
        row = await _visible_order(info, decode_id(id, "WorkOrder"))
        return WorkOrder.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[Allowed("workorders", "handle")],
        description="Open orders assigned to me.",
    )
    async def my_assignments(self, info: strawberry.Info) -> list[WorkOrder]:
        mine = await _my_technician_id(info)
        if mine is None:
            return []
        rows = await info.context.session.scalars(
            select(m.WorkOrder)
            .where(m.WorkOrder.assignee_id == mine, m.WorkOrder.status.in_(service.OPEN_STATUSES))
            .order_by(m.WorkOrder.resolve_due_at)
        )
        return [WorkOrder.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed("workorders", "read")])
    async def technicians(self, info: strawberry.Info) -> list[Technician]:
        rows = await info.context.session.scalars(select(m.Technician).order_by(m.Technician.name))
        return [Technician.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed("workorders", "stats")],
        description="Response time, closure rate and satisfaction for a community (or all).",
    )
    async def work_order_stats(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        since: datetime | None = None,
    ) -> WorkOrderStats:
        cid = decode_id(community_id, "Community") if community_id is not None else None
        if since is not None and since.tzinfo is None:
            raise BadUserInput("give `since` with a time zone", field="since")
        s = await service.stats(info.context.session, cid, since=since)
        return WorkOrderStats(**s.__dict__)


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
        staff = ctx.allowed("workorders", "read")
        unit_id = decode_id(input.unit_id, "Unit") if input.unit_id is not None else None
        community_id = (
            decode_id(input.community_id, "Community") if input.community_id is not None else None
        )
        if not staff and unit_id is not None:
            owned = (
                {u.id for u in await units_owned_by_account(ctx.session, ctx.actor.account_id)}
                if ctx.actor.account_id
                else set()
            )
            if unit_id not in owned:
                raise NotFound("no unit with this id among yours")
        if input.priority is not None and not ctx.allowed("workorders", "manage"):
            raise Forbidden("only staff set a priority; it is assessed after the report")
        order = await service.report(
            ctx.session,
            title=input.title,
            kind=input.kind,
            source=_source_for(ctx.roles()),
            description=input.description,
            location=input.location,
            category=input.category,
            priority=input.priority or "normal",
            community_id=community_id,
            unit_id=unit_id,
            reporter_account_id=ctx.actor.account_id,
            photos=_photos(info, input.photos),
            actor=ctx.actor.label,
        )
        await _audit(info, "reported", order, kind=order.kind)
        await _publish(info, "workorder.reported", order)
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
        category: str,
        priority: str,
        kind: str | None = None,
    ) -> WorkOrder:
        ctx = info.context
        order = await service.assess(
            ctx.session,
            decode_id(id, "WorkOrder"),
            category=category,
            priority=priority,
            kind=kind,
            actor=ctx.actor.label,
        )
        await _audit(info, "assessed", order, category=category, priority=priority)
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
            ctx.session, decode_id(id, "WorkOrder"), technician_id=tid, actor=ctx.actor.label
        )
        await _audit(
            info, "dispatched", order, technician=str(order.assignee_id), automatic=tid is None
        )
        await _publish(info, "workorder.dispatched", order)
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[Allowed("workorders", "handle")],
        description="The assigned technician starts work (处置).",
    )
    async def start_work_order(self, info: strawberry.Info, id: relay.GlobalID) -> WorkOrder:
        ctx = info.context
        await _require_assignee(info, decode_id(id, "WorkOrder"))
        order = await service.start(ctx.session, decode_id(id, "WorkOrder"), actor=ctx.actor.label)
        await _audit(info, "started", order)
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
        await _require_assignee(info, decode_id(id, "WorkOrder"))
        order = await service.resolve(
            ctx.session,
            decode_id(id, "WorkOrder"),
            resolution=resolution,
            photos=_photos(info, photos),
            actor=ctx.actor.label,
        )
        await _audit(info, "resolved", order)
        await _publish(info, "workorder.resolved", order)
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Confirm a resolved order: the reporter or staff closes it.",
    )
    async def close_work_order(self, info: strawberry.Info, id: relay.GlobalID) -> WorkOrder:
        ctx = info.context
        await _require_reporter_or_staff(info, decode_id(id, "WorkOrder"))
        order = await service.close(ctx.session, decode_id(id, "WorkOrder"), actor=ctx.actor.label)
        await _audit(info, "closed", order)
        await _publish(info, "workorder.closed", order)
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Not fixed: send a resolved order back to the technician.",
    )
    async def reopen_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, reason: str
    ) -> WorkOrder:
        ctx = info.context
        await _require_reporter_or_staff(info, decode_id(id, "WorkOrder"))
        order = await service.reopen(
            ctx.session, decode_id(id, "WorkOrder"), reason=reason, actor=ctx.actor.label
        )
        await _audit(info, "reopened", order)
        return WorkOrder.from_row(order)

    @strawberry.mutation(
        permission_classes=[AnyOf(("workorders", "manage"), ("workorders", "report"))],
        description="Withdraw an order not yet being handled.",
    )
    async def cancel_work_order(
        self, info: strawberry.Info, id: relay.GlobalID, reason: str
    ) -> WorkOrder:
        ctx = info.context
        await _require_reporter_or_staff(info, decode_id(id, "WorkOrder"))
        order = await service.cancel(
            ctx.session, decode_id(id, "WorkOrder"), reason=reason, actor=ctx.actor.label
        )
        await _audit(info, "cancelled", order)
        await _publish(info, "workorder.cancelled", order)
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
            decode_id(id, "WorkOrder"),
            rating=rating,
            feedback=feedback,
            account_id=ctx.actor.account_id,
        )
        await _audit(info, "rated", order, rating=rating)
        await _publish(info, "workorder.rated", order, rating=rating)
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
            ctx.session, account_id=aid, name=name, skills=skills, community_id=cid, active=active
        )
        await _audit(info, "technician_saved", row, skills=row.skills)
        return Technician.from_row(row)


async def _require_assignee(info: strawberry.Info, order_id: uuid.UUID) -> None:
    """Staff with workorders:manage may act for anyone; a technician only on their own orders."""
    ctx = info.context
    order = await service.get(ctx.session, order_id)
    if ctx.allowed("workorders", "manage"):
        return
    mine = await _my_technician_id(info)
    if mine is None or order.assignee_id != mine:
        raise Forbidden("this work order is assigned to someone else")


async def _require_reporter_or_staff(info: strawberry.Info, order_id: uuid.UUID) -> None:
    ctx = info.context
    if ctx.allowed("workorders", "manage"):
        return
    order = await service.get(ctx.session, order_id)
    if ctx.actor.account_id is None or order.reporter_account_id != ctx.actor.account_id:
        raise NotFound("no work order with this id among yours")


@strawberry.type
class WorkOrderChange:
    event: str = strawberry.field(
        description="reported, dispatched, resolved, closed, cancelled, rated, escalated"
    )
    work_order_id: strawberry.ID
    status: str
    priority: str
    category: str
    community_id: strawberry.ID | None
    escalation_level: int | None
    at: datetime


@strawberry.type
class WorkOrderSubscription:
    @strawberry.subscription(
        permission_classes=[Allowed("workorders", "read")],
        description="Work-order changes of the tenant as they commit (WebSocket, graphql-transport-ws).",
    )
    async def work_order_changes(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> AsyncGenerator[WorkOrderChange, None]:
        from plugins.workorders.live import hub

        ctx = info.context
        only = str(decode_id(community_id, "Community")) if community_id is not None else None
        async with hub(ctx.runtime).subscribe(ctx.tenant.id) as queue:
            while True:
                change = await queue.get()
                if only is not None and change.community_id != only:
                    continue
                yield WorkOrderChange(
                    event=change.type.removeprefix("workorder."),
                    work_order_id=strawberry.ID(
                        str(relay.GlobalID("WorkOrder", change.work_order_id))
                    ),
                    status=change.status,
                    priority=change.priority,
                    category=change.category,
                    community_id=strawberry.ID(
                        str(relay.GlobalID("Community", change.community_id))
                    )
                    if change.community_id
                    else None,
                    escalation_level=change.level,
                    at=change.at,
                )
