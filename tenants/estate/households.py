"""Who lives in a unit (住户): family members and renters an owner adds, with the days they live there.

A residency counts from ``since`` through ``until`` (inclusive); an ended one stops counting (notices,
access, "my home") but stays in the register. Living in a unit gives no owner rights: a renter or family
member has no person key (no vote, no fund decision) unless they own a unit themselves. Owners act on their
own units only (another unit answers NOT_FOUND, as an unknown one); staff (``persons:write``) on any.
Flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import Vault
from kernel.errors import BadUserInput, NotFound
from tenants.estate.models import Ownership, Person, Residency, Unit
from tenants.estate.owners import persons_of
from tenants.estate.service import register_person

#: What an owner may add; ``owner`` residencies (owner-occupiers) are the register's, written by staff.
MEMBER_KINDS = ("family", "renter")
MAX_STAY_DAYS = 366 * 30


@dataclass(frozen=True)
class Member:
    residency_id: uuid.UUID
    unit_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    phone: str | None
    kind: str
    since: date | None
    until: date | None
    current: bool


async def owner_of_unit(session: AsyncSession, unit_id: uuid.UUID, account_id: uuid.UUID | None, *, staff: bool) -> uuid.UUID | None:
    """The caller's owning person of ``unit_id`` (``None`` for staff); NOT_FOUND when it is not theirs."""
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None:
        raise NotFound("no unit with this id")
    mine = await persons_of(session, account_id)
    owning = await session.scalar(select(Ownership.person_id).where(Ownership.unit_id == unit_id, Ownership.person_id.in_(list(mine))).limit(1)) if mine else None
    if owning is None and not staff:
        raise NotFound("no unit with this id")
    return owning


def _check_days(since: date | None, until: date | None, today: date) -> None:
    if since is not None and until is not None and until < since:
        raise BadUserInput("the last day comes on or after the first day", field="until")
    if until is not None and until < today:
        raise BadUserInput("the last day is in the past: this stay has ended already", field="until")
    if since is not None and (since - today).days > 366:
        raise BadUserInput("the first day is at most a year ahead", field="since")
    if since is not None and until is not None and (until - since).days > MAX_STAY_DAYS:
        raise BadUserInput("a stay lasts at most 30 years", field="until")


async def add_member(
    session: AsyncSession,
    vault: Vault,
    tenant_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    account_id: uuid.UUID | None,
    staff: bool,
    name: str,
    kind: str,
    phone: str | None = None,
    since: date | None = None,
    until: date | None = None,
    today: date,
) -> Residency:
    """An owner (or staff) adds a family member or renter living in the unit from ``since`` to ``until``."""
    added_by = await owner_of_unit(session, unit_id, account_id, staff=staff)
    if kind not in MEMBER_KINDS:
        raise BadUserInput(f"a household member is one of {', '.join(MEMBER_KINDS)}", field="kind")
    _check_days(since, until, today)
    person = await register_person(session, vault, tenant_id, name=name, phone=phone or None)
    clash = await session.scalar(select(Residency).where(Residency.unit_id == unit_id, Residency.person_id == person.id))
    if clash is not None:  # a returning person: the old stay is replaced (one row per person and unit)
        await session.delete(clash)
        await session.flush()
    row = Residency(unit_id=unit_id, person_id=person.id, kind=kind, since=since or today, until=until, added_by_person_id=added_by)
    session.add(row)
    await session.flush()
    return row


async def end_stay(
    session: AsyncSession, *, residency_id: uuid.UUID, account_id: uuid.UUID | None, staff: bool, until: date, today: date
) -> Residency:
    """Set the last day of a stay (today: ends it now). Only the unit's owners or staff."""
    row = await session.scalar(select(Residency).where(Residency.id == residency_id))
    if row is None:
        raise NotFound("no household member with this id")
    try:
        await owner_of_unit(session, row.unit_id, account_id, staff=staff)
    except NotFound:
        raise NotFound("no household member with this id") from None
    if row.kind not in MEMBER_KINDS and not staff:
        raise NotFound("no household member with this id")  # owner-occupiers are the register's
    if until < today:
        raise BadUserInput("the last day is today or later", field="until")
    if row.since is not None and until < row.since:
        raise BadUserInput("the last day comes on or after the first day", field="until")
    row.until = until
    await session.flush()
    return row


async def household(session: AsyncSession, vault: Vault, tenant_id: uuid.UUID, unit_id: uuid.UUID, *, today: date, include_past: bool = False) -> list[Member]:
    """The unit's residents, current and coming (and past ones with ``include_past``), by first day."""
    stmt = (
        select(Residency, Person.name, Person.phone_enc)
        .join(Person, and_(Person.id == Residency.person_id, Person.tenant_id == Residency.tenant_id))
        .where(Residency.unit_id == unit_id)
    )
    if not include_past:
        stmt = stmt.where((Residency.until.is_(None)) | (Residency.until >= today))
    out = []
    for r, name, phone_enc in await session.execute(stmt):
        current = (r.since is None or r.since <= today) and (r.until is None or r.until >= today)
        phone = vault.decrypt(tenant_id, phone_enc) if phone_enc else None
        out.append(Member(r.id, r.unit_id, r.person_id, name, phone, r.kind, r.since, r.until, current))
    return sorted(out, key=lambda m: (m.since or date.min, m.name))


async def homes_of(session: AsyncSession, account_id: uuid.UUID | None, *, today: date) -> list[tuple[Unit, str]]:
    """Units the login lives in today (owner-occupier, family or renter), with the kind of residency."""
    if account_id is None:
        return []
    rows = await session.execute(
        select(Unit, Residency.kind)
        .join(Residency, and_(Residency.unit_id == Unit.id, Residency.tenant_id == Unit.tenant_id))
        .join(Person, and_(Person.id == Residency.person_id, Person.tenant_id == Residency.tenant_id))
        .where(Person.account_id == account_id, Residency.current(today))
    )
    return [(u, kind) for u, kind in rows]
