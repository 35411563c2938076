"""Mutation inputs as pydantic models (``kernel.sdk.inputs.parse_input``): bounds and
normalisation, errors as BAD_USER_INPUT naming the GraphQL field."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from plugins.participation.vocabulary import AnswerPer, SurveyKind, ThresholdKind

MAX_BASIS_POINTS = 10_000
MAX_QUESTIONS = 20


def _stripped(value: str) -> str:
    return (value or "").strip()


class NewTopic(BaseModel):
    title: str = Field(min_length=4, max_length=120)
    body: str = Field(min_length=10, max_length=5000)

    @field_validator("title", "body", mode="before")
    @classmethod
    def strip_text(cls, value: str) -> str:
        return _stripped(value)


class Reply(BaseModel):
    """The committee's answer with reasons (公示 in full)."""

    reply: str = Field(min_length=10, max_length=5000)

    @field_validator("reply", mode="before")
    @classmethod
    def strip_text(cls, value: str) -> str:
        return _stripped(value)


class NewComment(BaseModel):
    body: str = Field(min_length=1, max_length=2000)

    @field_validator("body", mode="before")
    @classmethod
    def strip_text(cls, value: str) -> str:
        return _stripped(value)


class HideReason(BaseModel):
    """Why the committee hides a comment: told to the author, kept with the comment."""

    reason: str = Field(min_length=2, max_length=300)

    @field_validator("reason", mode="before")
    @classmethod
    def strip_text(cls, value: str) -> str:
        return _stripped(value)


class Settings(BaseModel):
    threshold_kind: ThresholdKind
    threshold_value: int = Field(ge=1)
    answer_within_days: int = Field(ge=1, le=90)

    @field_validator("threshold_value")
    @classmethod
    def check_threshold(cls, value: int, info: ValidationInfo) -> int:
        """Bounds by kind; the error names ``thresholdValue`` (a model-level check would name no field)."""
        kind = info.data.get("threshold_kind")
        if kind == ThresholdKind.share and value > MAX_BASIS_POINTS:
            raise ValueError("a share is given in basis points, 1–10000 (500 = 5 %)")
        if kind == ThresholdKind.count and value > 100_000:
            raise ValueError("a fixed number of owners is at most 100000")
        return value


class NewSurvey(BaseModel):
    title: str = Field(min_length=2, max_length=120)
    kind: SurveyKind
    answer_per: AnswerPer
    questions: list[str] = Field(min_length=1, max_length=MAX_QUESTIONS)
    closes_at: datetime | None = None

    @field_validator("title", mode="before")
    @classmethod
    def strip_text(cls, value: str) -> str:
        return _stripped(value)

    @field_validator("questions")
    @classmethod
    def check_questions(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip() for q in value]
        if any(not 2 <= len(q) <= 200 for q in cleaned):
            raise ValueError("each question has 2–200 characters")
        return cleaned

    @field_validator("closes_at")
    @classmethod
    def check_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the closing time with a time zone")
        return value
