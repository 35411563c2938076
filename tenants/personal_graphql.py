"""GraphQL for a person's own data: ``exportMyData`` (PIPL art. 45, the right to a copy), answered
from :mod:`tenants.personal_export`; the dashboard's ``myPersonalData`` (what is held, by the
catalogue's category: :mod:`tenants.personal_dashboard`) and ``myDataReads`` (who read it:
:mod:`kernel.consent.reads`). Contributed by the estate core plugin (``tenants/plugin.py``); any
logged-in member of a firm may ask, for themselves only."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import func, select

from kernel.consent.reads import PersonalDataRead
from kernel.crypto import mask_name
from kernel.errors import BadUserInput, Forbidden
from kernel.graphql.permissions import Authenticated
from kernel.identity.models import Account

#: The longest page of ``myDataReads``.
MAX_READS = 200


@strawberry.type
class PersonalTable:
    name: str
    rows: int


@strawberry.type
class PersonalExportFile:
    file_name: str
    tables: list[PersonalTable]
    manifest: str = strawberry.field(description="manifest.json of the archive (tables, rows, PIPL categories)")
    archive_base64: str = strawberry.field(description="The zip: <table>.json and <table>.csv per table, base64")


@strawberry.type(description="One field of the data catalogue holding something about me.")
class PersonalDataField:
    table: str
    field: str
    level: str = strawberry.field(description="general | important | core")
    rows: int = strawberry.field(description="Rows of the table naming me where the field has a value")


@strawberry.type(description="What is held about me in one category of the data catalogue.")
class PersonalDataCategory:
    category: str = strawberry.field(description="identity, contact, property, biometric_reference, health, location, financial, behaviour")
    level: str = strawberry.field(description="The highest level among its fields")
    rows: int
    fields: list[PersonalDataField]


@strawberry.type(description="What this firm's Linli holds about me, by category (the personal data dashboard).")
class MyPersonalData:
    categories: list[PersonalDataCategory]
    tables: list[PersonalTable] = strawberry.field(description="Rows per table naming me (as in my export)")
    linked_to_register: bool = strawberry.field(description="Whether my login is linked to a person of the owner register")


@strawberry.type(description="Someone else read my personal data (one entry per request and category).")
class PersonalDataReadView:
    at: datetime
    category: str
    reader: str = strawberry.field(description="The reader's name, masked (张*明); an integration shows as 'API key'")
    operation: str | None = strawberry.field(description="The GraphQL operation's name, if it had one")


def _own_login(info: strawberry.Info) -> uuid.UUID:
    ctx = info.context
    if ctx.actor is None or ctx.actor.account_id is None or ctx.actor.kind != "account":
        raise Forbidden("only a person's own login has a personal data dashboard")
    ctx.require_tenant()
    return ctx.actor.account_id  # type: ignore[no-any-return]


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(
        permission_classes=[Authenticated],
        description="What Linli holds about me, grouped by the data catalogue's category: the fields and how many rows hold them.",
    )
    async def my_personal_data(self, info: strawberry.Info) -> MyPersonalData:
        from tenants.personal_dashboard import personal_data

        account_id = _own_login(info)
        ctx = info.context
        held = await personal_data(ctx.runtime, ctx.session, ctx.tenant.id, account_id)
        return MyPersonalData(
            categories=[
                PersonalDataCategory(
                    category=c.category, level=c.level, rows=c.rows,
                    fields=[PersonalDataField(table=f.table, field=f.field, level=f.level, rows=f.rows) for f in c.fields],
                )
                for c in held.categories
            ],
            tables=[PersonalTable(name=n, rows=r) for n, r in sorted(held.tables.items())],
            linked_to_register=bool(held.persons),
        )

    @strawberry.field(
        permission_classes=[Authenticated],
        description="Who read my personal data and when (staff and integrations; my own reads are not listed; a whole-firm "
        "export with personal data decrypted is listed with category 'all'), newest first. "
        "first: 1–200 (BAD_USER_INPUT otherwise).",
    )
    async def my_data_reads(self, info: strawberry.Info, first: int = 50) -> list[PersonalDataReadView]:
        from tenants.personal_export import person_scope

        account_id = _own_login(info)
        if not 1 <= first <= MAX_READS:
            raise BadUserInput(f"first must be between 1 and {MAX_READS}", field="first")
        session = info.context.session
        persons = await person_scope(session, account_id)
        if not persons:
            return []
        rows = (
            await session.execute(
                select(PersonalDataRead, Account.display_name)
                .outerjoin(Account, Account.id == PersonalDataRead.reader_account_id)
                .where(PersonalDataRead.person_id.in_(persons))
                .order_by(PersonalDataRead.created_at.desc(), PersonalDataRead.id)
                .limit(first)
            )
        ).all()
        listed = [
            PersonalDataReadView(
                at=r.created_at, category=r.category, operation=r.operation,
                reader="API key" if r.reader.startswith("api_key:") else (mask_name(name) or "—"),
            )
            for r, name in rows
        ]
        listed += await _exports_since(session, persons, first)
        listed.sort(key=lambda v: v.at, reverse=True)
        return listed[:first]


def _reader_of(actor: str, names: dict[uuid.UUID, str | None]) -> str:
    if actor.startswith("account:"):
        return mask_name(names.get(uuid.UUID(actor.split(":", 1)[1]))) or "—"
    return "API key" if actor.startswith("api_key:") else "platform operator"


async def _exports_since(session: Any, persons: set[uuid.UUID], first: int) -> list[PersonalDataReadView]:
    """Whole-firm exports with personal data decrypted since the person was registered: each one
    read everything held about them (category ``all``; the reader is the admin, masked, an API key,
    or the platform operator for ``linli tenant export``)."""
    from kernel.audit import AuditEntry
    from tenants.estate.models import Person
    from tenants.export import EXPORTED

    since = await session.scalar(select(func.min(Person.created_at)).where(Person.id.in_(persons)))
    query = select(AuditEntry).where(
        AuditEntry.action == EXPORTED, AuditEntry.at >= since, AuditEntry.detail["personal_data"].as_string() == "decrypted"
    )
    entries = (await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(first))).all()
    accounts = {uuid.UUID(e.actor.split(":", 1)[1]) for e in entries if e.actor.startswith("account:")}
    names: dict[uuid.UUID, str | None] = {}
    if accounts:
        names = dict((await session.execute(select(Account.id, Account.display_name).where(Account.id.in_(accounts)))).all())  # type: ignore[arg-type]
    return [
        PersonalDataReadView(at=e.at, category="all", reader=_reader_of(e.actor, names), operation=f"tenant export ({(e.detail or {}).get('via', 'graphql')})")
        for e in entries
    ]


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(
        permission_classes=[Authenticated],
        description="Everything this firm's Linli holds about me — my login, my register entries and every row "
        "naming them, in every plugin — as a zip of JSON and CSV. Secrets (password hashes, codes) are never "
        "included. Audited. The same zip downloads over HTTP: GET /me/export.zip with the same bearer token.",
    )
    async def export_my_data(self, info: strawberry.Info) -> PersonalExportFile:
        from tenants.personal_export import export_for, file_name

        ctx = info.context
        result = await export_for(ctx, via="graphql")
        return PersonalExportFile(
            file_name=file_name(ctx.tenant.slug),
            tables=[PersonalTable(name=n, rows=t["rows"]) for n, t in sorted(result.manifest["tables"].items())],
            manifest=json.dumps(result.manifest, ensure_ascii=False, sort_keys=True),
            archive_base64=base64.b64encode(result.archive).decode(),
        )
