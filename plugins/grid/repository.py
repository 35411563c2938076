"""Reading grid data: the row-level access rules live here, once.

* ``grid:manage`` (tenant admin, property staff) and ``grid:oversee`` (auditors) see every grid;
* anyone else — a grid worker, a member of the residents' committee — sees only the grids they
  are a member of, and what belongs to them (routes, checkpoints, check-ins, missed
  checkpoints, incidents, vulnerable residents);
* an incident is also readable by its reporter (a resident follows their own report).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select

from kernel.sdk.repository import Repository, Viewer
from plugins.grid import models as m


def sees_all(actor: Viewer) -> bool:
    return actor.allowed("grid", "manage") or actor.allowed("grid", "oversee")


def member_grid_ids(actor: Viewer) -> Select[Any]:
    """The ids of the grids ``actor`` is a member of (none without a login)."""
    if actor.account_id is None:
        return select(m.GridMember.grid_id).where(false())
    return select(m.GridMember.grid_id).where(m.GridMember.account_id == actor.account_id)


async def is_member(session: Any, actor: Viewer, grid_id: uuid.UUID) -> bool:
    if sees_all(actor):
        return True
    found = await session.scalar(member_grid_ids(actor).where(m.GridMember.grid_id == grid_id))
    return found is not None


class _InGrid(Repository[Any]):
    """Rows with a ``grid_id``: readable in the actor's grids."""

    grid_column = "grid_id"

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if sees_all(actor):
            return stmt
        return stmt.where(getattr(self.model, self.grid_column).in_(member_grid_ids(actor)))


class GridRepository(_InGrid):
    async def buildings_and_members(
        self, grid_ids: list[uuid.UUID]
    ) -> tuple[dict[Any, list[Any]], dict[Any, list[m.GridMember]]]:
        """Each grid's building ids and members, oldest first, in two queries."""
        buildings: dict[Any, list[Any]] = {i: [] for i in grid_ids}
        members: dict[Any, list[m.GridMember]] = {i: [] for i in grid_ids}
        if grid_ids:
            for b in await self.session.scalars(
                select(m.GridBuilding)
                .where(m.GridBuilding.grid_id.in_(grid_ids))
                .order_by(m.GridBuilding.created_at)
            ):
                buildings[b.grid_id].append(b.building_id)
            for x in await self.session.scalars(
                select(m.GridMember)
                .where(m.GridMember.grid_id.in_(grid_ids))
                .order_by(m.GridMember.created_at)
            ):
                members[x.grid_id].append(x)
        return buildings, members


    model = m.Grid
    grid_column = "id"


class RouteRepository(_InGrid):
    model = m.PatrolRoute


class CheckpointRepository(_InGrid):
    model = m.Checkpoint


class CheckInRepository(_InGrid):
    model = m.CheckIn


class MissedRepository(_InGrid):
    model = m.MissedCheckpoint


class VulnerableRepository(_InGrid):
    model = m.VulnerableResident

    async def visits(self, resident_id: uuid.UUID, limit: int = 100) -> list[m.Visit]:
        """A resident's visits, newest first (the caller has read the resident)."""
        stmt = (
            select(m.Visit)
            .where(m.Visit.resident_id == resident_id)
            .order_by(m.Visit.visited_at.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))


class IncidentRepository(Repository[m.Incident]):
    model = m.Incident

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if sees_all(actor):
            return stmt
        own = (
            m.Incident.reporter_account_id == actor.account_id
            if actor.account_id is not None
            else false()
        )
        return stmt.where(or_(m.Incident.grid_id.in_(member_grid_ids(actor)), own))

    async def listed(
        self,
        actor: Viewer,
        *,
        status: str | None = None,
        grid_id: uuid.UUID | None = None,
        mine: bool = False,
        limit: int = 200,
    ) -> list[m.Incident]:
        stmt = self.readable_statement(actor).order_by(m.Incident.created_at.desc(), m.Incident.id)
        if status is not None:
            stmt = stmt.where(m.Incident.status == status)
        if grid_id is not None:
            stmt = stmt.where(m.Incident.grid_id == grid_id)
        if mine:
            stmt = stmt.where(m.Incident.reporter_account_id == actor.account_id)
        return list(await self.session.scalars(stmt.limit(limit)))

    async def updates_of(self, ids: list[uuid.UUID]) -> dict[Any, list[m.IncidentUpdate]]:
        """Each incident's updates, in order, in one query."""
        updates: dict[Any, list[m.IncidentUpdate]] = {i: [] for i in ids}
        if ids:
            for u in await self.session.scalars(
                select(m.IncidentUpdate)
                .where(m.IncidentUpdate.incident_id.in_(ids))
                .order_by(m.IncidentUpdate.at, m.IncidentUpdate.created_at)
            ):
                updates[u.incident_id].append(u)
        return updates

    async def referred_in(
        self, community_ids: list[uuid.UUID], status: str | None = None, limit: int = 500
    ) -> list[m.Incident]:
        """Incidents of ``community_ids`` referred to the street office, newest referral first
        (a street office's read across firms, through :func:`kernel.sdk.regulator.read_across_tenants`)."""
        stmt = (
            self.base_statement()
            .where(m.Incident.community_id.in_(community_ids), m.Incident.referred_at.is_not(None))
            .order_by(m.Incident.referred_at.desc())
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(m.Incident.status == status)
        return list(await self.session.scalars(stmt))
