"""Mirror the estate's voting units into a community's ``OwnersRegistry`` (through the relayer).

The caller (a plugin whose contract builds on the registry) computes the units and who votes for each with
``tenants.estate.voting`` (Art. 278 counting rules) and passes them here; this module assigns on-chain unit
and building numbers, maps each holder key to its address (:mod:`kernel.chain.custody`) and queues the
``registerUnits`` / ``transferUnits`` / ``defineScope`` / ``includeUnitsInScope`` intents. Each batch carries
a guard (``unitCount``, ``scopeCount``) so a re-delivery after a crash does not register twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .custody import holder_addresses
from .models import ChainScope, ChainUnit
from .relay import CommunityContracts, enqueue_chain_call

__all__ = ["BATCH", "UnitToRegister", "ensure_scope", "sync_units"]

#: Units per ``registerUnits`` / ``includeUnitsInScope`` transaction.
BATCH = 100


@dataclass(frozen=True)
class UnitToRegister:
    """A unit as the registry needs it: registered area (hundredths of m²) and who votes for it."""

    unit_id: uuid.UUID
    building_id: uuid.UUID
    area: int
    holder_key: str


async def sync_units(runtime: Any, session: AsyncSession, deployment: CommunityContracts, units: list[UnitToRegister]) -> dict[str, int]:
    """Register the units not yet on chain and transfer those whose holder changed; returns counts."""
    community_id = deployment.community_id
    known = {cu.unit_id: cu for cu in (await session.scalars(select(ChainUnit).where(ChainUnit.community_id == community_id))).all()}
    next_id = max((cu.chain_unit_id for cu in known.values()), default=0) + 1
    building_nos = {cu.building_id: cu.building_no for cu in known.values()}
    new: list[ChainUnit] = []
    transfers: list[tuple[int, str]] = []
    addresses = await holder_addresses(runtime, session, [u.holder_key for u in units if u.area > 0])
    for unit in sorted(units, key=lambda u: (str(u.building_id), str(u.unit_id))):
        if unit.area <= 0:
            continue
        address = addresses[unit.holder_key]
        row = known.get(unit.unit_id)
        if row is not None:
            if row.owner_address != address:
                transfers.append((row.chain_unit_id, address))
                row.owner_address, row.holder_key = address, unit.holder_key
            continue
        if unit.building_id not in building_nos:
            building_nos[unit.building_id] = max(building_nos.values(), default=0) + 1
        row = ChainUnit(
            community_id=community_id,
            unit_id=unit.unit_id,
            building_id=unit.building_id,
            chain_unit_id=next_id,
            building_no=building_nos[unit.building_id],
            holder_key=unit.holder_key,
            owner_address=address,
            area=unit.area,
        )
        next_id += 1
        session.add(row)
        new.append(row)
    await session.flush()
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        first, last = batch[0].chain_unit_id, batch[-1].chain_unit_id
        await enqueue_chain_call(
            session,
            community_id=community_id,
            contract="registry",
            function="registerUnits",
            args=[[u.owner_address for u in batch], [u.area for u in batch], [u.building_no for u in batch]],
            intent=f"registry:register:{community_id}:{first}-{last}",
            guard={"view": "unitCount", "min": last},
        )
    for chain_unit_id, address in transfers:
        await enqueue_chain_call(
            session,
            community_id=community_id,
            contract="registry",
            function="transferUnits",
            args=[[chain_unit_id], [address]],
            intent=f"registry:transfer:{community_id}:{chain_unit_id}:{address}",
        )
    return {"registered": len(new), "transferred": len(transfers)}


async def ensure_scope(session: AsyncSession, deployment: CommunityContracts, building_ids: list[uuid.UUID]) -> int:
    """The registry scope of exactly ``building_ids`` (0 = the whole community when empty).

    A new scope is declared (``defineScope``) and back-filled with the units already registered in those
    buildings (``includeUnitsInScope``); scope numbers are assigned in order, as the registry does, because
    every registry write of the community goes through the relayer in order. Call after :func:`sync_units`.
    """
    if not building_ids:
        return 0
    community_id = deployment.community_id
    key = ",".join(sorted(str(b) for b in set(building_ids)))
    existing = await session.scalar(select(ChainScope).where(ChainScope.community_id == community_id, ChainScope.buildings_key == key))
    if existing is not None:
        return existing.scope_no
    units = list(
        (await session.scalars(select(ChainUnit).where(ChainUnit.community_id == community_id, ChainUnit.building_id.in_(list(set(building_ids)))))).all()
    )
    if not units:
        raise ValueError("no registered unit in these buildings")
    scope_no = int(await session.scalar(select(func.count()).select_from(ChainScope).where(ChainScope.community_id == community_id)) or 0) + 1
    session.add(ChainScope(community_id=community_id, buildings_key=key, scope_no=scope_no))
    await session.flush()
    building_nos = sorted({u.building_no for u in units})
    await enqueue_chain_call(
        session,
        community_id=community_id,
        contract="registry",
        function="defineScope",
        args=[building_nos],
        intent=f"registry:scope:{community_id}:{scope_no}",
        guard={"view": "scopeCount", "min": scope_no},
    )
    ids = sorted(u.chain_unit_id for u in units)
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        await enqueue_chain_call(
            session,
            community_id=community_id,
            contract="registry",
            function="includeUnitsInScope",
            args=[scope_no, part],
            intent=f"registry:scope:{community_id}:{scope_no}:include:{part[0]}",
        )
    return scope_no
