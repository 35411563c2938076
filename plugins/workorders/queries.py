"""The work-order plugin's query and subscription roots. Which rows a caller sees is decided in
:mod:`plugins.workorders.repository` (``readable_statement``), not here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput
from kernel.sdk.graphql import Connection, decode_id, paginate, requested_page_size
from kernel.sdk.repository import Viewer
from plugins.workorders import models as m
from plugins.workorders import service
from plugins.workorders.permissions import Allowed, AnyOf
from plugins.workorders.repository import TechnicianRepository, WorkOrderRepository
from plugins.workorders.types import Technician, WorkOrder, WorkOrderChange, WorkOrderStats
from plugins.workorders.vocabulary import FacilityCategory, WorkOrderPriority, WorkOrderStatus

_first = requested_page_size


@strawberry.type
class WorkOrderQuery:
    @strawberry.field(
        permission_classes=[Allowed("workorders", "read")], description="All work orders, filtered."
    )
    async def work_orders(
        self,
        info: strawberry.Info,
        status: WorkOrderStatus | None = None,
        community_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WorkOrder]:
        ctx = info.context
        cid = decode_id(community_id, "Community") if community_id is not None else None
        stmt = WorkOrderRepository(ctx.session).filtered(
            Viewer.of(ctx), status=status.value if status is not None else None, community_id=cid
        )
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
        permission_classes=[Allowed("workorders", "report")],
        description="The work orders I reported.",
    )
    async def my_work_orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WorkOrder]:
        ctx = info.context
        stmt = WorkOrderRepository(ctx.session).reported_by(ctx.actor.account_id)
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
        ctx = info.context
        row = await WorkOrderRepository(ctx.session).get_by_id(
            decode_id(id, "WorkOrder"), actor=Viewer.of(ctx)
        )
        return WorkOrder.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[Allowed("workorders", "handle")],
        description="Open orders assigned to me.",
    )
    async def my_assignments(self, info: strawberry.Info) -> list[WorkOrder]:
        session = info.context.session
        mine = await TechnicianRepository(session).id_of_account(info.context.actor.account_id)
        if mine is None:
            return []
        return [
            WorkOrder.from_row(r) for r in await WorkOrderRepository(session).open_assigned_to(mine)
        ]

    @strawberry.field(permission_classes=[Allowed("workorders", "read")])
    async def technicians(self, info: strawberry.Info) -> list[Technician]:
        ctx = info.context
        return [
            Technician.from_row(r)
            for r in await TechnicianRepository(ctx.session).listed(Viewer.of(ctx))
        ]

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
                    status=WorkOrderStatus(change.status),
                    priority=WorkOrderPriority(change.priority),
                    category=FacilityCategory(change.category),
                    community_id=strawberry.ID(
                        str(relay.GlobalID("Community", change.community_id))
                    )
                    if change.community_id
                    else None,
                    escalation_level=change.level,
                    at=change.at,
                )
