"""Create jurisdictions and resolve what a regulator account may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import BadUserInput, Conflict
from kernel.supervision.models import DISTRICT, KINDS, STREET, Jurisdiction

MAX_CODE = 32


@dataclass(frozen=True)
class Scope:
    """What one regulator account supervises: its own code, its kind and the street codes under it."""

    code: str
    name: str
    kind: str
    streets: tuple[str, ...]


async def create_jurisdiction(
    session: AsyncSession, *, code: str, name: str, kind: str = STREET, parent_code: str | None = None
) -> Jurisdiction:
    """A street (optionally under a district) or a district. Codes are unique platform-wide."""
    code, name = code.strip(), name.strip()
    if not code or len(code) > MAX_CODE:
        raise BadUserInput(f"a jurisdiction code is 1–{MAX_CODE} characters", field="code")
    if not name:
        raise BadUserInput("give the jurisdiction a name", field="name")
    if kind not in KINDS:
        raise BadUserInput(f"kind is one of {', '.join(KINDS)}", field="kind")
    if kind == DISTRICT and parent_code:
        raise BadUserInput("a district has no parent", field="parent_code")
    if parent_code is not None:
        parent = await session.get(Jurisdiction, parent_code)
        if parent is None or parent.kind != DISTRICT:
            raise BadUserInput("the parent must be an existing district", field="parent_code")
    if await session.get(Jurisdiction, code) is not None:
        raise Conflict(f"jurisdiction {code} exists", field="code")
    row = Jurisdiction(code=code, name=name, kind=kind, parent_code=parent_code)
    session.add(row)
    await session.flush()
    return row


async def scope_of(session: AsyncSession, code: str) -> Scope:
    """The streets a regulator account with ``code`` supervises. A code with no jurisdiction row
    is a street of its own (accounts created before jurisdictions existed keep working)."""
    row = await session.get(Jurisdiction, code)
    if row is None:
        return Scope(code=code, name=code, kind=STREET, streets=(code,))
    if row.kind == STREET:
        return Scope(code=code, name=row.name, kind=STREET, streets=(code,))
    streets = await session.scalars(
        select(Jurisdiction.code).where(Jurisdiction.parent_code == code).order_by(Jurisdiction.code)
    )
    return Scope(code=code, name=row.name, kind=DISTRICT, streets=tuple(streets))


async def street_names(session: AsyncSession, codes: tuple[str, ...]) -> dict[str, str]:
    rows = await session.execute(select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes)))
    names: dict[str, str] = {c: n for c, n in rows.all()}
    return {c: names.get(c, c) for c in codes}
