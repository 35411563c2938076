"""The participation plugin's query root; which rows a caller sees is decided in
:mod:`plugins.participation.repository`."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import NotFound, estate
from kernel.sdk.graphql import IsRegulator, decode_id
from kernel.sdk.regulator import read_across_tenants, regulator_streets
from kernel.sdk.repository import Viewer
from plugins.participation import models as m
from plugins.participation import surveys
from plugins.participation.owners import owner_headcount, owner_holdings, threshold_of
from plugins.participation.permissions import MANAGE_SURVEYS, READ, READ_ALL, RESPOND, Allowed
from plugins.participation.repository import (
    CommentRepository,
    SurveyRepository,
    TopicRepository,
    cosigned,
    readable_community,
)
from plugins.participation.topics import settings_of
from plugins.participation.types import (
    Comment,
    DeliberationTopic,
    Settings,
    StreetSatisfaction,
    Survey,
    SurveyGroupResult,
    SurveyResults,
)
from plugins.participation.vocabulary import SurveyKind, SurveyStatus, TopicStatus

#: Surveys the street office reads (in aggregate): satisfaction with the property service.
STREET_KINDS = ("satisfaction", "property_service")


async def signed_topics(info: strawberry.Info, rows: list[m.DeliberationTopic]) -> set[uuid.UUID]:
    """The topics among ``rows`` the caller's owner keys have co-signed."""
    ctx = info.context
    if not rows or ctx.actor.account_id is None:
        return set()
    keys: set[str] = set()
    for community_id in {r.community_id for r in rows}:
        keys |= set(await owner_holdings(ctx.session, ctx.actor.account_id, community_id))
    return await cosigned(ctx.session, [r.id for r in rows], keys)


async def topic_nodes(
    info: strawberry.Info, rows: list[m.DeliberationTopic]
) -> list[DeliberationTopic]:
    signed = await signed_topics(info, rows)
    me = info.context.actor.account_id
    return [DeliberationTopic.from_row(r, me=me, signed=r.id in signed) for r in rows]


async def require_readable_community(info: strawberry.Info, community_id: uuid.UUID) -> None:
    await readable_community(info.context.session, Viewer.of(info.context), community_id)


@strawberry.type
class ParticipationQuery:
    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="A community's deliberation rules and the co-signatures a topic opened now needs.",
    )
    async def participation_settings(
        self, info: strawberry.Info, community_id: relay.GlobalID
    ) -> Settings:
        ctx = info.context
        cid = decode_id(community_id, "Community")
        if not await estate.community_names(ctx.session, ids=[cid]):
            raise NotFound("no community with this id", field="communityId")
        await require_readable_community(info, cid)
        row = await settings_of(ctx.session, cid)
        owners = await owner_headcount(ctx.session, cid)
        return Settings.from_row(
            row, owners, threshold_of(row.threshold_kind, row.threshold_value, owners)
        )

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="Topics of the deliberation hall, newest first (one's own communities; all for the committee and staff).",
    )
    async def deliberation_topics(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        status: TopicStatus | None = None,
    ) -> list[DeliberationTopic]:
        ctx = info.context
        rows = await TopicRepository(ctx.session).listed(
            Viewer.of(ctx),
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            status=status.value if status is not None else None,
        )
        return await topic_nodes(info, rows)

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="One topic (null when unknown or not readable).",
    )
    async def deliberation_topic(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> DeliberationTopic | None:
        ctx = info.context
        row = await TopicRepository(ctx.session).get_by_id(
            decode_id(id, "DeliberationTopic"), actor=Viewer.of(ctx)
        )
        return (await topic_nodes(info, [row]))[0] if row is not None else None

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="The topic a governance proposal answers (the link back of a conversion), if any.",
    )
    async def deliberation_topic_of_proposal(
        self, info: strawberry.Info, proposal_id: relay.GlobalID
    ) -> DeliberationTopic | None:
        ctx = info.context
        stmt = TopicRepository(ctx.session).readable_statement(Viewer.of(ctx))
        row = await ctx.session.scalar(
            stmt.where(m.DeliberationTopic.proposal_id == decode_id(proposal_id, "Proposal"))
        )
        return (await topic_nodes(info, [row]))[0] if row is not None else None

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="A topic's comments, oldest first; hidden ones show the reason (the text only to the committee and the author).",
    )
    async def deliberation_comments(
        self, info: strawberry.Info, topic_id: relay.GlobalID
    ) -> list[Comment]:
        ctx = info.context
        viewer = Viewer.of(ctx)
        tid = decode_id(topic_id, "DeliberationTopic")
        if await TopicRepository(ctx.session).get_by_id(tid, actor=viewer) is None:
            raise NotFound("no topic with this id", field="topicId")
        moderator = ctx.allowed(*RESPOND)
        return [
            Comment.from_row(r, me=ctx.actor.account_id, moderator=moderator)
            for r in await CommentRepository(ctx.session).of_topic(viewer, tid)
        ]

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="Surveys of one's communities (drafts only for their organisers).",
    )
    async def surveys(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[Survey]:
        ctx = info.context
        rows = await SurveyRepository(ctx.session).listed(
            Viewer.of(ctx),
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
        )
        return [Survey.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, READ_ALL)],
        description="A survey's results in groups (community, each building); a group under 5 answers is suppressed. Before closing, only the organisers see them.",
    )
    async def survey_results(
        self, info: strawberry.Info, survey_id: relay.GlobalID
    ) -> SurveyResults:
        ctx = info.context
        row = await SurveyRepository(ctx.session).get_by_id(
            decode_id(survey_id, "Survey"), actor=Viewer.of(ctx)
        )
        if row is None:
            raise NotFound("no survey with this id", field="surveyId")
        if row.status != "closed" and not ctx.allowed(*MANAGE_SURVEYS):
            raise NotFound("this survey's results are published when it closes", field="surveyId")
        groups = await surveys.results(ctx.session, row)
        return SurveyResults(
            survey=Survey.from_row(row), groups=[SurveyGroupResult.of(g) for g in groups]
        )

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: satisfaction and property-service surveys of every community of the street, per firm — aggregates only, suppressed under 5 answers; audited in each firm.",
    )
    async def participation_street_satisfaction(
        self, info: strawberry.Info
    ) -> list[StreetSatisfaction]:
        actor = info.context.actor
        street = actor.regulator_street
        streets = await regulator_streets(info.context.runtime, street)

        async def read(session: Any, tenant: Any) -> list[StreetSatisfaction]:
            communities = await estate.community_names(session, street_codes=streets)
            if not communities:
                return []
            rows = await SurveyRepository(session).published_of_kinds(
                list(communities), STREET_KINDS
            )
            out = []
            for survey in rows:
                whole = (await surveys.results(session, survey))[0]
                out.append(
                    StreetSatisfaction(
                        firm=tenant.name,
                        community=communities[survey.community_id],
                        survey=survey.title,
                        kind=SurveyKind(survey.kind),
                        status=SurveyStatus(survey.status),
                        answers=whole.answers,
                        suppressed=whole.suppressed,
                        mean=whole.mean,
                        closed_at=survey.closed_at,
                    )
                )
            return out

        return await read_across_tenants(  # type: ignore[no-any-return]
            info.context.runtime,
            regulator=actor.label,
            street_code=street,
            action="regulator.read_participation_satisfaction",
            read=read,
            plugin="participation",
        )
