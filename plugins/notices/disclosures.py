"""The 公示 board for other plugins: the event ``disclosure.requested`` becomes a published public
disclosure of a community, so a plugin discloses without importing this one.

Payload: ``community_id``, ``title``, ``body``, ``category`` (one of the notice categories,
default ``governance``), ``display_days`` (1–365, default 7) and ``ref`` — the requester's name
for what is disclosed (``participation:topic:<id>:answer``), kept as the notice's author: a
request delivered twice publishes once. A malformed request is dropped (and logged), never
retried forever."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from kernel.sdk import Event, HandlerContext, LinliError
from plugins.notices import service
from plugins.notices.models import CATEGORIES, Notice

log = logging.getLogger(__name__)
EVENT = "disclosure.requested"


async def on_disclosure_requested(ctx: HandlerContext, event: Event) -> None:
    payload = event.payload
    ref = str(payload.get("ref") or f"event:{event.id}")[:100]
    if await ctx.session.scalar(select(Notice.id).where(Notice.created_by == ref)):
        return  # delivered again: published already
    category = payload.get("category") or "governance"
    try:
        community_id = uuid.UUID(str(payload.get("community_id")))
        notice = await service.create_notice(
            ctx.session,
            scope="community",
            target_id=community_id,
            title=str(payload.get("title") or ""),
            body=str(payload.get("body") or ""),
            category=category if category in CATEGORIES else "governance",
            public_disclosure=True,
            display_days=int(payload.get("display_days") or 7),
            created_by=ref,
        )
        await service.publish(ctx.session, ctx.runtime, ctx.tenant_id, notice.id, actor=event.actor or "system")
    except (ValueError, LinliError) as exc:
        log.warning("disclosure request %s dropped: %s", event.id, exc)
