"""Removing and pseudonymising rows as the data catalogue says: the pieces erasure
(``tenants/erasure.py``), retention (``tenants/retention.py``) and plugins (the
``erase_personal_data`` hook) share.

* :func:`remove_rows` deletes rows — unless the table is under a legal hold, or a row under a
  legal hold refers to one of them (an owner register entry to a person), or another row still
  refers to them: then it pseudonymises them and says why.
* :func:`pseudonymise_rows` overwrites a row's erasable columns: every ``personal(...)`` column
  without a ``hold`` and every ``secret(...)`` column (keys and hashes are destroyed) becomes
  ``NULL``, or ``""`` / ``[]`` where the column may not be null. Withheld columns (a vote choice),
  held columns and the row's links (ids) stay: without the person's name, phone and ID number
  they are pseudonyms.

Each returns an :class:`ErasureStep` — a table, what was done, how many rows, which columns and
why — and never the data itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import JSON, String, Text, and_, delete, exists, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.catalogue import Personal, Secret, classify, legal_hold_of

Action = Literal["removed", "pseudonymised", "kept"]


@dataclass(frozen=True)
class ErasureStep:
    """What erasure or retention did to one table: ``action`` on ``rows`` rows (the ``columns``
    overwritten when pseudonymised), and ``reason`` (a legal hold, a reference, the retention)."""

    table: str
    action: Action
    rows: int
    reason: str = ""
    columns: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "action": self.action, "rows": self.rows, "reason": self.reason, "columns": list(self.columns)}


def erasable_columns(table: Any) -> list[Any]:
    """The columns pseudonymisation overwrites: personal without a hold, and secret."""
    out = []
    for column in table.columns:
        kind = classify(column)
        if isinstance(kind, Secret) or (isinstance(kind, Personal) and kind.hold is None):
            out.append(column)
    return out


def blank(column: Any) -> Any:
    """The value an erased column gets: ``NULL``, else an empty string or list."""
    if column.nullable:
        return None
    if isinstance(column.type, String | Text):
        return ""
    if isinstance(column.type, JSON):
        return []
    raise TypeError(f"{column.table.name}.{column.name}: no blank value for a non-null {column.type}")


def held_references(table: Any) -> list[tuple[Any, Any]]:
    """``(table, foreign key)`` of each table under a legal hold whose foreign key points at ``table``."""
    out: list[tuple[Any, Any]] = []
    for other in sorted(table.metadata.tables.values(), key=lambda t: t.name):
        if other is table or legal_hold_of(other) is None:
            continue
        out.extend((other, fk) for fk in other.foreign_key_constraints if fk.referred_table is table)
    return out


async def pseudonymise_rows(
    session: AsyncSession,
    model: Any,
    where: Any,
    *,
    reason: str,
    overrides: Mapping[str, Any] | None = None,
) -> ErasureStep:
    """Overwrite the erasable columns of ``model``'s rows matching ``where`` (module docstring);
    ``overrides`` sets other values (a pseudonymous name) by attribute name."""
    table = model.__table__
    values: dict[str, Any] = {c.key: blank(c) for c in erasable_columns(table)}
    values.update(overrides or {})
    if not values:
        return ErasureStep(table.name, "kept", await _count(session, model, where), reason)
    result = await session.execute(update(model).where(where).values(**values).execution_options(synchronize_session=False))
    return ErasureStep(table.name, "pseudonymised", _rowcount(result), reason, tuple(sorted(values)))


async def remove_rows(session: AsyncSession, model: Any, where: Any, *, reason: str = "") -> list[ErasureStep]:
    """Delete ``model``'s rows matching ``where``; pseudonymise instead the rows the law keeps (the
    table is under a legal hold, or a held row refers to them) and those other rows still refer to.
    Returns the steps that touched rows (removed and / or pseudonymised)."""
    table = model.__table__
    hold = legal_hold_of(table)
    if hold is not None:
        return _touched([await pseudonymise_rows(session, model, where, reason=f"legal hold: {hold}")])
    steps = []
    for other, fk in held_references(table):
        referenced = exists().where(*[element.parent == element.column for element in fk.elements])
        steps.append(await pseudonymise_rows(
            session, model, and_(where, referenced), reason=f"{other.name} refers to it; legal hold: {legal_hold_of(other)}"
        ))
        where = and_(where, ~referenced)
    try:
        async with session.begin_nested():
            result = await session.execute(delete(model).where(where).execution_options(synchronize_session=False))
        steps.append(ErasureStep(table.name, "removed", _rowcount(result), reason))
    except IntegrityError:
        steps.append(await pseudonymise_rows(session, model, where, reason="other records refer to it"))
    return _touched(steps)


def _touched(steps: list[ErasureStep]) -> list[ErasureStep]:
    return [s for s in steps if s.rows]


async def _count(session: AsyncSession, model: Any, where: Any) -> int:
    from sqlalchemy import func, select

    return int(await session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
