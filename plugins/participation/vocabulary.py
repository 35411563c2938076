"""The participation plugin's closed vocabularies (stored strings = GraphQL words)."""

from __future__ import annotations

from enum import StrEnum

import strawberry


@strawberry.enum(
    name="DeliberationTopicStatus",
    description="Where a topic (议题) stands: open (gathering co-signatures) → due (threshold reached: "
    "the committee must answer) → converted (into an Art. 278 proposal) or answered (a reply with reasons).",
)
class TopicStatus(StrEnum):
    open = "open"
    due = "due"
    converted = "converted"
    answered = "answered"


@strawberry.enum(
    name="CoSignThresholdKind",
    description="How a community's co-signature threshold (联名) is set: a share of the owners "
    "(basis points of the Art. 278 owner headcount) or a fixed number of owners.",
)
class ThresholdKind(StrEnum):
    share = "share"
    count = "count"


@strawberry.enum(name="SurveyKind", description="What a survey asks about.")
class SurveyKind(StrEnum):
    satisfaction = "satisfaction"
    property_service = "property_service"
    other = "other"


@strawberry.enum(
    name="SurveyAnswerPer",
    description="Who answers once: one answer per household (unit) or per person of the register.",
)
class AnswerPer(StrEnum):
    household = "household"
    person = "person"


@strawberry.enum(name="SurveyStatus", description="draft → open → closed.")
class SurveyStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
