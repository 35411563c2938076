"""The estate room's implementation of :class:`kernel.sdk.estate.EstateReader`: what plugins may
read of the estate and its occupancy. Registered at load by ``tenants.plugin`` and declared as
the ``linli.estate`` entry point."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.estate import Holding, VotingUnit
from tenants.estate import models, service, voting


class TenantsEstate:
    Community = models.Community
    Compound = models.Compound
    Building = models.Building
    Unit = models.Unit
    Person = models.Person
    Ownership = models.Ownership
    Residency = models.Residency

    async def units_owned_by_account(self, session: AsyncSession, account_id: uuid.UUID) -> Sequence[Any]:
        return await service.units_owned_by_account(session, account_id)

    async def voting_units(
        self, session: AsyncSession, community_id: uuid.UUID, building_ids: list[uuid.UUID] | None = None
    ) -> list[VotingUnit]:
        return await voting.voting_units(session, community_id, building_ids)

    async def accounts_of_units(self, session: AsyncSession, units: Any, *, residents: bool = True) -> list[uuid.UUID]:
        return await service.accounts_of_units(session, units, residents=residents)
    async def holdings_of(
        self,
        session: AsyncSession,
        person_ids: set[uuid.UUID],
        community_id: uuid.UUID,
        building_ids: list[uuid.UUID] | None = None,
    ) -> dict[str, Holding]:
        return await voting.holdings_of(session, person_ids, community_id, building_ids)


ESTATE = TenantsEstate()
