"""The fee plugin's query root; which bills a caller sees is decided in
:mod:`plugins.fees.repository`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from kernel.sdk.graphql import Connection, decode_id, paginate, requested_page_size
from kernel.sdk.repository import Viewer
from plugins.fees import models as m
from plugins.fees import service
from plugins.fees.permissions import Allowed, AnyOf
from plugins.fees.repository import BillingRunRepository, BillRepository, FeeItemRepository
from plugins.fees.types import (
    Arrear,
    BillingRun,
    CollectionStats,
    FeeBill,
    FeeBillChange,
    FeeItem,
    FeePaymentProvider,
    _gid,
    _own_unit_ids,
    _visible_bill,
)
from plugins.fees.vocabulary import FeeBillStatus

_first = requested_page_size


@strawberry.type
class FeeQuery:
    @strawberry.field(permission_classes=[Allowed("fees", "read")])
    async def fee_items(self, info: strawberry.Info) -> list[FeeItem]:
        ctx = info.context
        return [
            FeeItem.from_row(r)
            for r in await FeeItemRepository(ctx.session).by_code(Viewer.of(ctx))
        ]

    @strawberry.field(
        permission_classes=[Allowed("fees", "read")],
        description="Bills, filtered by period, community, unit or status.",
    )
    async def bills(
        self,
        info: strawberry.Info,
        period: str | None = None,
        community_id: relay.GlobalID | None = None,
        unit_id: relay.GlobalID | None = None,
        status: FeeBillStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FeeBill]:
        if period is not None:
            service.parse_period(period)
        ctx = info.context
        stmt = BillRepository(ctx.session).filtered(
            Viewer.of(ctx),
            period=period,
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            unit_id=decode_id(unit_id, "Unit") if unit_id is not None else None,
            status=status.value if status is not None else None,
        )
        return await paginate(
            info.context.session,
            stmt,
            order_by=[m.Bill.id],
            first=_first(info, first),
            after=after,
            to_node=FeeBill.from_row,
            key_types=[uuid.UUID],
        )

    @strawberry.field(
        permission_classes=[Allowed("fees", "read_own")], description="Bills of the units I own."
    )
    async def my_bills(
        self, info: strawberry.Info, period: str | None = None, unpaid_only: bool = False
    ) -> list[FeeBill]:
        if period is not None:
            service.parse_period(period)
        repo = BillRepository(info.context.session, await _own_unit_ids(info))
        rows = await repo.of_own_units(period=period, unpaid_only=unpaid_only)
        return [FeeBill.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[AnyOf(("fees", "read"), ("fees", "read_own"))],
        description="One bill if I may see it, else null.",
    )
    async def fee_bill(self, info: strawberry.Info, id: relay.GlobalID) -> FeeBill | None:
        row = await _visible_bill(info, decode_id(id, "FeeBill"))
        return FeeBill.from_row(row) if row else None

    @strawberry.field(permission_classes=[Allowed("fees", "read")])
    async def billing_runs(
        self, info: strawberry.Info, period: str | None = None
    ) -> list[BillingRun]:
        ctx = info.context
        rows = await BillingRunRepository(ctx.session).newest(Viewer.of(ctx), period=period)
        return [BillingRun.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed("fees", "read")],
        description="Units with overdue unpaid bills, largest debt first.",
    )
    async def arrears(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        first: int | None = None,
    ) -> list[Arrear]:
        cid = decode_id(community_id, "Community") if community_id is not None else None
        rows = await service.arrears(
            info.context.session, community_id=cid, limit=_first(info, first)
        )
        return [
            Arrear(
                unit_id=_gid("Unit", a.unit_id),
                bills=a.bills,
                outstanding=a.outstanding,
                oldest_due=a.oldest_due,
            )
            for a in rows
        ]  # type: ignore[arg-type]

    @strawberry.field(
        permission_classes=[Allowed("fees", "stats")],
        description="Collection rate for a period and/or community.",
    )
    async def collection_stats(
        self,
        info: strawberry.Info,
        period: str | None = None,
        community_id: relay.GlobalID | None = None,
    ) -> CollectionStats:
        cid = decode_id(community_id, "Community") if community_id is not None else None
        c = await service.collection(info.context.session, period=period, community_id=cid)
        return CollectionStats(**c.__dict__)

    @strawberry.field(
        permission_classes=[Allowed("fees", "manage")],
        description="The payment provider for online payment, or null.",
    )
    async def fee_payment_provider(self, info: strawberry.Info) -> FeePaymentProvider | None:
        from plugins.fees.mutations import provider_view

        ctx = info.context
        return provider_view(await ctx.session.get(m.FeeProviderSettings, ctx.tenant.id))

    @strawberry.field(
        permission_classes=[AnyOf(("fees", "read"), ("fees", "read_own"))],
        description="Whether bills can be paid online here (a provider and a webhook secret are set).",
    )
    async def fee_online_payment(self, info: strawberry.Info) -> bool:
        ctx = info.context
        settings = await ctx.session.get(m.FeeProviderSettings, ctx.tenant.id)
        secret = await ctx.session.get(m.FeeSettings, ctx.tenant.id)
        return settings is not None and secret is not None


@strawberry.type
class FeeSubscription:
    @strawberry.subscription(
        permission_classes=[Allowed("fees", "read_own")],
        description="Changes of the bills of the units I own, as they commit (WebSocket, graphql-transport-ws).",
    )
    async def my_bill_changes(self, info: strawberry.Info) -> AsyncGenerator[FeeBillChange, None]:
        from plugins.fees.live import hub

        ctx = info.context
        own = {str(u) for u in await _own_unit_ids(info)}
        async with hub(ctx.runtime).subscribe(ctx.tenant.id) as queue:
            while True:
                change = await queue.get()
                if change.unit_id not in own:
                    continue
                yield FeeBillChange(
                    bill_id=strawberry.ID(str(relay.GlobalID("FeeBill", change.bill_id))),
                    status=FeeBillStatus(change.status),
                    amount=change.amount,  # type: ignore[arg-type]
                    paid=change.paid,  # type: ignore[arg-type]
                    outstanding=change.amount - change.paid,  # type: ignore[arg-type]
                    at=change.at,
                )
