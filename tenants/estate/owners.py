"""Who speaks for a unit in owners' decisions: the co-owners' designated voter and the developer's representative.

SPC interpretation on building ownership, Art. 9: co-owners of one unit count as one person and cast one
ballot, choosing who casts it; all the developer's unsold units count as one person, who votes through a
representative. Both choices are recorded here (audited by the caller) and read by ``voting.holdings_of``.
Flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import BadUserInput, NotFound
from kernel.identity.authz import Policies
from kernel.identity.members import require_member
from tenants.estate.models import Ownership, Person, Unit, VoterDesignation

#: The register's name for the developer when none is recorded yet (the importer uses the same).
DEVELOPER_NAME = "开发建设单位（未售房屋）"


@dataclass(frozen=True)
class UnitVoter:
    """A co-owned unit's designation as every co-owner sees it."""

    unit_id: uuid.UUID
    person_id: uuid.UUID | None
    name: str | None
    #: The co-owner's name who recorded it, or ``staff`` (the firm recorded the co-owners' written choice).
    designated_by: str | None


async def persons_of(session: AsyncSession, account_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The register's persons linked to a login (an owner may be several: natural person, developer)."""
    if account_id is None:
        return set()
    return set((await session.scalars(select(Person.id).where(Person.account_id == account_id))).all())


async def owners_of(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None:
        raise NotFound("no unit with this id")
    return list((await session.scalars(select(Ownership.person_id).where(Ownership.unit_id == unit_id))).all())


async def designate_voter(
    session: AsyncSession, *, unit_id: uuid.UUID, person_id: uuid.UUID, by_account: uuid.UUID | None, by_staff: bool, label: str
) -> VoterDesignation:
    """Record which co-owner casts the unit's ballot.

    A co-owner records it for their own unit; staff (``persons:write``) record the co-owners' written
    choice. A unit that is not yours answers NOT_FOUND, as an unknown one; the designee must own the unit.
    """
    owners = await owners_of(session, unit_id)
    mine = await persons_of(session, by_account)
    by_person = next(iter(sorted(mine & set(owners), key=str)), None)
    if by_person is None and not by_staff:
        raise NotFound("no unit with this id")
    if len(owners) < 2:
        raise BadUserInput("this unit has one owner, who votes for it; designation is for co-owned units", field="unitId")
    if person_id not in owners:
        raise BadUserInput("the designated voter must be one of the unit's co-owners", field="personId")
    row = await session.scalar(select(VoterDesignation).where(VoterDesignation.unit_id == unit_id))
    if row is None:
        row = VoterDesignation(unit_id=unit_id, person_id=person_id)
        session.add(row)
    row.person_id, row.designated_by_person_id, row.designated_by = person_id, by_person, label
    await session.flush()
    return row


async def clear_designation(session: AsyncSession, *, unit_id: uuid.UUID, by_account: uuid.UUID | None, by_staff: bool) -> bool:
    """Remove a unit's designation (any co-owner may vote again); ``False`` if there was none."""
    owners = await owners_of(session, unit_id)
    if not by_staff and not (await persons_of(session, by_account)) & set(owners):
        raise NotFound("no unit with this id")
    row = await session.scalar(select(VoterDesignation).where(VoterDesignation.unit_id == unit_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def unit_voter(session: AsyncSession, unit_id: uuid.UUID) -> UnitVoter:
    row = await session.scalar(select(VoterDesignation).where(VoterDesignation.unit_id == unit_id))
    if row is None:
        return UnitVoter(unit_id, None, None, None)
    name = await session.scalar(select(Person.name).where(Person.id == row.person_id))
    by = "staff"
    if row.designated_by_person_id is not None:
        by = await session.scalar(select(Person.name).where(Person.id == row.designated_by_person_id)) or "a co-owner"
    return UnitVoter(unit_id, row.person_id, name, by)


async def developer_person(session: AsyncSession) -> Person:
    """The developer's one person in the register (created when the firm has none yet)."""
    row = await session.scalar(select(Person).where(Person.kind == "developer").order_by(Person.created_at).limit(1))
    if row is None:
        row = Person(kind="developer", name=DEVELOPER_NAME)
        session.add(row)
        await session.flush()
    return row


async def link_developer_representative(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID | None) -> Person:
    """Make ``account_id`` (a login of this firm) the developer's representative, or unlink with ``None``.

    The representative casts the one ballot of all unsold units and gets the ``owner`` role (it votes and
    takes part in fund decisions for those units). A login of another firm answers like an unknown one.
    """
    developer = await developer_person(session)
    if account_id is not None:
        await require_member(session, account_id)  # another firm's login answers like an unknown one
        if developer.account_id != account_id:
            await Policies(session, tenant_id).assign_role(account_id, "owner", source="tenant")
    elif developer.account_id is None:
        raise BadUserInput("the developer has no representative to unlink", field="accountId")
    developer.account_id = account_id
    await session.flush()
    return developer

