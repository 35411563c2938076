"""Reading inspection routes and rounds: the row-level access rules live here, once.

Inspection data is staff data: ``inspections:read`` sees every route and round of the tenant;
nobody else sees any (a caller without it gets FORBIDDEN from the field's permission first).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false

from kernel.sdk.repository import Repository, Viewer
from plugins.inspections import models as m


def _staff_only(stmt: Select[Any], actor: Viewer) -> Select[Any]:
    return stmt if actor.allowed("inspections", "read") else stmt.where(false())


class RouteRepository(Repository[m.InspectionRoute]):
    model = m.InspectionRoute

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _staff_only(self.base_statement(), actor)

    async def listed(
        self, actor: Viewer, *, community_id: uuid.UUID | None = None
    ) -> list[m.InspectionRoute]:
        """Routes by name, of one community or all."""
        where = {"community_id": community_id} if community_id is not None else {}
        return await self.list_by(actor=actor, order_by=[m.InspectionRoute.name], **where)


class RoundRepository(Repository[m.InspectionRound]):
    model = m.InspectionRound

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _staff_only(self.base_statement(), actor)

    async def newest(
        self,
        actor: Viewer,
        *,
        route_id: uuid.UUID | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[m.InspectionRound]:
        """Rounds newest first (at most ``limit``), of one route and/or in one status."""
        stmt = (
            self.readable_statement(actor)
            .order_by(m.InspectionRound.created_at.desc())
            .limit(limit)
        )
        if route_id is not None:
            stmt = stmt.where(m.InspectionRound.route_id == route_id)
        if status is not None:
            stmt = stmt.where(m.InspectionRound.status == status)
        return list(await self.session.scalars(stmt))
