"""Who read whose personal data (PIPL Art. 45/47, 审计溯源): reads of personal fields through
GraphQL are recorded by a strawberry field extension, not by each resolver.

A field is *personal* when its type was declared with :func:`personal_fields` (derived from the
data catalogue: every field named like a column the model classifies ``personal(...)`` — ``phone``
for ``phone_enc`` — records a read of that column's category) or when it carries the explicit
marker :func:`personal_read`. The extension notes (reader, subject person, category) in the
request's context when the field answers a value; at the end of the operation one row per
reader × subject × category is written: by :class:`RecordPersonalReads` in the request's
transaction, or — when the operation failed and was rolled back — by
:class:`RecordReadsOfFailedRequests` in a transaction of its own (a value already served was read;
when an error nulled the whole answer nothing was served, and nothing is recorded). A person reading their own data is not recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, mapped_column
from strawberry.extensions import FieldExtension, SchemaExtension

from kernel.db.base import Base, TenantRecord
from kernel.db.catalogue import CATEGORIES, Personal, classify

#: The request context's attribute holding the reads noted so far.
NOTED = "personal_reads"


class PersonalDataRead(TenantRecord, Base):
    """A reader saw personal data of one category about a person, once per request."""

    __tablename__ = "personal_data_reads"
    __table_args__ = (Index("ix_personal_data_reads_person", "tenant_id", "person_id", "created_at"),)

    #: The register person the data is about (``persons.id``; no foreign key, as consents).
    person_id: Mapped[uuid.UUID] = mapped_column()
    #: The reader's login (null for an API key).
    reader_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    #: ``account:<id>`` or ``api_key:<id>``.
    reader: Mapped[str] = mapped_column(String(100))
    #: The data catalogue's category read (``contact``, ``health``…).
    category: Mapped[str] = mapped_column(String(32))
    #: The GraphQL operation's name, if it had one.
    operation: Mapped[str | None] = mapped_column(String(100), default=None)


def _subject(source: Any, attribute: str) -> uuid.UUID | None:
    value = getattr(source, attribute, None)
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class PersonalRead(FieldExtension):
    """Records a read of a personal field (see the module docstring). ``subject`` names the
    attribute of the parent object holding the person's id (a UUID or its text)."""

    def __init__(self, category: str, *, subject: str = "person_id") -> None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown personal-data category {category!r}; one of {', '.join(CATEGORIES)}")
        self.category, self.subject = category, subject

    def _note(self, source: Any, info: Any, value: Any) -> None:
        if value is None or value == "" or value == []:
            return
        person = _subject(source, self.subject)
        ctx = info.context
        actor = getattr(ctx, "actor", None)
        if person is None or actor is None or getattr(ctx, "tenant", None) is None:
            return
        noted = getattr(ctx, NOTED, None)
        if noted is None:
            noted = set()
            setattr(ctx, NOTED, noted)
        reader = f"api_key:{ctx.api_key_id}" if actor.kind == "api_key" and getattr(ctx, "api_key_id", None) else actor.label
        noted.add((reader, actor.account_id, person, self.category))

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        value = next_(source, info, **kwargs)
        self._note(source, info, value)
        return value

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any) -> Any:
        value = await next_(source, info, **kwargs)
        self._note(source, info, value)
        return value


def personal_read(category: str, *, subject: str = "person_id") -> PersonalRead:
    """The explicit marker: ``strawberry.field(extensions=[personal_read("health")])`` records
    every read of the field's value as a read of ``category`` about the person whose id the
    parent object holds in ``subject``."""
    return PersonalRead(category, subject=subject)


def personal_fields(model: type, *, subject: str = "person_id") -> Callable[[type], type]:
    """Class decorator for a strawberry type showing rows of ``model`` (put it above
    ``@strawberry.type``): every field named like a column ``model`` classifies ``personal``
    (``phone`` for ``phone_enc``) records its reads under that column's category."""
    table = model.__table__  # type: ignore[attr-defined]

    def wrap(cls: type) -> type:
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            column = table.c.get(field.python_name) if field.python_name in table.c else table.c.get(f"{field.python_name}_enc")
            found = classify(column) if column is not None else None
            if isinstance(found, Personal) and not any(isinstance(e, PersonalRead) for e in field.extensions):
                field.extensions.append(PersonalRead(found.category, subject=subject))
        return cls

    return wrap


async def _own_persons(session: Any, account_ids: set[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    from kernel.notifications.contacts import mapped_model

    person = mapped_model("persons")
    if person is None or not account_ids:
        return set()
    rows = await session.execute(select(person.account_id, person.id).where(person.account_id.in_(account_ids)))  # type: ignore[attr-defined]
    return {(a, p) for a, p in rows}


async def record_reads(session: Any, noted: set[tuple[str, uuid.UUID | None, uuid.UUID, str]], operation: str | None) -> int:
    """Write the noted reads (one row each), leaving out a person's reads of their own data."""
    own = await _own_persons(session, {a for _, a, _, _ in noted if a is not None})
    rows = [
        PersonalDataRead(person_id=person, reader_account_id=account, reader=reader[:100], category=category, operation=(operation or None) and operation[:100])
        for reader, account, person, category in sorted(noted, key=str)
        if account is None or (account, person) not in own
    ]
    session.add_all(rows)
    await session.flush()
    return len(rows)


def _failed(ec: Any) -> bool:
    return ec.result is not None and bool(getattr(ec.result, "errors", None))


class RecordPersonalReads(SchemaExtension):
    """Writes the reads a successful request noted into its own transaction. Listed after
    ``UnitOfWork``: operation hooks end in reverse order, so this runs before the commit."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        ec = self.execution_context
        ctx = ec.context
        noted = getattr(ctx, NOTED, None)
        if noted and not _failed(ec) and ctx.session is not None:
            setattr(ctx, NOTED, None)
            await record_reads(ctx.session, noted, ec.operation_name)


class RecordReadsOfFailedRequests(SchemaExtension):
    """A failed request is rolled back, but the values it answered were read: writes its noted
    reads in a transaction of their own, after the rollback (listed before ``UnitOfWork``; an
    open write of the request would lock SQLite). When an error nulled the whole answer nothing
    was served and nothing is recorded."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context.context
        tenant = getattr(ctx, "tenant", None)
        tenant_id = tenant.id if tenant is not None else None  # the rollback expires the row
        yield
        ec = self.execution_context
        noted = getattr(ctx, NOTED, None)
        if not noted or tenant_id is None:
            return
        setattr(ctx, NOTED, None)
        if getattr(ec.result, "data", None) is None:
            return
        async with ctx.runtime.db.tenant(tenant_id) as session:
            await record_reads(session, noted, ec.operation_name)
