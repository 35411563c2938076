"""The notice plugin's inputs, validated with pydantic before anything is written.

The service parses its arguments through these models with :func:`kernel.sdk.inputs.parse_input`,
so a bad value answers BAD_USER_INPUT naming the GraphQL field (``title``, ``body``,
``displayDays``, ...). Whether the target place exists is the service's (it needs the database).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from plugins.notices.models import CATEGORIES

MAX_TITLE = 200
MAX_BODY = 20_000
DEFAULT_DISPLAY_DAYS = 7
MAX_DISPLAY_DAYS = 365


class NewNotice(BaseModel):
    """``createNotice``: the text, its category, and whether (and how long) it is a public
    disclosure (公示). A disclosure without ``display_days`` is shown for 7 days."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str
    category: str = "general"
    public_disclosure: bool = False
    display_days: int | None = Field(default=None, validate_default=True)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        title = str(value or "").strip()
        if not title or len(title) > MAX_TITLE:
            raise ValueError(f"a notice needs a title of 1–{MAX_TITLE} characters")
        return title

    @field_validator("body", mode="before")
    @classmethod
    def _body(cls, value: object) -> str:
        body = str(value or "").strip()
        if not body or len(body) > MAX_BODY:
            raise ValueError(f"a notice needs a body of 1–{MAX_BODY} characters")
        return body

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"category is one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("display_days")
    @classmethod
    def _display_period(cls, value: int | None, info: ValidationInfo) -> int | None:
        if not info.data.get("public_disclosure"):
            if value is not None:
                raise ValueError("displayDays applies only to a public disclosure (公示)")
            return None
        days = DEFAULT_DISPLAY_DAYS if value is None else value
        if not 1 <= days <= MAX_DISPLAY_DAYS:
            raise ValueError(f"a disclosure is displayed for 1–{MAX_DISPLAY_DAYS} days")
        return days
