"""What the participation plugin tells people (inbox and channels, through ``kernel.sdk.notify``)
and the 公示 board request it publishes.

The disclosure board belongs to the notices plugin; this plugin never imports it. It publishes
the event ``disclosure.requested`` (community, title, body, category, display days and a ``ref``
that makes a repeated delivery publish once); the notices plugin's handler turns it into a
published public disclosure on ``disclosureBoard(communityId)``."""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import Event, NotificationTemplate, notify
from kernel.sdk.notifications import accounts_with_roles

COMMITTEE = "committee_member"
DISCLOSURE_EVENT = "disclosure.requested"
DISCLOSURE_DAYS = 30

TOPIC_DUE = NotificationTemplate(
    key="participation.topic_due",
    category="participation",
    subject={
        "zh-CN": "议题联名已达门槛：{title}",
        "en": "Topic reached its co-signature threshold: {title}",
    },
    body={
        "zh-CN": "议题《{title}》已获 {co_signatures} 位业主联名，业委会须在 {due} 前答复（转为表决议案或说明理由）。",
        "en": "“{title}” has {co_signatures} owners' co-signatures; the committee must answer by {due} (a formal proposal or a reply with reasons).",
    },
)
TOPIC_OVERDUE = NotificationTemplate(
    key="participation.topic_overdue",
    category="participation",
    subject={"zh-CN": "议题答复已逾期：{title}", "en": "Answer overdue: {title}"},
    body={
        "zh-CN": "议题《{title}》的答复期限 {due} 已过，业委会尚未答复。",
        "en": "The committee's answer to “{title}” was due {due} and has not been given.",
    },
)
TOPIC_ANSWERED = NotificationTemplate(
    key="participation.topic_answered",
    category="participation",
    subject={"zh-CN": "您发起的议题已有答复：{title}", "en": "Your topic was answered: {title}"},
    body={
        "zh-CN": "业委会已答复议题《{title}》（{outcome}），答复已在公示栏公示。",
        "en": "The owners' committee answered “{title}” ({outcome}); the answer is on the disclosure board.",
    },
)
COMMENT_HIDDEN = NotificationTemplate(
    key="participation.comment_hidden",
    category="participation",
    subject={"zh-CN": "您的评论已被隐藏", "en": "Your comment was hidden"},
    body={
        "zh-CN": "您在议题《{title}》下的评论已被业委会隐藏（未删除），理由：{reason}",
        "en": "The owners' committee hid (did not delete) your comment on “{title}”. Reason: {reason}",
    },
)
TEMPLATES = (TOPIC_DUE, TOPIC_OVERDUE, TOPIC_ANSWERED, COMMENT_HIDDEN)


async def tell_committee(
    session: Any, template: str, data: dict[str, Any], key: str, urgency: str = "normal"
) -> list[uuid.UUID]:
    """Notify every active login of the owners' committee; returns who was told."""
    tenant_id = session.info["tenant_id"]
    committee = await accounts_with_roles(session, tenant_id, [COMMITTEE])
    if committee:
        await notify(
            session,
            tenant_id=tenant_id,
            recipients=committee,
            template=template,
            data=data,
            urgency=urgency,  # type: ignore[arg-type]
            key=key,
        )
    return committee


async def tell_account(
    session: Any, account_id: uuid.UUID | None, template: str, data: dict[str, Any], key: str
) -> None:
    if account_id is None:
        return
    await notify(
        session,
        tenant_id=session.info["tenant_id"],
        recipients=[account_id],
        template=template,
        data=data,
        key=key,
    )


async def request_disclosure(
    session: Any,
    bus: Any,
    *,
    community_id: uuid.UUID,
    title: str,
    body: str,
    ref: str,
    actor: str,
) -> None:
    """Ask the 公示 board for a public disclosure (``disclosure.requested``, in this transaction)."""
    await bus.publish(
        session,
        Event(
            DISCLOSURE_EVENT,
            session.info["tenant_id"],
            {
                "community_id": str(community_id),
                "title": title[:200],
                "body": body,
                "category": "governance",
                "display_days": DISCLOSURE_DAYS,
                "ref": ref[:100],
            },
            actor=actor,
        ),
    )
