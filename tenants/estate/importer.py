"""Bulk import of units and owners from a CSV file (房屋及业主批量导入).

Columns (header row required; ``building``, ``unit`` and ``area_m2`` are mandatory, the others
may be left out or blank)::

    compound,building,unit,floor,area_m2,sold,owner_name,owner_phone,owner_id_number,co_owner_name,co_owner_id_number

* ``area_m2`` — registered area in m² with at most two decimals (``89.63``);
* ``sold`` — ``true``/``false`` (also ``1/0``, ``yes/no``, ``是/否``; blank = sold). An unsold
  unit belongs to the developer: its owner columns stay empty and it is owned by the tenant's
  developer person (all such units count as one person under Art. 278);
* the same ID number on several rows is the same person (a multi-unit buyer); a person already
  registered with that ID number is reused;
* a co-owner makes two owners with 50 % each.

The file may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel saves it on a Chinese Windows:
the encoding is detected and reported. Messages are in the firm's language (zh-CN by default, en).

Every row is validated first — against the file itself (duplicates, one ID number with two
names) and against the database (units that exist already) — and the whole report of errors
(line number, column, message) is returned. A file with any bad row writes nothing. A good file
is written in bulk (one executemany per table and batch of 1,000), not row by row.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import Vault
from kernel.db.base import utcnow
from kernel.db.scope import TENANT_KEY, TenancyError
from kernel.errors import BadUserInput, NotFound
from tenants.estate import models as m
from tenants.estate.import_messages import DEFAULT_LOCALE, check_locale, message
from tenants.estate.service import ID_NUMBER, PHONE, parse_area

if TYPE_CHECKING:
    from kernel.runtime import Runtime

COLUMNS = (
    "compound",
    "building",
    "unit",
    "floor",
    "area_m2",
    "sold",
    "owner_name",
    "owner_phone",
    "owner_id_number",
    "co_owner_name",
    "co_owner_id_number",
)
REQUIRED = ("building", "unit", "area_m2")
TRUE = {"true", "1", "yes", "y", "t", "是"}
FALSE = {"false", "0", "no", "n", "f", "否"}
DEVELOPER_NAME = "开发建设单位（未售房屋）"
MAX_ROWS = 50_000
WRITE_BATCH = 1000
MIN_FLOOR, MAX_FLOOR = -10, 200

#: ``progress(stage, advance, total)`` — stage is ``validate`` or ``write``.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    """One problem: the file line (1 = header), the column and what to fix."""

    line: int
    column: str
    message: str


@dataclass
class PersonInput:
    name: str
    phone: str | None = None
    id_number: str | None = None


@dataclass
class UnitRow:
    line: int
    compound: str
    building: str
    number: str
    floor: int
    area: int
    sold: bool
    owners: list[PersonInput] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did, or why it did nothing (``errors``)."""

    rows: int = 0
    units: int = 0
    buildings_created: int = 0
    compounds_created: int = 0
    persons_created: int = 0
    persons_reused: int = 0
    ownerships: int = 0
    area: int = 0
    #: How the file was encoded: ``utf-8``, ``utf-8-sig`` (with BOM, as Excel saves "CSV UTF-8"), ``gbk``
    #: or ``gb18030`` (Excel's plain "CSV" on a Chinese Windows).
    encoding: str = "utf-8"
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(raw: dict[str, str | None], column: str) -> str:
    value = raw.get(column)
    return (value or "").strip()


def _person(raw: dict[str, str], prefix: str, line: int, errors: list[RowError], t: Callable[..., str]) -> PersonInput | None:
    name = _cell(raw, f"{prefix}_name")
    phone = _cell(raw, f"{prefix}_phone") or None
    id_number = (_cell(raw, f"{prefix}_id_number") or "").upper() or None
    if not name:
        for column, value in ((f"{prefix}_phone", phone), (f"{prefix}_id_number", id_number)):
            if value:
                errors.append(RowError(line, f"{prefix}_name", t("name_missing", column=column, prefix=prefix)))
        return None
    if len(name) > 100:
        errors.append(RowError(line, f"{prefix}_name", t("name_too_long")))
    if phone and not PHONE.match(phone):
        errors.append(RowError(line, f"{prefix}_phone", t("phone_bad")))
    if id_number and not ID_NUMBER.match(id_number):
        errors.append(RowError(line, f"{prefix}_id_number", t("id_bad")))
    return PersonInput(name, phone, id_number)


