"""The work-order plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``title``, ``photos``, ...) — for
a GraphQL mutation, an event handler and a direct call alike. What needs the database (does the
unit exist, is the photo this tenant's) is checked by the service afterwards.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plugins.workorders.vocabulary import (
    FacilityCategory,
    WorkOrderKind,
    WorkOrderPriority,
    WorkOrderSource,
    values,
)

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")
#: Where uploaded photos are served (:mod:`plugins.workorders.photos`), one folder per tenant.
PHOTO_PREFIX = "/plugins/workorders/photos"
PHOTO_URL = re.compile(r"^(https://|/plugins/workorders/photos/)[\w\-./%~:@?=&+]{1,500}$")
SOURCES = values(WorkOrderSource)


def _text(value: object, *, limit: int, message: str, required: bool = True) -> str:
    text = str(value or "").strip()
    if (required and not text) or len(text) > limit:
        raise ValueError(message)
    return text


class Photo(BaseModel):
    """A photo reference: where the bytes are, their type and size (validated, not fetched).
    Built from a dict or from any object with these attributes (GraphQL's ``PhotoInput``)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    url: str
    content_type: str
    size: int

    @field_validator("url")
    @classmethod
    def _where(cls, value: str) -> str:
        if not PHOTO_URL.match(value or ""):
            raise ValueError("a photo URL must be https:// or an uploaded photo's path")
        return value

    @field_validator("content_type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in PHOTO_TYPES:
            raise ValueError(f"photo type must be one of {', '.join(PHOTO_TYPES)}")
        return value

    @field_validator("size")
    @classmethod
    def _size(cls, value: int) -> int:
        if not (0 < value <= MAX_PHOTO_BYTES):
            raise ValueError(f"a photo has 1 byte to {MAX_PHOTO_BYTES} bytes")
        return value

    def stored(self) -> dict[str, object]:
        """The JSON the order keeps."""
        return {"url": self.url, "content_type": self.content_type, "size": self.size}


def _photo_count(value: list[Photo]) -> list[Photo]:
    if len(value) > MAX_PHOTOS:
        raise ValueError(f"at most {MAX_PHOTOS} photos per work order")
    return value


class NewWorkOrder(BaseModel):
    """What a report says (``reportWorkOrder``, or an event another plugin publishes)."""

    model_config = ConfigDict(frozen=True)

    title: str
    kind: WorkOrderKind = WorkOrderKind.repair
    source: str = "resident"
    description: str = ""
    location: str = ""
    category: FacilityCategory = FacilityCategory.other
    priority: WorkOrderPriority = WorkOrderPriority.normal
    photos: list[Photo] = Field(default_factory=list)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        return _text(
            value, limit=200, message="a work order needs a title of at most 200 characters"
        )

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if len(value) > 5000:
            raise ValueError("the description has at most 5000 characters")
        return value

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if len(value) > 200:
            raise ValueError("the location has at most 200 characters")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"source is one of {', '.join(SOURCES)}")
        return value

    _photos = field_validator("photos")(_photo_count)


class Assessment(BaseModel):
    """``assessWorkOrder``: category, priority and (optionally) a corrected kind."""

    model_config = ConfigDict(frozen=True)

    category: FacilityCategory
    priority: WorkOrderPriority
    kind: WorkOrderKind | None = None


class Resolution(BaseModel):
    """``resolveWorkOrder``: what was done, with photos of the result."""

    model_config = ConfigDict(frozen=True)

    resolution: str
    photos: list[Photo] = Field(default_factory=list)

    @field_validator("resolution", mode="before")
    @classmethod
    def _said(cls, value: object) -> str:
        return _text(value, limit=5000, message="say what was done (1–5000 characters)")

    _photos = field_validator("photos")(_photo_count)


class Reason(BaseModel):
    """Why an order is reopened or cancelled (required, kept in its history)."""

    model_config = ConfigDict(frozen=True)

    reason: str

    @field_validator("reason", mode="before")
    @classmethod
    def _said(cls, value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("say why: a reason is required")
        return text


class Rating(BaseModel):
    """``rateWorkOrder``: 1–5 stars and an optional comment."""

    model_config = ConfigDict(frozen=True)

    rating: int
    feedback: str = ""

    @field_validator("rating")
    @classmethod
    def _stars(cls, value: int) -> int:
        if not (1 <= value <= 5):
            raise ValueError("a rating is 1 to 5 stars")
        return value

    @field_validator("feedback")
    @classmethod
    def _feedback(cls, value: str) -> str:
        if len(value) > 2000:
            raise ValueError("feedback has at most 2000 characters")
        return value


class TechnicianProfile(BaseModel):
    """``upsertTechnician``: a name and the categories the technician can handle."""

    model_config = ConfigDict(frozen=True)

    name: str
    skills: list[FacilityCategory]
    active: bool = True

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return _text(
            value, limit=100, message="a technician needs a name of at most 100 characters"
        )

    @field_validator("skills", mode="before")
    @classmethod
    def _some_known(cls, value: object) -> object:
        if not value:
            raise ValueError("a technician needs at least one skill")
        known = values(FacilityCategory)
        for skill in value if isinstance(value, list | tuple) else [value]:
            if str(getattr(skill, "value", skill)) not in known:
                raise ValueError(f"skills is one of {', '.join(known)}")
        return value
