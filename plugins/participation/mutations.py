"""The participation plugin's mutation root: decode ids, find the row through the repository
(what the caller may not read answers NOT_FOUND), call the service (which validates, audits,
publishes and notifies)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import NotFound
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.participation import models as m
from plugins.participation import surveys, topics
from plugins.participation.owners import owner_headcount, threshold_of
from plugins.participation.permissions import (
    ANSWER_SURVEY,
    CONFIGURE,
    MANAGE_SURVEYS,
    RESPOND,
    TAKE_PART,
    Allowed,
)
from plugins.participation.queries import require_readable_community, topic_nodes
from plugins.participation.repository import CommentRepository, SurveyRepository, TopicRepository
from plugins.participation.types import Comment, DeliberationTopic, Settings, Survey
from plugins.participation.vocabulary import AnswerPer, SurveyKind, ThresholdKind


async def _topic(info: strawberry.Info, topic_id: relay.GlobalID) -> m.DeliberationTopic:
    ctx = info.context
    row = await TopicRepository(ctx.session).get_by_id(
        decode_id(topic_id, "DeliberationTopic"), actor=Viewer.of(ctx)
    )
    if row is None:
        raise NotFound("no topic with this id", field="topicId")
    return row


async def _survey(info: strawberry.Info, survey_id: relay.GlobalID) -> m.Survey:
    ctx = info.context
    row = await SurveyRepository(ctx.session).get_by_id(
        decode_id(survey_id, "Survey"), actor=Viewer.of(ctx)
    )
    if row is None:
        raise NotFound("no survey with this id", field="surveyId")
    return row


async def _one(info: strawberry.Info, row: m.DeliberationTopic) -> DeliberationTopic:
    return (await topic_nodes(info, [row]))[0]


@strawberry.type
class ParticipationMutation:
    @strawberry.mutation(
        permission_classes=[Allowed(CONFIGURE)],
        description="Set a community's co-signature threshold (a share of owners in basis points, or a fixed number) and the committee's answer period in days (for topics opened from now on).",
    )
    async def configure_participation(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        threshold_kind: ThresholdKind,
        threshold_value: int,
        answer_within_days: int = 15,
    ) -> Settings:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        row = await topics.configure(
            ctx.session,
            community_id=cid,
            threshold_kind=threshold_kind.value,
            threshold_value=threshold_value,
            answer_within_days=answer_within_days,
            actor=ctx.actor.label,
        )
        owners = await owner_headcount(ctx.session, cid)
        return Settings.from_row(
            row, owners, threshold_of(row.threshold_kind, row.threshold_value, owners)
        )

    @strawberry.mutation(
        permission_classes=[Allowed(TAKE_PART)],
        description="An owner of the community opens a topic (议题); their own co-signature is the first.",
    )
    async def open_deliberation_topic(
        self, info: strawberry.Info, community_id: relay.GlobalID, title: str, body: str
    ) -> DeliberationTopic:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        row = await topics.open_topic(
            ctx.session,
            ctx.runtime.bus,
            community_id=cid,
            title=title,
            body=body,
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return await _one(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(TAKE_PART)],
        description="An owner co-signs (联名) a topic — once per owner, co-owners of a unit once.",
    )
    async def co_sign_deliberation_topic(
        self, info: strawberry.Info, topic_id: relay.GlobalID
    ) -> DeliberationTopic:
        ctx = info.context
        row = await topics.co_sign(
            ctx.session,
            ctx.runtime.bus,
            topic=await _topic(info, topic_id),
            account_id=ctx.actor.account_id,
            actor=ctx.actor.label,
        )
        return await _one(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="The owners' committee answers a topic with reasons (not adopting it as a vote); disclosed on the 公示 board.",
    )
    async def answer_deliberation_topic(
        self, info: strawberry.Info, topic_id: relay.GlobalID, reply: str
    ) -> DeliberationTopic:
        ctx = info.context
        row = await topics.answer(
            ctx.session,
            ctx.runtime.bus,
            topic=await _topic(info, topic_id),
            reply=reply,
            actor=ctx.actor.label,
        )
        return await _one(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="The owners' committee adopts a topic as the Art. 278 proposal it drafted in governance (the proposal's id); announced as participation.topic_converted and disclosed.",
    )
    async def convert_deliberation_topic(
        self, info: strawberry.Info, topic_id: relay.GlobalID, proposal_id: relay.GlobalID
    ) -> DeliberationTopic:
        ctx = info.context
        topic = await _topic(info, topic_id)
        row = await topics.convert(
            ctx.session,
            ctx.runtime,
            topic=topic,
            proposal_id=decode_id(proposal_id, "Proposal"),
            actor=ctx.actor.label,
        )
        return await _one(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(TAKE_PART, RESPOND)],
        description="Comment on a topic (owners of the community, and the committee).",
    )
    async def comment_deliberation_topic(
        self, info: strawberry.Info, topic_id: relay.GlobalID, body: str
    ) -> Comment:
        ctx = info.context
        as_committee = ctx.allowed(*RESPOND)
        row = await topics.add_comment(
            ctx.session,
            topic=await _topic(info, topic_id),
            body=body,
            account_id=ctx.actor.account_id,
            as_committee=as_committee,
            actor=ctx.actor.label,
        )
        return Comment.from_row(row, me=ctx.actor.account_id, moderator=as_committee)

    @strawberry.mutation(
        permission_classes=[Allowed(RESPOND)],
        description="The committee hides a comment (kept, not deleted); its author is told the reason.",
    )
    async def hide_deliberation_comment(
        self, info: strawberry.Info, comment_id: relay.GlobalID, reason: str
    ) -> Comment:
        ctx = info.context
        row = await CommentRepository(ctx.session).get_by_id(
            decode_id(comment_id, "DeliberationComment"), actor=Viewer.of(ctx)
        )
        if row is None:
            raise NotFound("no comment with this id", field="commentId")
        row = await topics.hide_comment(
            ctx.session, ctx.runtime.bus, comment=row, reason=reason, actor=ctx.actor.label
        )
        return Comment.from_row(row, me=ctx.actor.account_id, moderator=True)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE_SURVEYS)],
        description="Draft a survey of a community: rating questions (1–5), one answer per household or per person.",
    )
    async def create_survey(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        title: str,
        kind: SurveyKind,
        answer_per: AnswerPer,
        questions: list[str],
        closes_at: datetime | None = None,
    ) -> Survey:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        await require_readable_community(info, cid)
        row = await surveys.create_survey(
            ctx.session,
            community_id=cid,
            title=title,
            kind=kind.value,
            answer_per=answer_per.value,
            questions=questions,
            closes_at=closes_at,
            actor=ctx.actor.label,
        )
        return Survey.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE_SURVEYS)], description="Open a draft survey for answers."
    )
    async def open_survey(self, info: strawberry.Info, survey_id: relay.GlobalID) -> Survey:
        ctx = info.context
        row = await surveys.open_survey(
            ctx.session,
            ctx.runtime.bus,
            survey=await _survey(info, survey_id),
            actor=ctx.actor.label,
        )
        return Survey.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE_SURVEYS)],
        description="Close a survey; its results (groups of at least 5 answers) are disclosed on the 公示 board.",
    )
    async def close_survey(self, info: strawberry.Info, survey_id: relay.GlobalID) -> Survey:
        ctx = info.context
        row = await surveys.close_survey(
            ctx.session,
            ctx.runtime.bus,
            survey=await _survey(info, survey_id),
            actor=ctx.actor.label,
        )
        return Survey.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(ANSWER_SURVEY)],
        description="Answer a survey anonymously, once per household (name the unit when you have several) or per person.",
    )
    async def answer_survey(
        self,
        info: strawberry.Info,
        survey_id: relay.GlobalID,
        answers: list[int],
        unit_id: relay.GlobalID | None = None,
    ) -> bool:
        ctx = info.context
        await surveys.answer_survey(
            ctx.session,
            survey=await _survey(info, survey_id),
            answers=answers,
            account_id=ctx.actor.account_id,
            unit_id=decode_id(unit_id, "Unit") if unit_id is not None else None,
            actor=ctx.actor.label,
        )
        return True
