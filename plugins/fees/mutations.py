"""The fee plugin's mutation root: decode ids, call the service, audit and announce."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import Event
from kernel.sdk.graphql import decode_id
from plugins.fees import service
from plugins.fees.permissions import Allowed
from plugins.fees.types import (
    BillingRun,
    FeeBill,
    FeeItem,
    FeeItemInput,
    WebhookSecret,
)


async def _audit(info: strawberry.Info, action: str, target: Any, **detail: Any) -> None:
    await info.context.audit(f"fees.{action}", target, **detail)


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
