"""Participation tables: the community's settings, deliberation topics (议题) with their
co-signatures (联名) and comments, surveys and their anonymous responses.

Who co-signed is personal (which owner supports what): the person key is classified; survey
answers are ``withheld`` (never exported linked to anyone) and the respondent is only a salted
hash of the household or person, kept to enforce one answer each."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import personal, withheld


class ParticipationSettings(TenantRecord, Base):
    """A community's rules of deliberation: the co-signature threshold (a share of the owners in
    basis points, or a fixed number) and how many days the owners' committee has to answer."""

    __tablename__ = "part_settings"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "community_id"),
        CheckConstraint("threshold_value >= 1", name="threshold_positive"),
        CheckConstraint("answer_within_days BETWEEN 1 AND 90", name="answer_days_range"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    threshold_kind: Mapped[str] = mapped_column(String(8), default="share")
    #: ``share``: basis points of the owner headcount (500 = 5 %); ``count``: owners.
    threshold_value: Mapped[int] = mapped_column(default=500)
    answer_within_days: Mapped[int] = mapped_column(default=15)
    updated_by: Mapped[str] = mapped_column(String(80), default="system")


class DeliberationTopic(TenantRecord, Base):
    """A topic (议题) an owner opened in the deliberation hall (议事厅).

    ``open`` gathers co-signatures; at ``threshold`` it becomes ``due`` and the committee must
    answer by ``answer_due_at``: ``converted`` (linked to a governance proposal by id) or
    ``answered`` (a reply with reasons). Both answers are disclosed on the 公示 board."""

    __tablename__ = "part_topics"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        Index("ix_part_topics_status_due", "tenant_id", "status", "answer_due_at"),
        CheckConstraint("threshold >= 1", name="threshold_positive"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: The opener's login (shown masked as "an owner"; the register person is in the co-signatures).
    opened_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        default=None, info=personal("identity")
    )
    #: Co-signatures needed, fixed when the topic was opened (the community's rule then).
    threshold: Mapped[int]
    co_signatures: Mapped[int] = mapped_column(default=0)
    answer_within_days: Mapped[int]
    threshold_reached_at: Mapped[datetime | None] = mapped_column(default=None)
    answer_due_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_by: Mapped[str | None] = mapped_column(String(80), default=None)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    #: The governance proposal it was converted into (its id; the link back is the event
    #: ``participation.topic_converted`` and the query ``deliberationTopicOfProposal``).
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(default=None)


class TopicCoSignature(TenantRecord, Base):
    """One co-signature: one per owner (Art. 278 person key: co-owners of a unit count as one
    person; a buyer of several units once), whichever of their logins signs."""

    __tablename__ = "part_co_signatures"
    __table_args__ = (
        tenant_fk("topic_id", "part_topics"),
        UniqueConstraint("tenant_id", "topic_id", "person_key"),
    )

    topic_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_key: Mapped[str] = mapped_column(String(400), info=personal("property"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, info=personal("identity"))
    signed_at: Mapped[datetime]


class TopicComment(TenantRecord, Base):
    """A comment on a topic. The committee may hide it (never delete it): the reason is kept and
    told to the author."""

    __tablename__ = "part_comments"
    __table_args__ = (tenant_fk("topic_id", "part_topics"),)

    topic_id: Mapped[uuid.UUID] = mapped_column(index=True)
    author_account_id: Mapped[uuid.UUID | None] = mapped_column(
        default=None, info=personal("identity")
    )
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    hidden_at: Mapped[datetime | None] = mapped_column(default=None)
    hidden_by: Mapped[str | None] = mapped_column(String(80), default=None)
    hidden_reason: Mapped[str | None] = mapped_column(String(300), default=None)


class Survey(TenantRecord, Base):
    """A survey of a community (satisfaction 满意度, property service, other): rating questions
    (1–5), answered once per household or per person, results only in groups of ≥ 5 answers."""

    __tablename__ = "part_surveys"
    __table_args__ = (tenant_fk("community_id", "communities"),)

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    answer_per: Mapped[str] = mapped_column(String(10))
    questions: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(80), default="system")


class SurveyResponse(TenantRecord, Base):
    """One anonymous answer: ``respondent_hash`` (the survey's salt and the unit or person) only
    enforces one answer each; ``building_id`` is the group results are shown by."""

    __tablename__ = "part_survey_responses"
    __table_args__ = (
        tenant_fk("survey_id", "part_surveys"),
        UniqueConstraint("tenant_id", "survey_id", "respondent_hash"),
    )

    survey_id: Mapped[uuid.UUID] = mapped_column(index=True)
    respondent_hash: Mapped[str] = mapped_column(String(64))
    building_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    answers: Mapped[list[int]] = mapped_column(
        JSON, info=withheld("an anonymous survey answer: never exported linked to a person")
    )
    answered_at: Mapped[datetime]


__all__ = [
    "DeliberationTopic",
    "ParticipationSettings",
    "Survey",
    "SurveyResponse",
    "TopicCoSignature",
    "TopicComment",
]
