"""Demo data (``linli demo``, ``on_demo_seeded``): a few weeks of repairs in each demo community —
reported by residents of different units over the last ten weeks, most of them fixed and closed,
a few still open — so the console's board and the street office's KPIs (closure rate, handling
time) show something. Idempotent: a firm that has work orders already gets none."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from kernel.sdk import utcnow
from kernel.sdk.estate import Community, Unit
from kernel.sdk.runtime import Runtime
from plugins.workorders import service
from plugins.workorders.models import WorkOrder

#: (title, category, location) of the demo's repairs.
REPAIRS = (
    ("厨房水管漏水", "plumbing", "厨房"),
    ("卫生间下水道堵塞", "plumbing", "卫生间"),
    ("楼道灯不亮", "electrical", "楼道"),
    ("电梯按钮失灵", "elevator", "电梯"),
    ("单元门禁刷卡无反应", "security", "单元门"),
    ("小区路灯损坏", "public_facility", "中心花园"),
    ("绿化带杂草需修剪", "greening", "北门绿化带"),
    ("垃圾桶满溢", "sanitation", "3号垃圾点"),
    ("车库顶棚渗水", "public_facility", "地下车库"),
    ("窗户密封条老化漏风", "other", "客厅"),
)
#: Orders per community (about half a year's volume would be far more; this is enough for a figure).
PER_COMMUNITY = 16


async def seed_workorders_demo(runtime: Runtime, tenant_id: uuid.UUID, *, seed: int = 278) -> int:
    """Repairs in every community of the demo firm; returns how many were made."""
    rng = random.Random(seed)
    now = utcnow()
    made = 0
    async with runtime.db.tenant(tenant_id) as s:
        if await s.scalar(select(func.count()).select_from(WorkOrder)):
            return 0
        communities = list(await s.scalars(select(Community).order_by(Community.code)))
        for community in communities:
            units = list(await s.scalars(select(Unit.id).where(Unit.community_id == community.id, Unit.sold.is_(True)).order_by(Unit.id)))
            if not units:
                continue
            for i in range(PER_COMMUNITY):
                title, category, place = rng.choice(REPAIRS)
                reported = now - timedelta(days=rng.uniform(1, 70), hours=rng.uniform(0, 10))
                order = await service.report(
                    s, runtime, title=title, category=category, location=place, community_id=community.id,
                    unit_id=rng.choice(units), source="resident", actor="system:demo", now=reported,
                )
                order.created_at = reported
                if i % 8 == 7 and now - reported < timedelta(days=14):
                    order.status = "dispatched"  # a few still being handled
                    order.assessed_at = order.dispatched_at = reported + timedelta(hours=1)
                elif i % 8 != 7:
                    hours = rng.choice((2, 4, 6, 20, 26, 30, 48, 72))
                    order.status = "closed"
                    order.assessed_at = reported + timedelta(minutes=20)
                    order.dispatched_at = reported + timedelta(minutes=40)
                    order.started_at = reported + timedelta(hours=1)
                    order.resolved_at = reported + timedelta(hours=hours)
                    order.closed_at = order.resolved_at + timedelta(hours=6)
                    order.resolution = "已维修完毕，业主确认"
                    order.rating = rng.choice((4, 5, 5, 5, 3))
                made += 1
        await s.flush()
    return made
