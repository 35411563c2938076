"""Demo data (``linli demo``, ``on_demo_seeded``): the property service fee (物业服务费, by area) billed
for the two months before this one, with most bills paid — the older month almost all, the last one
less so — so the console's fees page and the street office's collection rate show something.

The bills come from the ordinary billing run (:func:`plugins.fees.service.run_billing`); the
payments are the demo's history and are written in one batch (one audit entry for the batch, not
announced: nobody is to be notified of a payment made weeks ago). Idempotent: a firm with fee
items gets nothing."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, update

from kernel.sdk import audit, utcnow
from kernel.sdk.runtime import Runtime
from plugins.fees import service
from plugins.fees.models import Bill, FeeItem, Payment

#: The demo's fee: 2.50 yuan per square metre a month.
ITEM = ("WYF", "物业服务费", 250)
#: Share of the bills paid, oldest period first.
PAID_SHARE = (0.92, 0.78)
PROVIDERS = ("wechat", "alipay", "counter")


def _periods(today: date) -> list[str]:
    first = today.replace(day=1)
    last = first - timedelta(days=1)
    before = last.replace(day=1) - timedelta(days=1)
    return [f"{before:%Y-%m}", f"{last:%Y-%m}"]


async def seed_fees_demo(runtime: Runtime, tenant_id: uuid.UUID, *, seed: int = 278) -> int:
    """The demo firm's fee, two billing runs and their payments; returns the payments made."""
    rng = random.Random(seed)
    paid = 0
    async with runtime.db.tenant(tenant_id) as s:
        if await s.scalar(select(func.count()).select_from(FeeItem)):
            return 0
        code, name, price = ITEM
        await service.create_item(s, code=code, name=name, kind="area", unit_price=price, actor="system:demo")
        for period, share in zip(_periods(utcnow().date()), PAID_SHARE, strict=True):
            run = await service.run_billing(s, tenant_id, period, runtime=runtime, actor="system:demo")
            bills = (await s.execute(select(Bill.id, Bill.amount, Bill.due_date).where(Bill.run_id == run.id, Bill.amount > 0).order_by(Bill.id))).all()
            payments = []
            for bill_id, amount, due in bills:
                if rng.random() >= share:
                    continue
                at = datetime.combine(due - timedelta(days=rng.randint(0, 25)), time(rng.randint(1, 12)), UTC)
                payments.append({
                    "tenant_id": tenant_id, "id": uuid.uuid4(), "bill_id": bill_id, "provider": rng.choice(PROVIDERS),
                    "provider_txn_id": f"DEMO{uuid.uuid4().hex[:20].upper()}", "amount": amount, "paid_at": at,
                    "receipt_no": service.receipt_number(at), "created_at": at,
                })
            for start in range(0, len(payments), service.CHUNK):
                await s.execute(insert(Payment), payments[start : start + service.CHUNK])
            ids = [p["bill_id"] for p in payments]
            for start in range(0, len(ids), 500):
                await s.execute(update(Bill).where(Bill.id.in_(ids[start : start + 500])).values(paid=Bill.amount, status="paid"))
            await audit(s, tenant_id=tenant_id, actor="system:demo", action="fees.demo_payments", target=str(run.id), detail={"period": period, "payments": len(payments)})
            paid += len(payments)
    return paid
