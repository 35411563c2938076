"""The deliberation hall (议事厅): topics, co-signatures (联名), the committee's answer, comments
and their moderation, the overdue check. Flush, never commit; validate before writing; audit and
publish here.

Collaboration with governance, without importing it: the committee drafts the Art. 278 proposal
in the governance plugin as usual, then converts the topic by giving that proposal's id. The
proposal is checked through governance's declared service ``governance.proposal_facts`` (same
tenant, same community); the link is stored here and announced as ``participation.topic_converted``
(topic and proposal ids) so governance or anyone else can record the link back; this plugin's
query ``deliberationTopicOfProposal`` answers the other direction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import BadUserInput, Conflict, NotFound, parse_input, utcnow
from kernel.sdk.estate import Community
from kernel.sdk.runtime import Runtime
from kernel.sdk.services import service
from plugins.participation import notifications as tell
from plugins.participation.common import audited, publish
from plugins.participation.inputs import HideReason, NewComment, NewTopic, Reply, Settings
from plugins.participation.models import (
    DeliberationTopic,
    ParticipationSettings,
    TopicComment,
    TopicCoSignature,
)
from plugins.participation.owners import owner_headcount, require_owner, threshold_of

DEFAULT_THRESHOLD = ("share", 500)
DEFAULT_ANSWER_DAYS = 15
PROPOSAL_FACTS = "governance.proposal_facts"
#: The proposal statuses a topic may be converted into: not yet decided (nor cancelled) and not
#: past its vote — a decided proposal cannot take up a topic.
CONVERTIBLE = ("draft", "published", "voting")
#: Art. 278 matters as the 公示 board names them (the code, e.g. ``use_fund``, is no reading for
#: residents); an unknown code is shown as it is.
MATTER_ZH = {
    "rules_of_procedure": "制定和修改业主大会议事规则",
    "management_covenant": "制定和修改管理规约",
    "committee_election": "选举业主委员会或者更换业主委员会成员",
    "property_firm": "选聘和解聘物业服务企业或者其他管理人",
    "use_fund": "使用建筑物及其附属设施的维修资金",
    "raise_fund": "筹集建筑物及其附属设施的维修资金",
    "rebuild": "改建、重建建筑物及其附属设施",
    "common_parts_change": "改变共有部分的用途或者利用共有部分从事经营活动",
    "other": "有关共有和共同管理权利的其他重大事项",
}


async def _community(session: Any, community_id: uuid.UUID) -> None:
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no community with this id", field="communityId")


# -- the community's rules --------------------------------------------------------------------------


async def settings_of(session: Any, community_id: uuid.UUID) -> ParticipationSettings:
    """The community's settings (the defaults, unsaved, when none were configured)."""
    row = await session.scalar(
        select(ParticipationSettings).where(ParticipationSettings.community_id == community_id)
    )
    if row is not None:
        return row  # type: ignore[no-any-return]
    return ParticipationSettings(
        community_id=community_id,
        threshold_kind=DEFAULT_THRESHOLD[0],
        threshold_value=DEFAULT_THRESHOLD[1],
        answer_within_days=DEFAULT_ANSWER_DAYS,
    )


async def configure(
    session: Any,
    *,
    community_id: uuid.UUID,
    threshold_kind: str,
    threshold_value: int,
    answer_within_days: int,
    actor: str,
) -> ParticipationSettings:
    """Set the community's co-signature threshold and answer period (applies to new topics)."""
    spec = parse_input(
        Settings,
        threshold_kind=threshold_kind,
        threshold_value=threshold_value,
        answer_within_days=answer_within_days,
    )
    await _community(session, community_id)
    row = await session.scalar(
        select(ParticipationSettings).where(ParticipationSettings.community_id == community_id)
    )
    if row is None:
        row = ParticipationSettings(id=uuid.uuid4(), community_id=community_id)
        session.add(row)
    row.threshold_kind = spec.threshold_kind.value
    row.threshold_value = spec.threshold_value
    row.answer_within_days = spec.answer_within_days
    row.updated_by = actor[:80]
    await session.flush()
    await audited(
        session,
        actor,
        "settings_changed",
        community_id,
        threshold_kind=row.threshold_kind,
        threshold_value=row.threshold_value,
        answer_within_days=row.answer_within_days,
    )
    return row