def parse_rows(text: str, *, progress: Progress | None = None, locale: str = DEFAULT_LOCALE) -> tuple[list[UnitRow], list[RowError]]:
    """Validate the file on its own (no database): every row, every column. Messages in ``locale``."""

    def t(key: str, **params: object) -> str:
        return message(locale, key, **params)

    errors: list[RowError] = []
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        return [], [RowError(1, "", t("empty_file"))]
    reader.fieldnames = header
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if len(set(header)) != len(header):
        errors.append(RowError(1, "", t("column_twice")))
    for h in unknown:
        errors.append(RowError(1, h, t("unknown_column", columns=", ".join(COLUMNS))))
    for c in missing:
        errors.append(RowError(1, c, t("column_required")))
    if errors:
        return [], errors
    raw_rows = [(reader.line_num, raw) for raw in reader]  # line_num: the row's (last) file line
    if len(raw_rows) > MAX_ROWS:
        return [], [RowError(1, "", t("too_many_rows", max=MAX_ROWS))]
    rows: list[UnitRow] = []
    seen_units: dict[tuple[str, str, str], int] = {}
    names_by_id: dict[str, tuple[str, int]] = {}
    for index, (line, raw) in enumerate(raw_rows):
        if None in raw:  # more cells than columns
            errors.append(RowError(line, "", t("more_cells")))
            continue
        row_errors: list[RowError] = []
        building, number = _cell(raw, "building"), _cell(raw, "unit")
        compound = _cell(raw, "compound")
        if not building:
            row_errors.append(RowError(line, "building", t("building_required")))
        elif len(building) > 64:
            row_errors.append(RowError(line, "building", t("building_too_long")))
        if not number:
            row_errors.append(RowError(line, "unit", t("unit_required")))
        elif len(number) > 32:
            row_errors.append(RowError(line, "unit", t("unit_too_long")))
        if len(compound) > 200:
            row_errors.append(RowError(line, "compound", t("compound_too_long")))
        floor = 1
        floor_text = _cell(raw, "floor")
        if floor_text:
            try:
                floor = int(floor_text)
                if not (MIN_FLOOR <= floor <= MAX_FLOOR) or floor == 0:
                    raise ValueError
            except ValueError:
                row_errors.append(RowError(line, "floor", t("floor_range", min=MIN_FLOOR, max=MAX_FLOOR)))
        area = 0
        try:
            area = parse_area(_cell(raw, "area_m2"))
        except BadUserInput:
            row_errors.append(RowError(line, "area_m2", t("area_bad", text=repr(_cell(raw, "area_m2")))))
        sold_text = _cell(raw, "sold").lower()
        sold = True
        if sold_text in FALSE:
            sold = False
        elif sold_text and sold_text not in TRUE:
            row_errors.append(RowError(line, "sold", t("sold_bad")))
        owners: list[PersonInput] = []
        owner = _person(raw, "owner", line, row_errors, t)
        co_owner = _person(raw, "co_owner", line, row_errors, t)
        if sold:
            if owner is None:
                row_errors.append(RowError(line, "owner_name", t("owner_missing")))
            else:
                owners.append(owner)
                if co_owner is not None:
                    owners.append(co_owner)
                    if owner.id_number and owner.id_number == co_owner.id_number:
                        row_errors.append(RowError(line, "co_owner_id_number", t("co_owner_same_id")))
        elif owner is not None or co_owner is not None:
            row_errors.append(RowError(line, "sold", t("unsold_with_owner")))
        key = (compound, building, number)
        if building and number:
            if key in seen_units:
                row_errors.append(RowError(line, "unit", t("unit_twice", building=building, number=number, line=seen_units[key])))
            else:
                seen_units[key] = line
        for person, prefix in ((owner, "owner"), (co_owner, "co_owner")):
            if person is None or not person.id_number:
                continue
            if prefix == "co_owner" and owner is not None and owner.id_number == person.id_number:
                continue  # reported above
            known = names_by_id.setdefault(person.id_number, (person.name, line))
            if known[0] != person.name:
                row_errors.append(RowError(line, f"{prefix}_name", t("id_two_names", name=known[0], line=known[1])))
        errors.extend(row_errors)
        if not row_errors:
            rows.append(UnitRow(line, compound, building, number, floor, area, sold, owners))
        if progress is not None and (index + 1) % 500 == 0:
            progress("validate", 500, len(raw_rows))
    if progress is not None:
        progress("validate", len(raw_rows) % 500, len(raw_rows))
    return rows, errors


