"""Telling payers about their bills: a billing run issued the period's bills (one notification
per payer, however many bills), and a reminder for an overdue bill (``fee.reminder_due``, sent
by the reminder job). The payer is whoever owns the unit and has a login; renters are not told
about the owner's bills.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kernel.sdk import Event, HandlerContext, NotificationTemplate, notify
from kernel.sdk.estate import accounts_of_units
from plugins.fees.models import Bill

ISSUED = NotificationTemplate(
    key="fees.bills_issued",
    category="fees",
    subject={"zh-CN": "{period} 账单已出", "en": "Your {period} bills"},
    body={"zh-CN": "您 {period} 的物业账单已生成，请在“缴费”中查看并缴纳。", "en": "Your bills for {period} are ready; see Payments to pay them."},
)
REMINDER = NotificationTemplate(
    key="fees.reminder",
    category="fees",
    subject={"zh-CN": "缴费提醒：{period} 账单逾期", "en": "Reminder: {period} bill overdue"},
    body={
        "zh-CN": "您 {period} 的账单尚有 ¥{outstanding} 未缴，已过缴费期限，请尽快缴纳。",
        "en": "Your {period} bill has ¥{outstanding} outstanding past its due date; please pay it soon.",
    },
)
TEMPLATES = [ISSUED, REMINDER]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def on_billing_completed(ctx: HandlerContext, event: Event) -> None:
    run_id = uuid.UUID(event.payload["run_id"])
    payers = await accounts_of_units(ctx.session, select(Bill.unit_id).where(Bill.run_id == run_id), residents=False)
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=payers,
        template=ISSUED.key,
        data={"period": event.payload["period"]},
        key=f"fees:run:{run_id}:issued",
    )


async def on_reminder_due(ctx: HandlerContext, event: Event) -> None:
    bill = await ctx.session.get(Bill, {"tenant_id": ctx.tenant_id, "id": uuid.UUID(event.payload["bill_id"])})
    if bill is None or bill.status == "paid":
        return  # paid since the reminder was decided
    payers = await accounts_of_units(ctx.session, [bill.unit_id], residents=False)
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=payers,
        template=REMINDER.key,
        data={"period": bill.period, "outstanding": yuan(bill.amount - bill.paid)},
        key=f"fees:bill:{bill.id}:reminder:{event.payload['reminders']}",
    )


HANDLERS = {"fee.billing_completed": on_billing_completed, "fee.reminder_due": on_reminder_due}
