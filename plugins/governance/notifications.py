"""Telling the owners who may vote: voting opened, voting closes within 24 hours, the result.

Eligible owners are the logins of the persons who own a sold unit in the proposal's scope (the
community, or its buildings). Co-owners are all told (whoever the unit's designated voter is, all
co-owners see the ballot); the developer's unsold units are voted by its representative, not
reached here. The 24-hour reminder is a scheduled job (every 15 minutes, idempotent per proposal).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kernel.sdk import Event, NotificationTemplate, notify, utcnow
from kernel.sdk.estate import Unit, accounts_of_units
from kernel.sdk.runtime import Runtime
from plugins.governance import models as m

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMIND_BEFORE = timedelta(hours=24)
REMINDER_INTERVAL_SECONDS = 900.0
OUTCOMES = {
    "Succeeded": ("通过", "passed"),
    "Defeated": ("未通过", "was not passed"),
    "DefeatedNoQuorum": ("因参与人数或面积不足未通过", "failed for lack of participation"),
}

OPENED = NotificationTemplate(
    key="governance.voting_opened",
    category="governance",
    subject={"zh-CN": "业主表决开始：{title}", "en": "Owners' vote open: {title}"},
    body={"zh-CN": "“{title}”已开始表决，截止 {ends_at}（北京时间），请及时投票。", "en": "Voting on “{title}” is open until {ends_at} (Beijing time); please cast your vote."},
)
CLOSING = NotificationTemplate(
    key="governance.voting_closing",
    category="governance",
    subject={"zh-CN": "表决即将截止：{title}", "en": "Vote closing soon: {title}"},
    body={"zh-CN": "“{title}”将于 {ends_at}（北京时间）截止表决，尚未投票的业主请尽快投票。", "en": "Voting on “{title}” closes at {ends_at} (Beijing time); vote now if you have not."},
)
RESULT = NotificationTemplate(
    key="governance.result",
    category="governance",
    subject={"zh-CN": "表决结果：{title}", "en": "Vote result: {title}"},
    body={"zh-CN": "“{title}”表决结束：{outcome_zh}。详情见“业主共治”。", "en": "The vote on “{title}” ended: it {outcome_en}. See Governance for details."},
)
TEMPLATES = [OPENED, CLOSING, RESULT]


async def eligible_owners(session: Any, proposal: m.Proposal) -> list[uuid.UUID]:
    units = select(Unit.id).where(Unit.community_id == proposal.community_id, Unit.sold.is_(True))
    if proposal.building_ids:
        units = units.where(Unit.building_id.in_([uuid.UUID(b) for b in proposal.building_ids]))
    return await accounts_of_units(session, units, residents=False)


def _local(proposal: m.Proposal) -> str:
    return proposal.voting_ends_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if proposal.voting_ends_at else "—"


async def _proposal(ctx: Any, event: Event) -> m.Proposal | None:
    return await ctx.session.get(m.Proposal, {"tenant_id": ctx.tenant_id, "id": uuid.UUID(event.payload["proposal_id"])})  # type: ignore[no-any-return]


async def on_voting_opened(ctx: Any, event: Event) -> None:
    proposal = await _proposal(ctx, event)
    if proposal is None:
        return
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=await eligible_owners(ctx.session, proposal),
        template=OPENED.key,
        data={"title": proposal.title, "ends_at": _local(proposal)},
        key=f"proposal:{proposal.id}:voting_opened",
    )


async def on_result(ctx: Any, event: Event) -> None:
    proposal = await _proposal(ctx, event)
    if proposal is None:
        return
    zh, en = OUTCOMES.get(str(event.payload.get("outcome")), ("已结束", "ended"))
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=await eligible_owners(ctx.session, proposal),
        template=RESULT.key,
        data={"title": proposal.title, "outcome_zh": zh, "outcome_en": en},
        key=f"proposal:{proposal.id}:result",
    )


async def remind_closing(session: Any, tenant_id: uuid.UUID, *, now: Any = None) -> int:
    """Notify the eligible owners of every proposal whose voting closes within 24 hours (once)."""
    now = now or utcnow()
    proposals = (
        await session.scalars(
            select(m.Proposal).where(m.Proposal.status == "voting", m.Proposal.voting_ends_at > now, m.Proposal.voting_ends_at <= now + REMIND_BEFORE)
        )
    ).all()
    for proposal in proposals:
        await notify(
            session,
            tenant_id=tenant_id,
            recipients=await eligible_owners(session, proposal),
            template=CLOSING.key,
            data={"title": proposal.title, "ends_at": _local(proposal)},
            key=f"proposal:{proposal.id}:closing",
        )
    return len(proposals)


async def remind_closing_all(runtime: Runtime, *, now: Any = None) -> int:
    """The scheduled job: :func:`remind_closing` in every active tenant that enabled governance."""
    from kernel.sdk.jobs import for_each_enabled_tenant

    counts = await for_each_enabled_tenant(
        runtime, "governance", lambda session, tenant: remind_closing(session, tenant.id, now=now),
        failure_event="vote_reminders_failed",
    )
    return sum(counts)


HANDLERS = {"governance.voting_opened": on_voting_opened, "governance.result_published": on_result}
