"""Telling people about a published notice: everyone who owns or lives in a unit in its scope
(the community, a building or one unit) and has a login, in their inbox and on their channels.

Kept apart from the notice service: the handler runs after the publication committed (the
``notice.published`` event, at least once; the key makes a repeated run notify once).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kernel.sdk import Event, HandlerContext, NotificationTemplate, notify
from kernel.sdk.estate import Unit, accounts_of_units
from plugins.notices.models import Notice

PUBLISHED = NotificationTemplate(
    key="notices.published",
    category="notices",
    subject={"zh-CN": "物业通知：{title}", "en": "Notice: {title}"},
    body={"zh-CN": "物业发布了新通知《{title}》，请在“通知公告”中查看全文。", "en": "The property office published “{title}”; read it under Notices."},
)
TEMPLATES = [PUBLISHED]


async def on_published(ctx: HandlerContext, event: Event) -> None:
    notice = await ctx.session.get(Notice, {"tenant_id": ctx.tenant_id, "id": uuid.UUID(event.payload["notice_id"])})
    if notice is None or notice.status != "published":
        return  # withdrawn before the handler ran: tell no one
    units = select(Unit.id).where(Unit.community_id == notice.community_id)
    if notice.unit_id is not None:
        units = units.where(Unit.id == notice.unit_id)
    elif notice.building_id is not None:
        units = units.where(Unit.building_id == notice.building_id)
    audience = await accounts_of_units(ctx.session, units)
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=audience,
        template=PUBLISHED.key,
        data={"title": notice.title},
        urgency="normal",
        key=f"notice:{notice.id}:published:{event.id}",
    )


HANDLERS = {"notice.published": on_published}
