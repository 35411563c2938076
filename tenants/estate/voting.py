"""Art. 278 counting rules over the estate (SPC interpretation on building ownership, Arts. 8–9).

* area: each unit's registered area (hundredths of m²);
* persons: one per unit, except that units owned by the same buyer count once, and all the
  developer's unsold/undelivered units count as one person together. A co-owned unit's owners
  form one "buyer" (they vote through one representative).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.estate import DEVELOPER, Totals, VotingUnit, person_key_for, totals
from tenants.estate.models import Building, Ownership, Unit


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


__all__ = ["DEVELOPER", "Building", "Totals", "VotingUnit", "person_key_for", "totals", "voting_units"]
