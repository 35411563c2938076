"""The data catalogue: what a column holds, declared where the column is declared.

A column carries its class in SQLAlchemy's ``Column.info`` under :data:`KEY`::

    password_hash: Mapped[str] = mapped_column(String(200), info=secret("argon2id hash"))
    choice: Mapped[str] = mapped_column(String(8), info=withheld("how an owner voted"))
    phone_enc: Mapped[str] = mapped_column(String(200), info=personal("contact", "important"))

* :func:`secret` — credentials and key material (password and token hashes, TOTP secrets, private
  keys, webhook signing secrets). They never leave the platform: not in a tenant export, not in a
  log, not in a GraphQL type.
* :func:`withheld` — data the platform holds for a person but the firm may not see linked to that
  person (an owner's vote choice: the chain and the owner hold it). Not in a tenant export.
* :func:`personal` — personal information under PIPL, with a category and a level (general,
  important, core). Masking, exports, erasure and retention read these classes.

Consumers ask :func:`classify` and never look at column names. The tenant export
(``tenants/export.py``) leaves secret and withheld columns out and lists which it left out in its
manifest; ``tests/test_data_catalogue.py`` fails when a credential-shaped column is unclassified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

KEY = "linli.data"

Category = Literal[
    "identity",
    "contact",
    "property",
    "biometric_reference",
    "health",
    "location",
    "financial",
    "behaviour",
]
Level = Literal["general", "important", "core"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
LEVELS: tuple[str, ...] = Level.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Secret:
    """Credentials or key material: never exported, never logged, never served."""

    reason: str


@dataclass(frozen=True)
class Withheld:
    """Held for a person, not for the firm's eyes linked to that person: never in a tenant export."""

    reason: str


@dataclass(frozen=True)
class Personal:
    """Personal information (PIPL) of a category at a level."""

    category: str
    level: str = "general"

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(
                f"unknown personal-data category {self.category!r}; one of {', '.join(CATEGORIES)}"
            )
        if self.level not in LEVELS:
            raise ValueError(
                f"unknown personal-data level {self.level!r}; one of {', '.join(LEVELS)}"
            )


DataClass = Secret | Withheld | Personal


def secret(reason: str) -> dict[str, Any]:
    """``info=`` for a credential or key column (see the module docstring)."""
    return {KEY: Secret(reason)}


def withheld(reason: str) -> dict[str, Any]:
    """``info=`` for a column the firm may not see linked to a person."""
    return {KEY: Withheld(reason)}


def personal(category: Category, level: Level = "general") -> dict[str, Any]:
    """``info=`` for a column of personal information."""
    return {KEY: Personal(category, level)}


def classify(column: Any) -> DataClass | None:
    """The class a column was declared with, or ``None`` (not personal, not secret)."""
    info = getattr(column, "info", None) or {}
    value = info.get(KEY)
    return value if isinstance(value, Secret | Withheld | Personal) else None


def leaves_platform(column: Any) -> bool:
    """Whether a column's values may be written into a tenant's export."""
    return not isinstance(classify(column), Secret | Withheld)
