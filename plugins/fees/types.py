"""The fee plugin's GraphQL types and the money scalar, and which bills a caller sees (through
:class:`plugins.fees.repository.BillRepository`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import NewType

import strawberry
from strawberry import relay
from strawberry.types.scalar import ScalarDefinition

from kernel.sdk.estate import units_owned_by_account
from kernel.sdk.graphql import children_loader, load_nodes
from kernel.sdk.repository import Viewer
from plugins.fees import models as m
from plugins.fees.permissions import PLUGIN
from plugins.fees.repository import BillRepository
from plugins.fees.vocabulary import FeeBillStatus, FeeItemKind

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


def _gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


@strawberry.type
class FeeItem(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    kind: FeeItemKind
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
            kind=FeeItemKind(r.kind),
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
    status: FeeBillStatus
    due_date: date
    reminders: int

    @strawberry.field(description="Payments and their receipt numbers.")
    async def payments(self, info: strawberry.Info) -> list[FeePayment]:
        loader = children_loader(
            info, "fees.payments", m.Payment, m.Payment.bill_id, m.Payment.paid_at
        )
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
            status=FeeBillStatus(r.status),
            due_date=r.due_date,
            reminders=r.reminders,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        info.context.require_plugin(PLUGIN)
        rows = await (await bills_for(info)).get_many(
            [_uuid(n) for n in node_ids], actor=Viewer.of(info.context)
        )
        return [cls.from_row(row) if row else None for row in rows]


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


@strawberry.type(description="An online payment started: send the payer to `checkoutUrl`.")
class BillPaymentCheckout:
    checkout_url: str = strawberry.field(
        description="The provider's cashier with the signed order parameters (docs/fees.md)"
    )
    out_trade_no: str = strawberry.field(description="The order's number, echoed by the provider")
    amount: FeeAmount = strawberry.field(description="Fen: the bill's outstanding amount")
    expires_at: datetime
    reused: bool = strawberry.field(
        description="True when a pending order for the same amount was returned again"
    )


@strawberry.type(description="The firm's payment provider for online payment.")
class FeePaymentProvider:
    provider: str
    checkout_url: str
    merchant_id: str
    order_ttl_minutes: int


@strawberry.type(description="A bill of one of my units changed (a payment was recorded).")
class FeeBillChange:
    bill_id: strawberry.ID
    status: FeeBillStatus
    amount: FeeAmount = strawberry.field(description="Fen")
    paid: FeeAmount = strawberry.field(description="Fen")
    outstanding: FeeAmount = strawberry.field(description="Fen")
    at: datetime


@strawberry.input
class FeeItemInput:
    code: str
    name: str
    kind: FeeItemKind
    unit_price: int
    meter_unit: str = ""
    community_id: relay.GlobalID | None = None


@strawberry.input(description="A fee item's changes: its code and kind stay (bills refer to them).")
class FeeItemUpdateInput:
    name: str
    unit_price: int
    meter_unit: str = ""
    active: bool = True


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


async def bills_for(info: strawberry.Info) -> BillRepository:
    """The caller's bill repository (their own units loaded only when they need them)."""
    ctx = info.context
    own = await _own_unit_ids(info) if not ctx.allowed("fees", "read") else set()
    return BillRepository(ctx.session, own)


async def _visible_bill(info: strawberry.Info, bill_id: uuid.UUID) -> m.Bill | None:
    """The bill if the caller may see it (:meth:`BillRepository.readable_statement`)."""
    return await (await bills_for(info)).get_by_id(bill_id, actor=Viewer.of(info.context))
