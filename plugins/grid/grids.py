"""Grids (网格): create one in a community, give it buildings, and name its members (grid
workers and the residents' committee, who must hold that role in the firm)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kernel.sdk import BadUserInput, Conflict, NotFound
from kernel.sdk.estate import Building, Community
from kernel.sdk.inputs import parse_input
from kernel.sdk.notifications import accounts_with_roles
from plugins.grid.common import record
from plugins.grid.inputs import GridName
from plugins.grid.models import Grid, GridBuilding, GridMember


async def get_grid(session: Any, grid_id: uuid.UUID) -> Grid:
    row = await session.scalar(select(Grid).where(Grid.id == grid_id))
    if row is None:
        raise NotFound("no grid with this id", field="gridId")
    return row  # type: ignore[no-any-return]


async def create_grid(
    session: Any, *, community_id: uuid.UUID, name: str, actor: str = "system"
) -> Grid:
    name = parse_input(GridName, name=name).name
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no community with this id", field="communityId")
    if await session.scalar(
        select(Grid.id).where(Grid.community_id == community_id, Grid.name == name)
    ):
        raise Conflict("this community has a grid with this name already", field="name")
    row = Grid(id=uuid.uuid4(), community_id=community_id, name=name)
    session.add(row)
    await session.flush()
    await record(session, actor, "grid_created", row.id, community_id=str(community_id))
    return row


async def add_building(
    session: Any, *, grid: Grid, building_id: uuid.UUID, actor: str = "system"
) -> GridBuilding:
    """Put a building of the grid's community into the grid (a building is in one grid)."""
    community = await session.scalar(
        select(Building.community_id).where(Building.id == building_id)
    )
    if community is None:
        raise NotFound("no building with this id", field="buildingId")
    if community != grid.community_id:
        raise BadUserInput("the building is not in the grid's community", field="buildingId")
    if await session.scalar(select(GridBuilding.id).where(GridBuilding.building_id == building_id)):
        raise Conflict("this building belongs to a grid already", field="buildingId")
    row = GridBuilding(id=uuid.uuid4(), grid_id=grid.id, building_id=building_id)
    session.add(row)
    await session.flush()
    await record(session, actor, "building_added", grid.id, building_id=str(building_id))
    return row


async def add_member(
    session: Any, *, grid: Grid, account_id: uuid.UUID, role: str, actor: str = "system"
) -> GridMember:
    """Make a login a member of the grid; it must hold ``role`` (grid_worker or
    residents_committee) in the firm."""
    holders = await accounts_with_roles(session, session.info["tenant_id"], [role])
    if account_id not in holders:
        raise BadUserInput(
            f"this login does not have the role {role} in the firm", field="accountId"
        )
    if await session.scalar(
        select(GridMember.id).where(
            GridMember.grid_id == grid.id, GridMember.account_id == account_id
        )
    ):
        raise Conflict("this login is a member of the grid already", field="accountId")
    row = GridMember(id=uuid.uuid4(), grid_id=grid.id, account_id=account_id, role=role)
    session.add(row)
    await session.flush()
    await record(session, actor, "member_added", grid.id, account_id=str(account_id), role=role)
    return row


async def grid_of_building(session: Any, building_id: uuid.UUID | None) -> uuid.UUID | None:
    if building_id is None:
        return None
    return await session.scalar(  # type: ignore[no-any-return]
        select(GridBuilding.grid_id).where(GridBuilding.building_id == building_id)
    )


async def worker_accounts(session: Any, grid_id: uuid.UUID) -> list[uuid.UUID]:
    """The grid's workers' logins (whom its alerts go to)."""
    return list(
        await session.scalars(
            select(GridMember.account_id)
            .where(GridMember.grid_id == grid_id, GridMember.role == "grid_worker")
            .order_by(GridMember.created_at)
        )
    )


async def workers_for_place(
    session: Any, community_id: uuid.UUID, unit_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """The grid workers responsible for a home (service ``grid.workers_for_place``, asked by the
    care plugin when an alert escalates): those of the grid holding the unit's building; without a
    unit, or when its building is in no grid, those of every grid of the community. Accounts in a
    stable order, each once; empty when the community has no grid worker."""
    from kernel.sdk.estate import Unit

    grids = select(Grid.id).where(Grid.community_id == community_id)
    if unit_id is not None:
        building = await session.scalar(
            select(Unit.building_id).where(Unit.id == unit_id, Unit.community_id == community_id)
        )
        if building is not None:
            held = await session.scalar(
                select(GridBuilding.grid_id)
                .join(Grid, Grid.id == GridBuilding.grid_id)
                .where(GridBuilding.building_id == building, Grid.community_id == community_id)
            )
            if held is not None:
                grids = select(Grid.id).where(Grid.id == held)
    rows = await session.scalars(
        select(GridMember.account_id)
        .where(GridMember.grid_id.in_(grids), GridMember.role == "grid_worker")
        .distinct()
        .order_by(GridMember.account_id)
    )
    return list(rows)
