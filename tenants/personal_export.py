"""A person's own data, for them (PIPL art. 45: the right to access and copy).

``export_person(runtime, tenant_id, account_id)`` writes a zip of everything the firm's Linli holds
about the login and the register persons linked to it: for every tenant table (the kernel's, the
estate's, every plugin's — found in the metadata, as the tenant export does), the rows whose
``account_id`` / ``*_account_id`` is the login, whose ``person_id`` / ``*_person_id`` is one of
its persons, whose ``holder_key`` (a voting key, ``a`` or co-owners' ``a+b``) names one of them,
and the login's and persons' own rows. Each table is written twice: ``<table>.json`` (a list of
objects) and ``<table>.csv`` (for a spreadsheet), with encrypted columns decrypted and named
without ``_enc``.

The data catalogue (``kernel/db/catalogue.py``) decides what goes in: columns declared
:func:`~kernel.db.catalogue.secret` (password and code hashes, seeds, keys) never leave the
platform, not even to their owner; :func:`~kernel.db.catalogue.withheld` columns *are* included —
an owner's own vote choice is theirs to see. ``manifest.json`` lists each table with its row count
and the PIPL category of every classified column.

Rows reached only through another row (a care recipient's check-ins, by recipient) are not
followed yet; the manifest says so under ``scope``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from kernel import audit
from kernel.db.base import utcnow
from kernel.db.catalogue import Personal, Secret, classify
from kernel.identity.models import Account
from kernel.runtime import Runtime
from tenants.estate.models import Person
from tenants.export import ENCRYPTED_SUFFIX, _json_value, _load_contributed_models, tenant_mappers

FORMAT = "linli-personal-export/1"
_ACCOUNT_LINK = re.compile(r"(^|_)account_id$")
_PERSON_LINK = re.compile(r"(^|_)person_id$")
SCOPE = (
    "rows naming the login (account_id, *_account_id) or its register persons (person_id, *_person_id, "
    "holder_key); rows reached only through another row are not included"
)


@dataclass
class PersonalExport:
    archive: bytes
    manifest: dict[str, Any]


@dataclass
class HeldTable:
    """The rows of one table that name a person, as read (columns in ``shown`` order)."""

    table: Any
    shown: list[Any]
    rows: list[Any]


async def person_scope(session: Any, account_id: uuid.UUID) -> set[uuid.UUID]:
    """The register persons linked to the login ``account_id``."""
    return set(await session.scalars(select(Person.id).where(Person.account_id == account_id)))


async def held_tables(session: Any, tenant_id: uuid.UUID, account_id: uuid.UUID, persons: set[uuid.UUID]) -> list[HeldTable]:
    """Every tenant table's rows naming the login or its persons (module docstring); secret
    columns are not read."""
    keys = {str(p) for p in persons}
    found = []
    for mapper in tenant_mappers():
        model, table = mapper.class_, mapper.local_table
        own = [a for a in mapper.column_attrs if a.columns[0].table is table]
        conditions = _links(model, own, account_id, persons, keys)
        if not conditions:
            continue
        shown = [a for a in own if not isinstance(classify(a.columns[0]), Secret)]
        stmt = select(*[getattr(model, a.key) for a in shown]).where(model.tenant_id == tenant_id, or_(*conditions))
        rows = [
            row
            for row in (await session.execute(stmt)).all()
            if "holder_key" not in table.c or _holder_matches(row, shown, keys, persons, account_id)
        ]
        if rows:
            found.append(HeldTable(table, shown, rows))
    return found


async def export_person(runtime: Runtime, tenant_id: uuid.UUID, account_id: uuid.UUID) -> PersonalExport:
    """Everything held about the login ``account_id`` of ``tenant_id`` and its persons (module docstring)."""
    _load_contributed_models(runtime)
    vault = runtime.vault
    tables: dict[str, dict[str, Any]] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        async with runtime.db.tenant(tenant_id) as session:
            persons = await person_scope(session, account_id)
            for held in await held_tables(session, tenant_id, account_id, persons):
                rows = _records(held.shown, held.rows, vault, tenant_id)
                categories = {
                    _name(a.columns[0].name): f"{c.category}/{c.level}"
                    for a in held.shown
                    if isinstance(c := classify(a.columns[0]), Personal)
                }
                name = held.table.name
                archive.writestr(f"{name}.json", _json_lines(rows))
                archive.writestr(f"{name}.csv", _csv(rows))
                tables[name] = {"rows": len(rows), "personal_columns": categories}
        manifest = {
            "format": FORMAT,
            "account_id": str(account_id),
            "persons": sorted(str(p) for p in persons),
            "exported_at": utcnow().isoformat(),
            "scope": SCOPE,
            "tables": tables,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    return PersonalExport(buffer.getvalue(), manifest)


async def export_for(ctx: Any, *, via: str) -> PersonalExport:
    """The export for the request's own login (``ctx``: a request context), audited in the
    request's session as ``privacy.personal_export`` with how it was asked (``graphql``,
    ``http``). FORBIDDEN for anything but a person's own login (an API key, a regulator)."""
    from kernel.errors import Forbidden

    ctx.require_tenant()
    actor = ctx.actor
    if actor is None or actor.account_id is None or actor.kind != "account":
        raise Forbidden("only a person's own login can export their data")
    result = await export_person(ctx.runtime, ctx.tenant.id, actor.account_id)
    await audit.record(
        ctx.session, tenant_id=ctx.tenant.id, actor=actor.label, action="privacy.personal_export",
        target=str(actor.account_id), detail={"tables": len(result.manifest["tables"]), "via": via},
    )
    return result


