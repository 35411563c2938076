"""The fee plugin's mutation root: decode ids, call one service function (which validates the
input, audits and announces the change), map the row."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk.graphql import decode_id
from plugins.fees import service
from plugins.fees.permissions import Allowed
from plugins.fees.types import (
    BillingRun,
    BillPaymentCheckout,
    FeeBill,
    FeeItem,
    FeeItemInput,
    FeeItemUpdateInput,
    FeePaymentProvider,
    WebhookSecret,
    _own_unit_ids,
)
from plugins.fees.vocabulary import FeeCounterMethod


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
            kind=input.kind.value,
            unit_price=input.unit_price,
            meter_unit=input.meter_unit,
            community_id=cid,
            actor=ctx.actor.label,
        )
        return FeeItem.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Change a fee item's name, unit price, meter unit or whether it is billed.",
    )
    async def update_fee_item(
        self, info: strawberry.Info, id: relay.GlobalID, input: FeeItemUpdateInput
    ) -> FeeItem:
        ctx = info.context
        row = await service.update_item(
            ctx.session,
            item_id=decode_id(id, "FeeItem"),
            name=input.name,
            unit_price=input.unit_price,
            meter_unit=input.meter_unit,
            active=input.active,
            actor=ctx.actor.label,
        )
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
            actor=ctx.actor.label,
        )
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
            ctx.session,
            ctx.tenant.id,
            period,
            runtime=ctx.runtime,
            community_id=cid,
            actor=ctx.actor.label,
        )
        return BillingRun.from_row(run)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "collect")],
        description="Money taken at the property office (cash or a bank transfer); returns the updated bill.",
    )
    async def record_fee_payment(
        self,
        info: strawberry.Info,
        bill_id: relay.GlobalID,
        amount: int,
        reference: str,
        method: FeeCounterMethod = FeeCounterMethod.cash,
    ) -> FeeBill:
        ctx = info.context
        result = await service.apply_payment(
            ctx.session,
            ctx.runtime,
            bill_id=decode_id(bill_id, "FeeBill"),
            amount=amount,
            provider=FeeCounterMethod(method).value,
            provider_txn_id=reference,
            actor=ctx.actor.label,
        )
        return FeeBill.from_row(result.bill)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Create or replace the payment webhook's secret.",
    )
    async def rotate_fee_webhook_secret(self, info: strawberry.Info) -> WebhookSecret:
        ctx = info.context
        secret = await service.rotate_secret(
            ctx.session, ctx.runtime, ctx.tenant.id, actor=ctx.actor.label
        )
        return WebhookSecret(secret=secret, url_path=f"/plugins/fees/webhook/{ctx.tenant.id}")

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "manage")],
        description="Set the payment provider for online payment (its cashier's https address, the "
        "firm's merchant number, how long an order is payable); an empty checkoutUrl removes it.",
    )
    async def configure_fee_payment_provider(
        self,
        info: strawberry.Info,
        provider: str,
        checkout_url: str,
        merchant_id: str = "",
        order_ttl_minutes: int = 30,
    ) -> FeePaymentProvider | None:
        ctx = info.context
        row = await service.configure_provider(
            ctx.session,
            ctx.tenant.id,
            provider=provider,
            checkout_url=checkout_url,
            merchant_id=merchant_id,
            order_ttl_minutes=order_ttl_minutes,
            actor=ctx.actor.label,
        )
        return provider_view(row)

    @strawberry.mutation(
        permission_classes=[Allowed("fees", "read_own")],
        description="Pay one of my bills online: a payment order for the outstanding amount and the "
        "provider's checkout address. CONFLICT with reason PAYMENT_PROVIDER_NOT_CONFIGURED when the "
        "firm has no provider (pay at the property office), BILL_PAID when nothing is outstanding.",
    )
    async def start_bill_payment(
        self, info: strawberry.Info, bill_id: relay.GlobalID
    ) -> BillPaymentCheckout:
        ctx = info.context
        checkout = await service.start_payment(
            ctx.session,
            ctx.runtime,
            ctx.tenant.id,
            bill_id=decode_id(bill_id, "FeeBill"),
            own_units=await _own_unit_ids(info),
            account_id=ctx.actor.account_id,
            base_url=_base_url(ctx),
            actor=ctx.actor.label,
        )
        o = checkout.order
        return BillPaymentCheckout(
            checkout_url=checkout.checkout_url,
            out_trade_no=o.out_trade_no,
            amount=o.amount,  # type: ignore[arg-type]
            expires_at=o.expires_at,
            reused=checkout.reused,
        )


def _base_url(ctx: object) -> str:
    """Where the provider reaches this installation: ``LINLI_PUBLIC_URL``, else the request's."""
    public = getattr(getattr(ctx, "runtime", None), "settings", None)
    url = getattr(public, "public_url", "") if public is not None else ""
    if url:
        return str(url)
    request = getattr(ctx, "request", None)
    return str(getattr(request, "base_url", "")) if request is not None else ""


def provider_view(row: object) -> FeePaymentProvider | None:
    if row is None:
        return None
    return FeePaymentProvider(
        provider=row.provider,  # type: ignore[attr-defined]
        checkout_url=row.checkout_url,  # type: ignore[attr-defined]
        merchant_id=row.merchant_id,  # type: ignore[attr-defined]
        order_ttl_minutes=row.order_ttl_minutes,  # type: ignore[attr-defined]
    )