# -- topics and co-signatures -----------------------------------------------------------------------


async def get_topic(session: Any, topic_id: uuid.UUID) -> DeliberationTopic:
    row = await session.scalar(select(DeliberationTopic).where(DeliberationTopic.id == topic_id))
    if row is None:
        raise NotFound("no topic with this id", field="topicId")
    return row  # type: ignore[no-any-return]


async def open_topic(
    session: Any,
    bus: Any,
    *,
    community_id: uuid.UUID,
    title: str,
    body: str,
    account_id: uuid.UUID | None,
    actor: str,
    now: datetime | None = None,
) -> DeliberationTopic:
    """An owner opens a topic; their own co-signature is the first. The threshold is fixed now
    from the community's rule and owner headcount."""
    spec = parse_input(NewTopic, title=title, body=body)
    await _community(session, community_id)
    held = await require_owner(session, account_id, community_id)
    rules = await settings_of(session, community_id)
    threshold = threshold_of(
        rules.threshold_kind, rules.threshold_value, await owner_headcount(session, community_id)
    )
    topic = DeliberationTopic(
        id=uuid.uuid4(),
        community_id=community_id,
        title=spec.title,
        body=spec.body,
        status="open",
        opened_by_account_id=account_id,
        threshold=threshold,
        co_signatures=0,
        answer_within_days=rules.answer_within_days,
    )
    session.add(topic)
    await session.flush()
    await audited(session, actor, "topic_opened", topic.id, threshold=threshold)
    await publish(
        session,
        bus,
        "topic_opened",
        {"topic_id": str(topic.id), "community_id": str(community_id), "threshold": threshold},
        actor,
    )
    await _sign(session, bus, topic, sorted(held), account_id, actor, now or utcnow())
    return topic


async def co_sign(
    session: Any,
    bus: Any,
    *,
    topic: DeliberationTopic,
    account_id: uuid.UUID | None,
    actor: str,
    now: datetime | None = None,
) -> DeliberationTopic:
    """An owner co-signs, once per owner (person key): a second signature for the same owner —
    from the same login or a co-owner's — answers CONFLICT."""
    if topic.status != "open":
        raise Conflict(
            f"this topic no longer gathers co-signatures (it is {topic.status})",
            reason=topic.status,
        )
    held = await require_owner(session, account_id, topic.community_id)
    signed = set(
        await session.scalars(
            select(TopicCoSignature.person_key).where(
                TopicCoSignature.topic_id == topic.id,
                TopicCoSignature.person_key.in_(list(held)),
            )
        )
    )
    new = sorted(set(held) - signed)
    if not new:
        raise Conflict(
            "this owner has co-signed already (co-owners of a unit sign once)",
            reason="already_signed",
        )
    await _sign(session, bus, topic, new, account_id, actor, now or utcnow())
    return topic


async def _sign(
    session: Any,
    bus: Any,
    topic: DeliberationTopic,
    keys: list[str],
    account_id: uuid.UUID | None,
    actor: str,
    now: datetime,
) -> None:
    for key in keys:
        session.add(
            TopicCoSignature(
                id=uuid.uuid4(),
                topic_id=topic.id,
                person_key=key,
                account_id=account_id,
                signed_at=now,
            )
        )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent request signed for the same owner
        raise Conflict("this owner has co-signed already", reason="already_signed") from exc
    topic.co_signatures = int(
        await session.scalar(
            select(func.count())
            .select_from(TopicCoSignature)
            .where(TopicCoSignature.topic_id == topic.id)
        )
        or 0
    )
    await audited(session, actor, "topic_co_signed", topic.id, owners=len(keys))
    if topic.status == "open" and topic.co_signatures >= topic.threshold:
        topic.status = "due"
        topic.threshold_reached_at = now
        topic.answer_due_at = now + timedelta(days=topic.answer_within_days)
        await audited(session, "system", "topic_due", topic.id, co_signatures=topic.co_signatures)
        await publish(
            session,
            bus,
            "topic_due",
            {
                "topic_id": str(topic.id),
                "community_id": str(topic.community_id),
                "co_signatures": topic.co_signatures,
                "answer_due_at": topic.answer_due_at.isoformat(),
            },
        )
        await tell.tell_committee(
            session,
            tell.TOPIC_DUE.key,
            {
                "title": topic.title,
                "co_signatures": topic.co_signatures,
                "due": topic.answer_due_at.date().isoformat(),
            },
            key=f"participation:topic:{topic.id}:due",
        )
    await session.flush()