def file_name(tenant_slug: str) -> str:
    return f"{tenant_slug}-my-data.zip"


def _links(model: Any, own: list[Any], account_id: uuid.UUID, persons: set[uuid.UUID], keys: set[str]) -> list[Any]:
    conditions = []
    for attr in own:
        column = getattr(model, attr.key)
        name = attr.columns[0].name
        if _ACCOUNT_LINK.search(name):
            conditions.append(column == account_id)
        elif _PERSON_LINK.search(name) and persons:
            conditions.append(column.in_(persons))
        elif name == "holder_key" and keys:
            conditions.extend(column.contains(key) for key in keys)
    if model is Account:
        conditions.append(Account.id == account_id)
    if model is Person and persons:
        conditions.append(Person.id.in_(persons))
    return conditions


def _holder_matches(row: Any, shown: list[Any], keys: set[str], persons: set[uuid.UUID], account_id: uuid.UUID) -> bool:
    """``holder_key`` matched by substring in SQL; keep the row only if a whole key part is one of the
    person's ids (or another link of the row holds)."""
    values = {a.columns[0].name: v for a, v in zip(shown, row, strict=True)}
    if set(str(values.get("holder_key", "")).split("+")) & keys:
        return True
    return any(
        v == account_id or v in persons
        for name, v in values.items()
        if _ACCOUNT_LINK.search(name) or _PERSON_LINK.search(name)
    )


def _name(column: str) -> str:
    return column[: -len(ENCRYPTED_SUFFIX)] if column.endswith(ENCRYPTED_SUFFIX) else column


_PLAIN = (str, int, bool, float)


def _records(shown: list[Any], rows: list[Any], vault: Any, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Rows as JSON-ready objects, encrypted columns decrypted and named without ``_enc``."""
    columns = [(_name(a.columns[0].name), a.columns[0].name.endswith(ENCRYPTED_SUFFIX)) for a in shown]
    out = []
    for row in rows:
        record: dict[str, Any] = {}
        for (name, encrypted), value in zip(columns, row, strict=True):
            if value is None or type(value) in _PLAIN and not encrypted:
                record[name] = value
            elif encrypted and isinstance(value, str):
                record[name] = vault.decrypt(tenant_id, value) if value else value
            else:
                record[name] = _json_value(value)
        out.append(record)
    return out


def _json_lines(rows: list[dict[str, Any]]) -> str:
    """A JSON list with one object a line: readable, and each line encoded by the C encoder
    (``indent=`` would use the pure-Python one, a third of an export's time)."""
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows) + "\n]\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    fields = sorted({k for r in rows for k in r})
    writer = csv.writer(out)
    writer.writerow(fields)
    for r in rows:
        values = (r.get(k) for k in fields)
        writer.writerow([json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in values])
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets open UTF-8 Chinese text correctly
