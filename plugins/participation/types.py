"""The participation plugin's GraphQL types. A topic never names its opener or signers (counts
only); a hidden comment shows its text only to the committee and its author; survey results are
aggregates, suppressed below five answers."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import utcnow
from plugins.participation import models as m
from plugins.participation.surveys import GroupResult
from plugins.participation.vocabulary import (
    AnswerPer,
    SurveyKind,
    SurveyStatus,
    ThresholdKind,
    TopicStatus,
)


def gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


@strawberry.type(
    name="ParticipationSettings",
    description="A community's deliberation rules: the co-signature threshold and the committee's answer period.",
)
class Settings:
    community_id: strawberry.ID
    threshold_kind: ThresholdKind
    threshold_value: int = strawberry.field(
        description="share: basis points of the owner headcount (500 = 5 %); count: owners"
    )
    answer_within_days: int
    owners: int = strawberry.field(description="the community's owners (Art. 278 persons) now")
    threshold_now: int = strawberry.field(description="co-signatures a topic opened now needs")

    @classmethod
    def from_row(cls, r: m.ParticipationSettings, owners: int, threshold_now: int) -> Settings:
        return cls(
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            threshold_kind=ThresholdKind(r.threshold_kind),
            threshold_value=r.threshold_value,
            answer_within_days=r.answer_within_days,
            owners=owners,
            threshold_now=threshold_now,
        )


@strawberry.type(description="A topic (议题) of the deliberation hall (议事厅).")
class DeliberationTopic:
    id: strawberry.ID
    community_id: strawberry.ID
    title: str
    body: str
    status: TopicStatus
    threshold: int
    co_signatures: int
    answer_within_days: int
    threshold_reached_at: datetime | None
    answer_due_at: datetime | None
    overdue: bool = strawberry.field(description="due, and the answer date has passed")
    answered_at: datetime | None
    reply: str | None = strawberry.field(description="the committee's reasons (answered topics)")
    proposal_id: strawberry.ID | None = strawberry.field(
        description="the governance Proposal it was converted into"
    )
    opened_at: datetime
    opened_by_me: bool
    signed_by_me: bool = False

    @classmethod
    def from_row(
        cls,
        r: m.DeliberationTopic,
        *,
        me: uuid.UUID | None,
        signed: bool = False,
        now: datetime | None = None,
    ) -> DeliberationTopic:
        now = now or utcnow()
        return cls(
            id=gid("DeliberationTopic", r.id),  # type: ignore[arg-type]
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            title=r.title,
            body=r.body,
            status=TopicStatus(r.status),
            threshold=r.threshold,
            co_signatures=r.co_signatures,
            answer_within_days=r.answer_within_days,
            threshold_reached_at=r.threshold_reached_at,
            answer_due_at=r.answer_due_at,
            overdue=r.status == "due" and r.answer_due_at is not None and r.answer_due_at < now,
            answered_at=r.answered_at,
            reply=r.reply,
            proposal_id=gid("Proposal", r.proposal_id),
            opened_at=r.created_at,
            opened_by_me=me is not None and r.opened_by_account_id == me,
            signed_by_me=signed,
        )


@strawberry.type(
    name="DeliberationComment",
    description="A comment on a topic. Hidden comments are kept: the reason is shown to all, the text only to the committee and the author.",
)
class Comment:
    id: strawberry.ID
    topic_id: strawberry.ID
    author: str = strawberry.field(description="owner or committee (never a name)")
    mine: bool
    body: str | None
    hidden: bool
    hidden_reason: str | None
    hidden_at: datetime | None
    written_at: datetime

    @classmethod
    def from_row(cls, r: m.TopicComment, *, me: uuid.UUID | None, moderator: bool) -> Comment:
        mine = me is not None and r.author_account_id == me
        hidden = r.hidden_at is not None
        return cls(
            id=gid("DeliberationComment", r.id),  # type: ignore[arg-type]
            topic_id=gid("DeliberationTopic", r.topic_id),  # type: ignore[arg-type]
            author=r.author_role,
            mine=mine,
            body=r.body if not hidden or moderator or mine else None,
            hidden=hidden,
            hidden_reason=r.hidden_reason,
            hidden_at=r.hidden_at,
            written_at=r.created_at,
        )


@strawberry.type(
    description="A survey (满意度 and others): rating questions, 1 (worst) to 5 (best)."
)
class Survey:
    id: strawberry.ID
    community_id: strawberry.ID
    title: str
    kind: SurveyKind
    answer_per: AnswerPer
    questions: list[str]
    status: SurveyStatus
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def from_row(cls, r: m.Survey) -> Survey:
        return cls(
            id=gid("Survey", r.id),  # type: ignore[arg-type]
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            title=r.title,
            kind=SurveyKind(r.kind),
            answer_per=AnswerPer(r.answer_per),
            questions=list(r.questions),
            status=SurveyStatus(r.status),
            opened_at=r.opened_at,
            closes_at=r.closes_at,
            closed_at=r.closed_at,
        )


@strawberry.type(description="One question's figures within a group.")
class SurveyQuestionResult:
    question: str
    mean: float
    distribution: list[int] = strawberry.field(description="answers 1, 2, 3, 4, 5")


@strawberry.type(
    description="A group's results (the whole community, or one building). Fewer than 5 answers: suppressed, no figures."
)
class SurveyGroupResult:
    group: str
    answers: int
    suppressed: bool
    mean: float | None
    questions: list[SurveyQuestionResult]

    @classmethod
    def of(cls, g: GroupResult) -> SurveyGroupResult:
        return cls(
            group=g.group,
            answers=g.answers,
            suppressed=g.suppressed,
            mean=g.mean,
            questions=[
                SurveyQuestionResult(question=q.question, mean=q.mean, distribution=q.distribution)
                for q in g.questions
            ],
        )


@strawberry.type(description="A survey's results, per group.")
class SurveyResults:
    survey: Survey
    groups: list[SurveyGroupResult]


@strawberry.type(
    description="Street office: one satisfaction survey's aggregate (property firm, community), suppressed below 5 answers."
)
class StreetSatisfaction:
    firm: str
    community: str
    survey: str
    kind: SurveyKind
    status: SurveyStatus
    answers: int
    suppressed: bool
    mean: float | None
    closed_at: datetime | None