# -- the committee's answer -------------------------------------------------------------------------


def _answerable(topic: DeliberationTopic) -> None:
    if topic.status not in ("open", "due"):
        raise Conflict(f"this topic was {topic.status} already", reason=topic.status)


async def answer(
    session: Any,
    bus: Any,
    *,
    topic: DeliberationTopic,
    reply: str,
    actor: str,
    now: datetime | None = None,
) -> DeliberationTopic:
    """The committee replies with reasons (not adopting the topic as a vote); the reply is
    disclosed on the 公示 board and the opener is told."""
    _answerable(topic)
    spec = parse_input(Reply, reply=reply)
    topic.status = "answered"
    topic.reply = spec.reply
    await _answered(session, bus, topic, actor, now, outcome="reply")
    await tell.request_disclosure(
        session,
        bus,
        community_id=topic.community_id,
        title=f"议题答复：{topic.title}",
        body=f"议题《{topic.title}》获 {topic.co_signatures} 位业主联名。业委会答复如下：\n\n{spec.reply}",
        ref=f"participation:topic:{topic.id}:answer",
        actor=actor,
    )
    return topic


async def convert(
    session: Any,
    runtime: Runtime,
    *,
    topic: DeliberationTopic,
    proposal_id: uuid.UUID,
    actor: str,
    now: datetime | None = None,
) -> DeliberationTopic:
    """The committee adopts the topic as a formal Art. 278 proposal it drafted in governance:
    the proposal must exist in this firm and community (``governance.proposal_facts``) and may
    answer one topic only. Announced (``participation.topic_converted``) and disclosed."""
    _answerable(topic)
    facts_of = service(runtime, PROPOSAL_FACTS)
    if facts_of is None:
        raise BadUserInput(
            "the governance plugin is not installed: there is no proposal to link",
            field="proposalId",
            reason="governance_unavailable",
        )
    facts = await facts_of(session, proposal_id)
    if facts is None:
        raise NotFound("no proposal with this id", field="proposalId")
    if facts.community_id != topic.community_id:
        raise BadUserInput("the proposal is for another community", field="proposalId")
    if facts.status not in CONVERTIBLE:
        raise Conflict(
            f"a topic is converted into a proposal still to be voted on (draft, published or "
            f"voting); this one is {facts.status}",
            field="proposalId",
            reason="proposal_not_open",
            status=facts.status,
        )
    if await session.scalar(
        select(DeliberationTopic.id).where(DeliberationTopic.proposal_id == proposal_id)
    ):
        raise Conflict("this proposal answers another topic already", field="proposalId")
    topic.status = "converted"
    topic.proposal_id = proposal_id
    await _answered(session, runtime.bus, topic, actor, now, outcome="converted")
    await publish(
        session,
        runtime.bus,
        "topic_converted",
        {
            "topic_id": str(topic.id),
            "proposal_id": str(proposal_id),
            "community_id": str(topic.community_id),
            "matter": facts.matter,
        },
        actor,
    )
    await tell.request_disclosure(
        session,
        runtime.bus,
        community_id=topic.community_id,
        title=f"议题转为表决议案：{topic.title}",
        body=(
            f"议题《{topic.title}》获 {topic.co_signatures} 位业主联名，业委会已将其转为"
            f"《民法典》第二百七十八条的表决议案（事项：{MATTER_ZH.get(facts.matter, facts.matter)}），"
            + ("表决公告另行发布。" if facts.status == "draft" else "表决公告已发布，请留意表决通知。")
        ),
        ref=f"participation:topic:{topic.id}:answer",
        actor=actor,
    )
    return topic


