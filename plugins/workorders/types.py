"""The work-order plugin's GraphQL types (objects, inputs, enums). Resolvers of fields read
through :mod:`plugins.workorders.repository`; the roots are in :mod:`~plugins.workorders.queries`
and :mod:`~plugins.workorders.mutations`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk.graphql import children_loader, load_nodes
from kernel.sdk.repository import Viewer
from plugins.workorders import models as m
from plugins.workorders import photos as photo_links
from plugins.workorders.repository import TechnicianRepository, WorkOrderRepository
from plugins.workorders.vocabulary import (
    FacilityCategory,
    WorkOrderKind,
    WorkOrderPriority,
    WorkOrderSource,
    WorkOrderStatus,
)

PLUGIN = "workorders"


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
            info,
            m.Technician,
            cls.from_row,
            node_ids,
            permission=("workorders", "read"),
            plugin=PLUGIN,
        )


@strawberry.type
class WorkOrder(relay.Node):
    id: relay.NodeID[str]
    kind: WorkOrderKind
    source: WorkOrderSource
    category: FacilityCategory
    priority: WorkOrderPriority
    status: WorkOrderStatus
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
        loader = TechnicianRepository(info.context.session).loader(
            info.context, "workorders.technicians"
        )
        row = await loader.load(self.assignee_id)
        return Technician.from_row(row) if row else None

    @strawberry.field(description="The order's history, oldest first.")
    async def history(self, info: strawberry.Info) -> list[WorkOrderStep]:
        loader = children_loader(
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
            kind=WorkOrderKind(row.kind),
            source=WorkOrderSource(row.source),
            category=FacilityCategory(row.category),
            priority=WorkOrderPriority(row.priority),
            status=WorkOrderStatus(row.status),
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
        rows = await WorkOrderRepository(ctx.session).get_many(
            [_uuid(n) for n in node_ids], actor=Viewer.of(ctx)
        )
        return [cls.from_row(row) if row else None for row in rows]


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


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
    kind: WorkOrderKind = WorkOrderKind.repair
    description: str = ""
    location: str = ""
    category: FacilityCategory = FacilityCategory.other
    priority: WorkOrderPriority | None = strawberry.field(
        default=None, description="Staff only; residents' reports start as normal"
    )
    community_id: relay.GlobalID | None = None
    unit_id: relay.GlobalID | None = None
    photos: list[PhotoInput] | None = None


@strawberry.type
class WorkOrderChange:
    event: str = strawberry.field(
        description="reported, dispatched, resolved, closed, cancelled, rated, escalated"
    )
    work_order_id: strawberry.ID
    status: WorkOrderStatus
    priority: WorkOrderPriority
    category: FacilityCategory
    community_id: strawberry.ID | None
    escalation_level: int | None
    at: datetime
