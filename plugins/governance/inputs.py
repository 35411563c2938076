"""The governance plugin's mutation inputs, validated with pydantic before anything is written
(:func:`kernel.sdk.inputs.parse_input` turns the first error into BAD_USER_INPUT naming the field).

``draftProposal`` takes a :class:`DraftProposal`; ``updateDraftProposal`` takes a
:class:`DraftChanges` (only the fields given change), and the draft it would produce is validated as
a :class:`DraftProposal` again, so an edit obeys the same rules as a new draft. Whether the voting
window still lies ahead needs the clock: :func:`check_voting_window` (drafting, editing, publishing)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from kernel.sdk import BadUserInput
from plugins.governance import models as m

#: Fields of a draft that ``updateDraftProposal`` may change (the community is fixed at drafting).
EDITABLE = (
    "matter",
    "title",
    "body",
    "building_ids",
    "voting_starts_at",
    "voting_ends_at",
    "objection_days",
    "estimated_cost_fen",
    "documents",
)


class DocumentIn(BaseModel):
    """A document of a proposal: a name, where it is, and the sha256 of its bytes."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str
    sha256: str

    @field_validator("name", "url", "sha256", mode="before")
    @classmethod
    def _present(cls, value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("a document has a name, a url and a sha256 of 64 hex digits")
        return text

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        digest = value.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("a document has a name, a url and a sha256 of 64 hex digits")
        return digest


class DraftProposal(BaseModel):
    """What ``draftProposal`` takes. Existence of the community and buildings is checked by the
    service (it needs the database); everything else is here."""

    model_config = ConfigDict(frozen=True)

    community_id: uuid.UUID
    matter: str
    title: str
    body: str
    building_ids: list[uuid.UUID] = []
    voting_starts_at: datetime | None = None
    voting_ends_at: datetime | None = None
    objection_days: int | None = None
    estimated_cost_fen: int | None = None
    documents: list[DocumentIn] = []

    @field_validator("matter")
    @classmethod
    def _known_matter(cls, value: str) -> str:
        if value not in m.MATTERS:
            raise ValueError(f"matter is one of {', '.join(m.MATTERS)}")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 200:
            raise ValueError("a title has 1–200 characters")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 50_000:
            raise ValueError("a body has 1–50000 characters")
        return value

    @field_validator("building_ids")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        return sorted(set(value), key=str)

    @field_validator("voting_starts_at", "voting_ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("times carry a time zone (UTC)")
        return value

    @field_validator("voting_ends_at")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("voting_starts_at")
        if value is not None and start is not None and value <= start:
            raise ValueError("voting ends after it starts")
        return value

    @field_validator("objection_days")
    @classmethod
    def _objection_period(cls, value: int | None) -> int | None:
        if value is not None and not (1 <= value <= 60):
            raise ValueError("the objection period is 1–60 days")
        return value

    @field_validator("estimated_cost_fen")
    @classmethod
    def _cost(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("a cost is a non-negative number of fen")
        return value


class DraftChanges(BaseModel):
    """What ``updateDraftProposal`` takes: any of :data:`EDITABLE`; a field not given stays as it
    is, ``null`` clears an optional one (the voting window, the estimated cost). The merged draft is
    then checked as a :class:`DraftProposal`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matter: str | None = None
    title: str | None = None
    body: str | None = None
    building_ids: list[uuid.UUID] | None = None
    voting_starts_at: datetime | None = None
    voting_ends_at: datetime | None = None
    objection_days: int | None = None
    estimated_cost_fen: int | None = None
    documents: list[DocumentIn] | None = None

    @field_validator(
        "matter", "title", "body", "building_ids", "objection_days", "documents", mode="before"
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("this field cannot be cleared; leave it out to keep it")
        return value

    def merged_into(self, current: dict[str, object]) -> dict[str, object]:
        """``current`` (a draft's fields) with the given changes applied."""
        return {**current, **{k: getattr(self, k) for k in self.model_fields_set}}


def check_voting_window(
    starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> None:
    """BAD_USER_INPUT when the voting window is already over at ``now`` (it would be refused on
    opening; say so while the draft can still be fixed). A start in the past is fine: voting then
    opens as soon as the committee opens it."""
    if ends_at is not None and ends_at <= now:
        raise BadUserInput(
            f"the voting window ends {ends_at.isoformat()}, which is already past; set a later votingEndsAt",
            field="votingEndsAt",
        )
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise BadUserInput("voting ends after it starts", field="votingEndsAt")