async def _answered(
    session: Any, bus: Any, topic: DeliberationTopic, actor: str, now: datetime | None, outcome: str
) -> None:
    topic.answered_at = now or utcnow()
    topic.answered_by = actor[:80]
    await session.flush()
    await audited(session, actor, f"topic_{topic.status}", topic.id)
    if outcome == "reply":
        await publish(
            session,
            bus,
            "topic_answered",
            {"topic_id": str(topic.id), "community_id": str(topic.community_id)},
            actor,
        )
    await tell.tell_account(
        session,
        topic.opened_by_account_id,
        tell.TOPIC_ANSWERED.key,
        {"title": topic.title, "outcome": "转为表决议案" if outcome == "converted" else "答复理由"},
        key=f"participation:topic:{topic.id}:answered",
    )


async def flag_overdue(session: Any, bus: Any, *, now: datetime | None = None) -> list[uuid.UUID]:
    """The scheduled check: due topics past their answer date, not flagged yet, are flagged
    (once), announced (``participation.topic_overdue``) and the committee is told."""
    now = now or utcnow()
    rows = list(
        await session.scalars(
            select(DeliberationTopic).where(
                DeliberationTopic.status == "due",
                DeliberationTopic.answer_due_at < now,
                DeliberationTopic.overdue_flagged_at.is_(None),
            )
        )
    )
    for topic in rows:
        topic.overdue_flagged_at = now
        await audited(session, "system", "topic_overdue", topic.id)
        await publish(
            session,
            bus,
            "topic_overdue",
            {"topic_id": str(topic.id), "community_id": str(topic.community_id)},
        )
        await tell.tell_committee(
            session,
            tell.TOPIC_OVERDUE.key,
            {"title": topic.title, "due": topic.answer_due_at.date().isoformat()},  # type: ignore[union-attr]
            key=f"participation:topic:{topic.id}:overdue",
        )
    await session.flush()
    return [t.id for t in rows]


# -- comments and moderation ------------------------------------------------------------------------


async def add_comment(
    session: Any,
    *,
    topic: DeliberationTopic,
    body: str,
    account_id: uuid.UUID | None,
    as_committee: bool,
    actor: str,
) -> TopicComment:
    """An owner of the community (or a committee member) comments on a topic."""
    spec = parse_input(NewComment, body=body)
    if not as_committee:
        await require_owner(session, account_id, topic.community_id)
    row = TopicComment(
        id=uuid.uuid4(),
        topic_id=topic.id,
        author_account_id=account_id,
        author_role="committee" if as_committee else "owner",
        body=spec.body,
    )
    session.add(row)
    await session.flush()
    await audited(session, actor, "comment_added", row.id, topic=str(topic.id))
    return row


async def hide_comment(
    session: Any,
    bus: Any,
    *,
    comment: TopicComment,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> TopicComment:
    """The committee hides a comment — kept, never deleted — and tells its author why."""
    spec = parse_input(HideReason, reason=reason)
    if comment.hidden_at is not None:
        raise Conflict("this comment is hidden already", reason="hidden")
    comment.hidden_at = now or utcnow()
    comment.hidden_by = actor[:80]
    comment.hidden_reason = spec.reason
    await session.flush()
    topic = await get_topic(session, comment.topic_id)
    await audited(session, actor, "comment_hidden", comment.id, topic=str(topic.id))
    await publish(
        session,
        bus,
        "comment_hidden",
        {"comment_id": str(comment.id), "topic_id": str(topic.id)},
        actor,
    )
    await tell.tell_account(
        session,
        comment.author_account_id,
        tell.COMMENT_HIDDEN.key,
        {"title": topic.title, "reason": spec.reason},
        key=f"participation:comment:{comment.id}:hidden",
    )
    return comment