async def _community(session: AsyncSession, code: str, locale: str) -> m.Community:
    community = await session.scalar(select(m.Community).where(m.Community.code == code))
    if community is None:
        raise NotFound(message(locale, "no_community", code=code))
    return community


async def import_units(
    session: AsyncSession,
    vault: Vault,
    tenant_id: uuid.UUID,
    *,
    community_code: str,
    csv_text: str | bytes,
    progress: Progress | None = None,
    locale: str = DEFAULT_LOCALE,
) -> ImportReport:
    """Validate the whole file, then — only if no row is bad — write it in bulk.

    ``csv_text`` is text, or the file's bytes (UTF-8 with or without BOM, GBK/GB18030: detected and
    reported in ``report.encoding``). Messages are in ``locale`` (the firm's language, zh-CN by default).
    Flushes, never commits: the caller's unit of work decides. Returns the report; when
    ``report.errors`` is not empty nothing was written.
    """
    check_locale(locale)
    if session.info.get(TENANT_KEY) != tenant_id:
        # the bulk insert below sets tenant_id itself, so insist on the matching scope
        raise TenancyError("import_units needs a session scoped to the tenant it imports into")
    community = await _community(session, community_code, locale)
    if isinstance(csv_text, bytes):
        text, encoding = decode_csv(csv_text, locale)
    else:
        text, encoding = csv_text, "utf-8-sig" if csv_text.startswith("\ufeff") else "utf-8"
    rows, errors = parse_rows(text, progress=progress, locale=locale)
    report = ImportReport(rows=len(rows) + len({e.line for e in errors if e.line > 1}), encoding=encoding)
    compounds = {c.name: c for c in await session.scalars(select(m.Compound).where(m.Compound.community_id == community.id))}
    default_compound: str | None = None
    if any(not r.compound for r in rows):
        if len(compounds) == 1:
            default_compound = next(iter(compounds))
        elif not compounds:
            default_compound = community.name
        else:
            errors.append(RowError(1, "compound", message(locale, "several_compounds", code=community_code, names=", ".join(sorted(compounds)))))
    for r in rows:
        r.compound = r.compound or default_compound or ""
    # against the database: existing units, persons known by ID number
    buildings = {
        (b.compound_id, b.name): b
        for b in await session.scalars(select(m.Building).where(m.Building.community_id == community.id))
    }
    existing_units = {
        (compound_id, bname, number)
        for compound_id, bname, number in await session.execute(
            select(m.Building.compound_id, m.Building.name, m.Unit.number)
            .join(m.Unit, (m.Unit.building_id == m.Building.id) & (m.Unit.tenant_id == m.Building.tenant_id))
            .where(m.Building.community_id == community.id)
        )
    }
    for r in rows:
        compound = compounds.get(r.compound)
        if compound is not None and (compound.id, r.building, r.number) in existing_units:
            errors.append(RowError(r.line, "unit", message(locale, "unit_exists", building=r.building, number=r.number, compound=r.compound)))
    digests: dict[str, str] = {}
    for r in rows:
        for p in r.owners:
            if p.id_number and p.id_number not in digests:
                digests[p.id_number] = vault.keyed_digest(tenant_id, p.id_number)
    known: dict[str, uuid.UUID] = {}
    values = list(digests.values())
    for i in range(0, len(values), 500):
        for pid, digest in await session.execute(
            select(m.Person.id, m.Person.id_number_digest).where(m.Person.id_number_digest.in_(values[i : i + 500]))
        ):
            known[digest] = pid
    if errors:
        report.errors = sorted(errors, key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
        report.units = report.ownerships = 0
        return report

    # -- write: nothing above touched the database ------------------------------------------
    new_compounds: list[m.Compound] = []
    for name in sorted({r.compound for r in rows} - set(compounds)):
        c = m.Compound(id=uuid.uuid4(), tenant_id=tenant_id, community_id=community.id, name=name)
        compounds[name] = c
        new_compounds.append(c)
    new_buildings: list[m.Building] = []
    top_floor: dict[tuple[uuid.UUID, str], int] = {}
    for r in rows:
        key = (compounds[r.compound].id, r.building)
        top_floor[key] = max(top_floor.get(key, 1), r.floor)
    for key, floors in sorted(top_floor.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        found = buildings.get(key)
        if found is None:
            b = m.Building(id=uuid.uuid4(), tenant_id=tenant_id, compound_id=key[0], community_id=community.id, name=key[1], floors=floors)
            buildings[key] = b
            new_buildings.append(b)
        elif found.floors < floors:
            found.floors = floors
    developer: uuid.UUID | None = None
    if any(not r.sold for r in rows):
        developer = await session.scalar(select(m.Person.id).where(m.Person.kind == "developer").order_by(m.Person.created_at).limit(1))
    now = utcnow()
    new_persons: list[dict[str, object]] = []
    if any(not r.sold for r in rows) and developer is None:
        developer = uuid.uuid4()
        new_persons.append(_person_row(tenant_id, developer, now, kind="developer", name=DEVELOPER_NAME))
    person_by_id_number: dict[str, uuid.UUID] = {}
    units: list[dict[str, object]] = []
    ownerships: list[dict[str, object]] = []
    reused: set[uuid.UUID] = set()
    for r in rows:
        unit_id = uuid.uuid4()
        units.append({
            "tenant_id": tenant_id, "id": unit_id, "created_at": now, "updated_at": None,
            "building_id": buildings[(compounds[r.compound].id, r.building)].id, "community_id": community.id,
            "number": r.number, "number_key": m.natural_key(r.number), "floor": r.floor, "registered_area": r.area, "area_source": "registered",
            "use": "residential", "sold": r.sold,
        })
        report.area += r.area
        if not r.sold:
            assert developer is not None
            ownerships.append(_ownership_row(tenant_id, now, unit_id, developer, 10000))
            continue
        share = 10000 // len(r.owners)
        for p in r.owners:
            pid = person_by_id_number.get(p.id_number) if p.id_number else None
            if pid is None and p.id_number and digests[p.id_number] in known:
                pid = known[digests[p.id_number]]
                reused.add(pid)
            if pid is None:
                pid = uuid.uuid4()
                new_persons.append(_person_row(
                    tenant_id, pid, now, kind="natural", name=p.name,
                    phone_enc=vault.encrypt(tenant_id, p.phone) if p.phone else None,
                    id_number_enc=vault.encrypt(tenant_id, p.id_number) if p.id_number else None,
                    id_number_digest=digests[p.id_number] if p.id_number else None,
                ))
            if p.id_number:
                person_by_id_number[p.id_number] = pid
            ownerships.append(_ownership_row(tenant_id, now, unit_id, pid, share))
    total = len(new_compounds) + len(new_buildings) + len(units) + len(new_persons) + len(ownerships)
    for objects in (new_compounds, new_buildings):
        session.add_all(objects)
        await session.flush()  # few rows: through the ORM (stamped and checked by the tenant scope)
        if progress is not None:
            progress("write", len(objects), total)
    # thousands of rows: Core executemany, one statement per batch, with tenant_id set above
    # (row-level security still checks every row on PostgreSQL)
    for model, batch in ((m.Unit, units), (m.Person, new_persons), (m.Ownership, ownerships)):
        for i in range(0, len(batch), WRITE_BATCH):
            part = batch[i : i + WRITE_BATCH]
            await session.execute(insert(model.__table__), part)
            if progress is not None:
                progress("write", len(part), total)
    report.units = len(units)
    report.compounds_created = len(new_compounds)
    report.buildings_created = len(new_buildings)
    report.persons_created = sum(1 for p in new_persons if p["kind"] == "natural")
    report.persons_reused = len(reused)
    report.ownerships = len(ownerships)
    return report


def _person_row(tenant_id: uuid.UUID, pid: uuid.UUID, now: datetime, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "tenant_id": tenant_id, "id": pid, "created_at": now, "updated_at": None, "phone_enc": None,
        "id_number_enc": None, "id_number_digest": None, "account_id": None,
    }
    row.update(values)
    return row


def _ownership_row(tenant_id: uuid.UUID, now: datetime, unit_id: uuid.UUID, person_id: uuid.UUID, share: int) -> dict[str, object]:
    return {"tenant_id": tenant_id, "id": uuid.uuid4(), "created_at": now, "updated_at": None,
            "unit_id": unit_id, "person_id": person_id, "share_bp": share, "since": None}


def decode_csv(data: bytes, locale: str = DEFAULT_LOCALE) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in.

    Excel on a Chinese Windows saves "CSV" in the ANSI code page (GBK; GB18030 for rarer characters)
    and "CSV UTF-8" with a byte-order mark; other tools write plain UTF-8. A BOM decides; otherwise UTF-8
    is tried first (GBK text is almost never valid UTF-8), then GBK, then GB18030 (its superset).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise BadUserInput(message(locale, "undecodable"), field="csv") from None
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise BadUserInput(message(locale, "undecodable"), field="csv")


def read_csv_file(path: Path, locale: str = DEFAULT_LOCALE) -> bytes:
    """The bytes of ``path``; NOT_FOUND (coded, in the firm's language) when there is no such file."""
    if not path.exists():
        raise NotFound(message(locale, "file_missing", path=str(path)), field="file")
    if not path.is_file():
        raise BadUserInput(message(locale, "not_a_file", path=str(path)), field="file")
    return path.read_bytes()


def error_report_path(csv_path: Path) -> Path:
    """Where the error report of ``units.csv`` goes: ``units.errors.csv`` next to it."""
    return csv_path.with_name(csv_path.stem + ".errors.csv")


def write_error_report(path: Path, errors: Iterable[RowError]) -> Path:
    """A CSV with ``line,column,message`` per error (UTF-8 with BOM, so spreadsheet apps open it)."""
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["line", "column", "message"])
        for e in errors:
            w.writerow([e.line, e.column, e.message])
    return path


async def import_for_tenant(
    runtime: Runtime,
    slug: str,
    csv_text: str | bytes,
    *,
    community_code: str,
    actor: str = "platform",
    progress: Progress | None = None,
    locale: str = DEFAULT_LOCALE,
) -> ImportReport:
    """Import into tenant ``slug`` in one transaction, audited (counts only, no personal data).

    ``csv_text`` may be the file's bytes (see :func:`read_csv_file`); messages are in ``locale``."""
    from kernel import audit
    from tenants.lifecycle import get_by_slug

    tenant = await get_by_slug(runtime, slug)
    async with runtime.db.tenant(tenant.id) as session:
        report = await import_units(
            session, runtime.vault, tenant.id, community_code=community_code, csv_text=csv_text, progress=progress, locale=locale
        )
        if report.ok:
            await audit.record(
                session, tenant_id=tenant.id, actor=actor, action="estate.units_imported", target=community_code,
                detail={"units": report.units, "persons_created": report.persons_created, "ownerships": report.ownerships, "encoding": report.encoding},
            )
    return report
