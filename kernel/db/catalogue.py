"""The data catalogue: what a column holds, declared where the column is declared.

A column carries its class in SQLAlchemy's ``Column.info`` under :data:`KEY`::

    password_hash: Mapped[str] = mapped_column(String(200), info=secret("argon2id hash"))
    choice: Mapped[str] = mapped_column(String(8), info=withheld("how an owner voted"))
    phone_enc: Mapped[str] = mapped_column(String(200), info=personal("contact", "important", encrypted=True))

* :func:`secret` — credentials and key material (password and token hashes, TOTP secrets, private
  keys, webhook signing secrets). They never leave the platform: not in a tenant export, not in a
  log, not in a GraphQL type.
* :func:`withheld` — data the platform holds for a person but the firm may not see linked to that
  person (an owner's vote choice: the chain and the owner hold it). Not in a tenant export.
* :func:`personal` — personal information under PIPL, with a category and a level (general,
  important, core). Masking, exports, erasure and retention read these classes.

A column of personal data the law requires to keep carries a legal hold: ``personal("property",
hold="Art. 278 counting")`` — erasure keeps its value. A whole table is declared under a legal hold
in its ``__table_args__`` info (``{"info": legal_hold("the owner register: Art. 278 counting")}``):
erasure keeps its rows and pseudonymises their personal columns. A table whose rows expire declares
``retained(category, after="created_at")``: the retention job (``tenants/retention.py``) deletes
(or, ``action="pseudonymise"``, strips) its rows once the category's retention period has passed.
:func:`legal_hold_of` and :func:`retention_of` read these back.

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
    #: Values are vault ciphertexts (:mod:`kernel.crypto`): the key-rotation job re-encrypts them.
    encrypted: bool = False


@dataclass(frozen=True)
class Withheld:
    """Held for a person, not for the firm's eyes linked to that person: never in a tenant export."""

    reason: str


@dataclass(frozen=True)
class Personal:
    """Personal information (PIPL) of a category at a level."""

    category: str
    level: str = "general"
    #: Why the law requires to keep this value (erasure keeps it); ``None``: erasable.
    hold: str | None = None
    #: Values are vault ciphertexts (:mod:`kernel.crypto`): the key-rotation job re-encrypts them.
    encrypted: bool = False

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


@dataclass(frozen=True)
class LegalHold:
    """A table the law requires to keep: erasure pseudonymises its rows instead of deleting them."""

    reason: str


@dataclass(frozen=True)
class Retained:
    """A table whose rows are personal data of ``category`` that expire: ``after`` names the
    timestamp column they are measured from; ``action`` is ``delete`` or ``pseudonymise``."""

    category: str
    after: str = "created_at"
    action: str = "delete"

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown personal-data category {self.category!r}; one of {', '.join(CATEGORIES)}")
        if self.action not in ("delete", "pseudonymise"):
            raise ValueError(f"unknown retention action {self.action!r}; delete or pseudonymise")


HOLD_KEY = "linli.legal_hold"
FIRM_RECORD_KEY = "linli.firm_record"
RETENTION_KEY = "linli.retention"


def secret(reason: str, *, encrypted: bool = False) -> dict[str, Any]:
    """``info=`` for a credential or key column (see the module docstring); ``encrypted``: its values
    are vault ciphertexts (``runtime.vault.encrypt``), re-encrypted when the tenant's key rotates."""
    return {KEY: Secret(reason, encrypted)}


def withheld(reason: str) -> dict[str, Any]:
    """``info=`` for a column the firm may not see linked to a person."""
    return {KEY: Withheld(reason)}


def personal(
    category: Category, level: Level = "general", *, hold: str | None = None, encrypted: bool = False
) -> dict[str, Any]:
    """``info=`` for a column of personal information; ``hold`` (a reason) keeps it at erasure;
    ``encrypted``: its values are vault ciphertexts, re-encrypted when the tenant's key rotates."""
    return {KEY: Personal(category, level, hold, encrypted)}


def legal_hold(reason: str) -> dict[str, Any]:
    """Table ``info`` for a table the law requires to keep (``__table_args__ = (..., {"info": ...})``)."""
    return {HOLD_KEY: LegalHold(reason)}


def retained(category: Category, *, after: str = "created_at", action: Literal["delete", "pseudonymise"] = "delete") -> dict[str, Any]:
    """Table ``info`` for a table whose rows expire after the retention period of ``category``."""
    return {RETENTION_KEY: Retained(category, after, action)}


def legal_hold_of(item: Any) -> str | None:
    """Why a table (all its rows) or a column must be kept at erasure, or ``None``."""
    info = getattr(item, "info", None) or {}
    hold = info.get(HOLD_KEY)
    if isinstance(hold, LegalHold):
        return hold.reason
    value = info.get(KEY)
    return value.hold if isinstance(value, Personal) else None


@dataclass(frozen=True)
class FirmRecord:
    """A table of the firm's own records that name the staff member who did the work in
    ``columns`` (an inspection round's inspector, a care service's provider): when that staff
    member is erased, such rows are kept — the id stays, their login and register person are
    pseudonymised — rather than deleted with them."""

    reason: str
    columns: tuple[str, ...]


def firm_record(reason: str, *columns: str) -> dict[str, Any]:
    """Table ``info`` for a firm record: erasing the staff member named in ``columns`` keeps the
    rows (see :class:`FirmRecord`); a person the row is about is erased as before."""
    if not columns:
        raise ValueError("name the columns that hold the staff member")
    return {FIRM_RECORD_KEY: FirmRecord(reason, tuple(columns))}


def firm_record_of(table: Any) -> FirmRecord | None:
    """The firm-record declaration of a table, or ``None``."""
    value = (getattr(table, "info", None) or {}).get(FIRM_RECORD_KEY)
    return value if isinstance(value, FirmRecord) else None


def retention_of(table: Any) -> Retained | None:
    """The retention declaration of a table, or ``None`` (its rows do not expire by age)."""
    value = (getattr(table, "info", None) or {}).get(RETENTION_KEY)
    return value if isinstance(value, Retained) else None


def classify(column: Any) -> DataClass | None:
    """The class a column was declared with, or ``None`` (not personal, not secret)."""
    info = getattr(column, "info", None) or {}
    value = info.get(KEY)
    return value if isinstance(value, Secret | Withheld | Personal) else None


def is_encrypted(column: Any) -> bool:
    """Whether a column was declared to hold vault ciphertexts (``personal(..., encrypted=True)``)."""
    value = classify(column)
    return isinstance(value, Secret | Personal) and value.encrypted


def leaves_platform(column: Any) -> bool:
    """Whether a column's values may be written into a tenant's export."""
    return not isinstance(classify(column), Secret | Withheld)
