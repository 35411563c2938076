"""What Linli holds about a person, by the data catalogue's category (the personal data dashboard,
issue #14 item 3): for each category, the fields (table and column) that hold something about
them and in how many rows. Read from the same rows as their export
(:func:`tenants.personal_export.held_tables`) and classified by the catalogue
(``kernel/db/catalogue.py``), never by per-plugin code: a plugin's new ``personal(...)`` column
shows up here without a line written for it. Values are counted, not decrypted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from kernel.db.catalogue import LEVELS, Personal, classify
from tenants.export import ENCRYPTED_SUFFIX, _load_contributed_models
from tenants.personal_export import held_tables, person_scope


@dataclass
class HeldField:
    table: str
    field: str
    level: str
    rows: int


@dataclass
class HeldCategory:
    category: str
    #: The highest level among its fields (general < important < core).
    level: str
    fields: list[HeldField] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.fields)


@dataclass
class PersonalData:
    persons: list[uuid.UUID]
    categories: list[HeldCategory]
    #: Rows per table naming the person (classified or not).
    tables: dict[str, int]


async def personal_data(runtime: Any, session: Any, tenant_id: uuid.UUID, account_id: uuid.UUID) -> PersonalData:
    """The dashboard's summary for the login ``account_id`` (module docstring)."""
    _load_contributed_models(runtime)
    persons = await person_scope(session, account_id)
    by_category: dict[str, HeldCategory] = {}
    tables: dict[str, int] = {}
    for held in await held_tables(session, tenant_id, account_id, persons):
        tables[held.table.name] = len(held.rows)
        for index, attr in enumerate(held.shown):
            column = attr.columns[0]
            found = classify(column)
            if not isinstance(found, Personal):
                continue
            rows = sum(1 for row in held.rows if row[index] not in (None, "", [], {}))
            if not rows:
                continue
            name = column.name[: -len(ENCRYPTED_SUFFIX)] if column.name.endswith(ENCRYPTED_SUFFIX) else column.name
            entry = by_category.setdefault(found.category, HeldCategory(found.category, found.level))
            if LEVELS.index(found.level) > LEVELS.index(entry.level):
                entry.level = found.level
            entry.fields.append(HeldField(held.table.name, name, found.level, rows))
    categories = sorted(by_category.values(), key=lambda c: c.category)
    for c in categories:
        c.fields.sort(key=lambda f: (f.table, f.field))
    return PersonalData(sorted(persons), categories, tables)
