"""Art. 278 counting rules over the estate (SPC interpretation on building ownership, Arts. 8–9).

* area: each unit's registered area (hundredths of m²);
* persons: one per unit, except that units owned by the same buyer count once, and all the
  developer's unsold/undelivered units count as one person together. A co-owned unit's owners
  form one "buyer" (they vote through one representative).

Who casts the ballot of a person key (:func:`holdings_of`): an owner for their own units; for a co-owned
unit the co-owner the co-owners designated (``VoterDesignation``), or any of them while none is; for the
developer's key, a login staff linked to the developer's person (its representative).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.estate import DEVELOPER, Holding, Totals, VotingUnit, person_key_for, totals
from tenants.estate.models import Building, Ownership, Person, Unit, VoterDesignation


async def voting_units(session: AsyncSession, community_id: uuid.UUID, building_ids: list[uuid.UUID] | None = None) -> list[VotingUnit]:
    stmt = select(Unit.id, Unit.registered_area, Unit.sold).where(Unit.community_id == community_id)
    if building_ids:
        stmt = stmt.where(Unit.building_id.in_(building_ids))
    units = (await session.execute(stmt)).all()
    owners: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    ids = [u.id for u in units]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for unit_id, person_id in await session.execute(select(Ownership.unit_id, Ownership.person_id).where(Ownership.unit_id.in_(part))):
            owners[unit_id].append(person_id)
    return [VotingUnit(u.id, u.registered_area, person_key_for(u.sold, owners[u.id])) for u in units]


def _scoped(stmt, community_id: uuid.UUID, building_ids: list[uuid.UUID] | None):  # type: ignore[no-untyped-def]
    stmt = stmt.where(Unit.community_id == community_id)
    if building_ids:
        stmt = stmt.where(Unit.building_id.in_(building_ids))
    return stmt


async def holdings_of(
    session: AsyncSession, person_ids: set[uuid.UUID], community_id: uuid.UUID, building_ids: list[uuid.UUID] | None = None
) -> dict[str, Holding]:
    """The person keys in scope that ``person_ids`` (one login's persons) vote through.

    Reads only those persons' units and their co-owners (plus, for the developer's representative, the
    unsold units), so a vote costs the same in a 5,000-unit community.
    """
    if not person_ids:
        return {}
    ids = list(person_ids)
    owned = _scoped(
        select(Unit.id, Unit.registered_area, Unit.sold)
        .join(Ownership, and_(Ownership.unit_id == Unit.id, Ownership.tenant_id == Unit.tenant_id))
        .where(Ownership.person_id.in_(ids)),
        community_id,
        building_ids,
    )
    units = {u.id: u for u in (await session.execute(owned)).all()}
    developer = await session.scalar(select(Person.id).where(Person.id.in_(ids), Person.kind == "developer").limit(1))
    if developer is not None:
        # All the developer's units: unsold, or with no owner recorded (``person_key_for`` → developer).
        unowned = ~exists().where(Ownership.unit_id == Unit.id, Ownership.tenant_id == Unit.tenant_id)
        stmt = _scoped(select(Unit.id, Unit.registered_area, Unit.sold).where(or_(Unit.sold.is_(False), unowned)), community_id, building_ids)
        units.update({u.id: u for u in (await session.execute(stmt)).all()})
    if not units:
        return {}
    owners: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for unit_id, person_id in await session.execute(select(Ownership.unit_id, Ownership.person_id).where(Ownership.unit_id.in_(list(units)))):
        owners[unit_id].append(person_id)
    by_key: dict[str, list[VotingUnit]] = defaultdict(list)
    owners_of: dict[str, set[uuid.UUID]] = defaultdict(set)
    for u in units.values():
        key = person_key_for(u.sold, owners[u.id])
        if key == DEVELOPER:
            if developer is None:
                continue  # an unsold unit with a buyer recorded: the developer's representative votes for it
            owners_of[key].add(developer)
        else:
            if not person_ids & set(owners[u.id]):
                continue
            owners_of[key].update(owners[u.id])
        by_key[key].append(VotingUnit(u.id, u.registered_area, key))
    designated: dict[str, uuid.UUID] = {}
    co_owned = [v.unit_id for key, vs in by_key.items() if "+" in key for v in vs]
    if co_owned:
        rows = await session.execute(
            select(VoterDesignation.unit_id, VoterDesignation.person_id)
            .where(VoterDesignation.unit_id.in_(co_owned))
            .order_by(VoterDesignation.created_at.desc())
        )
        key_of = {v.unit_id: key for key, vs in by_key.items() for v in vs}
        for unit_id, person_id in rows:
            designated.setdefault(key_of[unit_id], person_id)
    out: dict[str, Holding] = {}
    for key, vs in by_key.items():
        chosen = designated.get(key)
        out[key] = Holding(key, tuple(vs), frozenset(owners_of[key]), chosen, chosen is None or chosen in person_ids)
    return out


__all__ = ["DEVELOPER", "Building", "Holding", "Totals", "VotingUnit", "holdings_of", "person_key_for", "totals", "voting_units"]
