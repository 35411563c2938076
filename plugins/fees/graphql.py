"""GraphQL for fees. Staff with ``fees:read`` see every bill; owners (``fees:read_own``) see
only the bills of units they own (``kernel.sdk.estate.units_owned_by_account``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NewType

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.types.scalar import ScalarDefinition

from kernel.sdk import Event
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
from plugins.fees import models as m
from plugins.fees import service

PLUGIN = "fees"

#: Money in integer fen. GraphQL's Int is 32-bit (±21.47 million yuan), too small for totals.
FeeAmount = NewType("FeeAmount", int)
#: Contributed through ``GraphQLContribution.scalar_map`` (see :mod:`plugins.fees`).
SCALARS: dict[object, ScalarDefinition] = {
    FeeAmount: strawberry.scalar(
        name="FeeAmount",
        description="An amount of money in integer fen (分), 64-bit",
        serialize=int,
        parse_value=int,
    )
}


def AnyOf(*perms: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of ``perms``, once the tenant enabled this plugin (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf(*perms, plugin=PLUGIN)


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)


def _gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


_first = requested_page_size


_children = children_loader


@strawberry.type
class FeeItem(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    kind: str
    unit_price: int = strawberry.field(
        description="Fen: per m² per month (area), per month (fixed), per meter unit (meter)"
    )
    meter_unit: str
    community_id: strawberry.ID | None
    active: bool

    @classmethod
    def from_row(cls, r: m.FeeItem) -> FeeItem:
        return cls(
            id=str(r.id),
            code=r.code,
            name=r.name,
            kind=r.kind,
            unit_price=r.unit_price,
            meter_unit=r.meter_unit,
            community_id=_gid("Community", r.community_id),
            active=r.active,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await load_nodes(
            info, m.FeeItem, cls.from_row, node_ids, permission=("fees", "read"), plugin=PLUGIN
        )


@strawberry.type
class FeePayment:
    receipt_no: str
    provider: str
    amount: FeeAmount = strawberry.field(description="Fen")
    paid_at: datetime


@strawberry.type
class FeeBill(relay.Node):
    id: relay.NodeID[str]
    period: str
    unit_id: strawberry.ID
    item_id: strawberry.ID
    quantity: int = strawberry.field(
        description="Area in hundredths of m², quantity, or consumption"
    )
    unit_price: int
    amount: FeeAmount = strawberry.field(description="Fen")
    paid: FeeAmount = strawberry.field(description="Fen")
    outstanding: FeeAmount = strawberry.field(description="Fen")
    status: str
    due_date: date
    reminders: int

    @strawberry.field(description="Payments and their receipt numbers.")
    async def payments(self, info: strawberry.Info) -> list[FeePayment]:
        loader = _children(info, "fees.payments", m.Payment, m.Payment.bill_id, m.Payment.paid_at)
        rows = await loader.load(uuid.UUID(self.id))
        return [
            FeePayment(
                receipt_no=p.receipt_no, provider=p.provider, amount=p.amount, paid_at=p.paid_at
            )
            for p in rows
        ]

    @classmethod
    def from_row(cls, r: m.Bill) -> FeeBill:
        return cls(
            id=str(r.id),
            period=r.period,
            unit_id=_gid("Unit", r.unit_id),
            item_id=_gid("FeeItem", r.item_id),  # type: ignore[arg-type]
            quantity=r.quantity,
            unit_price=r.unit_price,
            amount=r.amount,
            paid=r.paid,
            outstanding=r.amount - r.paid,
            status=r.status,
            due_date=r.due_date,
            reminders=r.reminders,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        info.context.require_plugin(PLUGIN)
        out = []
        for n in node_ids:
            i = _uuid(n)
            row = await _visible_bill(info, i) if i else None
            out.append(cls.from_row(row) if row else None)
        return out


@strawberry.type
class BillingRun:
    id: strawberry.ID
    period: str
    bills_created: int
    bills_existing: int
    amount_total: FeeAmount = strawberry.field(description="Fen billed by this run")
    finished_at: datetime | None

    @classmethod
    def from_row(cls, r: m.BillingRun) -> BillingRun:
        return cls(
            id=strawberry.ID(str(r.id)),
            period=r.period,
            bills_created=r.bills_created,
            bills_existing=r.bills_existing,
            amount_total=r.amount_total,
            finished_at=r.finished_at,
        )


@strawberry.type
class Arrear:
    unit_id: strawberry.ID
    bills: int
    outstanding: FeeAmount = strawberry.field(description="Fen")
    oldest_due: date


@strawberry.type
class CollectionStats:
    bills: int
    paid_bills: int
    billed: FeeAmount = strawberry.field(description="Fen")
    collected: FeeAmount = strawberry.field(description="Fen")
    outstanding: FeeAmount = strawberry.field(description="Fen")
    rate_bp: int = strawberry.field(description="Collected / billed, basis points")


@strawberry.type
class WebhookSecret:
    secret: str = strawberry.field(description="Shown once; give it to the payment provider")
    url_path: str


@strawberry.input
class FeeItemInput:
    code: str
    name: str
    kind: str
    unit_price: int
    meter_unit: str = ""
    community_id: relay.GlobalID | None = None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _own_unit_ids(info: strawberry.Info) -> set[uuid.UUID]:
    ctx = info.context
    if ctx.actor.account_id is None:
        return set()
    return {u.id for u in await units_owned_by_account(ctx.session, ctx.actor.account_id)}


async def _visible_bill(info: strawberry.Info, bill_id: uuid.UUID) -> m.Bill | None:
    ctx = info.context
    row = await ctx.session.scalar(select(m.Bill).where(m.Bill.id == bill_id))
    if row is None:
        return None
    if ctx.allowed("fees", "read"):
        return row
    if ctx.allowed("fees", "read_own") and row.unit_id in await _own_unit_ids(info):
        return row
    return None


async def _audit(info: strawberry.Info, action: str, target: Any, **detail: Any) -> None:
    await info.context.audit(f"fees.{action}", target, **detail)


@strawberry.type
class FeeQuery:
    @strawberry.field(permission_classes=[Allowed("fees", "read")])
    async def fee_items(self, info: strawberry.Info) -> list[FeeItem]:
        return [
            FeeItem.from_row(r)
            for r in await info.context.session.scalars(select(m.FeeItem).order_by(m.FeeItem.code))
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
        status: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FeeBill]:
        stmt = select(m.Bill)
        if period is not None:
            service.parse_period(period)
            stmt = stmt.where(m.Bill.period == period)
        if community_id is not None:
            stmt = stmt.where(m.Bill.community_id == decode_id(community_id, "Community"))
        if unit_id is not None:
            stmt = stmt.where(m.Bill.unit_id == decode_id(unit_id, "Unit"))
        if status is not None:
            stmt = stmt.where(m.Bill.status == status)
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
        units = await _own_unit_ids(info)
        if not units:
            return []
        stmt = select(m.Bill).where(m.Bill.unit_id.in_(units))
        if period is not None:
            service.parse_period(period)
            stmt = stmt.where(m.Bill.period == period)
        if unpaid_only:
            stmt = stmt.where(m.Bill.status != "paid")
        rows = await info.context.session.scalars(
            stmt.order_by(m.Bill.period.desc(), m.Bill.item_id).limit(500)
        )
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
        stmt = select(m.BillingRun).order_by(m.BillingRun.created_at.desc()).limit(100)
        if period is not None:
            stmt = stmt.where(m.BillingRun.period == period)
        return [BillingRun.from_row(r) for r in await info.context.session.scalars(stmt)]

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


@strawberry.type
class FeeMutation:
    @strawberry.mutation(permission_classes=[Allowed("fees", "manage")])
    async def create_fee_item(self, info: strawberry.Info, input: FeeItemInput) -> FeeItem:
        ctx = info.context
        cid = decode_id(input.community_id, "Community") if input.community_id is not None else None
        row = await service.create_item(
            ctx.session,
            code=input.code,
            name=input.name,
            kind=input.kind,
            unit_price=input.unit_price,
            meter_unit=input.meter_unit,
            community_id=cid,
        )
        await _audit(info, "item_created", row.id, code=row.code, unit_price=row.unit_price)
        return FeeItem.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Charge a fixed item (a parking space) to a unit.",
    )
    async def assign_fee_item(
        self,
        info: strawberry.Info,
        item_id: relay.GlobalID,
        unit_id: relay.GlobalID,
        quantity: int = 1,
    ) -> int:
        ctx = info.context
        row = await service.assign(
            ctx.session,
            item_id=decode_id(item_id, "FeeItem"),
            unit_id=decode_id(unit_id, "Unit"),
            quantity=quantity,
        )
        await _audit(info, "item_assigned", row.id, quantity=quantity)
        return row.quantity

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Record a meter reading for a period; returns the consumption.",
    )
    async def record_meter_reading(
        self,
        info: strawberry.Info,
        item_id: relay.GlobalID,
        unit_id: relay.GlobalID,
        period: str,
        previous: int,
        current: int,
    ) -> int:
        ctx = info.context
        row = await service.record_reading(
            ctx.session,
            item_id=decode_id(item_id, "FeeItem"),
            unit_id=decode_id(unit_id, "Unit"),
            period=period,
            previous=previous,
            current=current,
        )
        return row.current_value - row.previous_value

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "bill")],
        description="Bill the period (all-or-nothing; re-running creates no duplicates).",
    )
    async def run_billing(
        self, info: strawberry.Info, period: str, community_id: relay.GlobalID | None = None
    ) -> BillingRun:
        ctx = info.context
        cid = decode_id(community_id, "Community") if community_id is not None else None
        run = await service.run_billing(
            ctx.session, ctx.tenant.id, period, community_id=cid, actor=ctx.actor.label,
            runtime=ctx.runtime,
        )
        await _audit(
            info,
            "billing_run",
            run.id,
            period=period,
            created=run.bills_created,
            amount=run.amount_total,
        )
        await ctx.runtime.bus.publish(
            ctx.session,
            Event(
                "fee.billing_completed",
                ctx.tenant.id,
                {
                    "run_id": str(run.id),
                    "period": period,
                    "bills_created": run.bills_created,
                    "amount_total": run.amount_total,
                },
                actor=ctx.actor.label,
            ),
        )
        return BillingRun.from_row(run)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "collect")],
        description="Money taken at the property office (counter); returns the updated bill.",
    )
    async def record_fee_payment(
        self, info: strawberry.Info, bill_id: relay.GlobalID, amount: int, reference: str
    ) -> FeeBill:
        ctx = info.context
        result = await service.apply_payment(
            ctx.session,
            bill_id=decode_id(bill_id, "FeeBill"),
            amount=amount,
            provider="counter",
            provider_txn_id=reference,
        )
        if not result.duplicate:
            await _audit(
                info,
                "payment_received",
                result.bill.id,
                amount=amount,
                receipt_no=result.payment.receipt_no,
            )
            await ctx.runtime.bus.publish(
                ctx.session,
                Event(
                    "fee.paid",
                    ctx.tenant.id,
                    {
                        "bill_id": str(result.bill.id),
                        "unit_id": str(result.bill.unit_id),
                        "amount": amount,
                        "receipt_no": result.payment.receipt_no,
                        "bill_status": result.bill.status,
                    },
                    actor=ctx.actor.label,
                ),
            )
        return FeeBill.from_row(result.bill)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Create or replace the payment webhook's secret.",
    )
    async def rotate_fee_webhook_secret(self, info: strawberry.Info) -> WebhookSecret:
        ctx = info.context
        secret = await service.rotate_secret(ctx.session, ctx.runtime.vault, ctx.tenant.id)
        await _audit(info, "webhook_secret_rotated", ctx.tenant.id)
        return WebhookSecret(secret=secret, url_path=f"/plugins/fees/webhook/{ctx.tenant.id}")
