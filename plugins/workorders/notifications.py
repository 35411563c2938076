"""Telling the reporter how their work order moves: dispatched to a technician, resolved,
closed, cancelled — by staff or by the SLA job, never for what the reporter did themselves.

Handlers of the plugin's own ``workorder.*`` events, after the change committed.
"""

from __future__ import annotations

import uuid

from kernel.sdk import Event, HandlerContext, NotificationTemplate, notify
from plugins.workorders.models import WorkOrder

STATUS_NAMES = {
    "zh-CN": {"dispatched": "已派单", "resolved": "已处理，请确认", "closed": "已关闭", "cancelled": "已取消"},
    "en": {"dispatched": "dispatched to a technician", "resolved": "resolved, please confirm", "closed": "closed", "cancelled": "cancelled"},
}

CHANGED = NotificationTemplate(
    key="workorders.changed",
    category="workorders",
    subject={"zh-CN": "工单进度：{title}", "en": "Work order update: {title}"},
    body={"zh-CN": "您报修的“{title}”{status_zh}。", "en": "Your work order “{title}” was {status_en}."},
)
TEMPLATES = [CHANGED]


async def on_changed(ctx: HandlerContext, event: Event) -> None:
    order = await ctx.session.get(WorkOrder, {"tenant_id": ctx.tenant_id, "id": uuid.UUID(event.payload["work_order_id"])})
    if order is None or order.reporter_account_id is None:
        return  # raised by a device or an inspection: nobody reported it
    if event.actor == f"account:{order.reporter_account_id}":
        return  # the reporter did this themselves
    change = event.type.removeprefix("workorder.")
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=[order.reporter_account_id],
        template=CHANGED.key,
        data={"title": order.title, "status_zh": STATUS_NAMES["zh-CN"][change], "status_en": STATUS_NAMES["en"][change]},
        key=f"workorder:{order.id}:{event.id}",
    )


HANDLERS = {f"workorder.{change}": on_changed for change in STATUS_NAMES["en"]}
