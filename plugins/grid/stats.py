"""Per-community figures of grid governance, for the firm and (aggregates only) the street office:
incidents reported, referred, closed and still open, missed checkpoints, residents followed up and
visits overdue. No row names a person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from plugins.grid.models import Grid, Incident, MissedCheckpoint, VulnerableResident


@dataclass(frozen=True)
class CommunityFigures:
    community_id: uuid.UUID
    incidents_reported: int
    incidents_referred: int
    incidents_closed: int
    incidents_open: int
    checkpoints_missed: int
    residents_followed: int
    visits_overdue: int


async def community_figures(
    session: Any, *, community_ids: list[uuid.UUID], since: datetime, until: datetime, now: datetime
) -> list[CommunityFigures]:
    """Figures for each of ``community_ids`` (incidents and missed checkpoints of the period
    ``since``–``until``; follow-up as of ``now``)."""
    out = []
    for cid in community_ids:
        in_period = (
            Incident.community_id == cid,
            Incident.created_at >= since,
            Incident.created_at < until,
        )

        async def count(*where: Any, model: Any = Incident) -> int:
            return int(
                await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
            )

        grids = select(Grid.id).where(Grid.community_id == cid)
        out.append(
            CommunityFigures(
                community_id=cid,
                incidents_reported=await count(*in_period),
                incidents_referred=await count(*in_period, Incident.referred_at.is_not(None)),
                incidents_closed=await count(*in_period, Incident.status == "closed"),
                incidents_open=await count(
                    Incident.community_id == cid, Incident.status != "closed"
                ),
                checkpoints_missed=await count(
                    MissedCheckpoint.grid_id.in_(grids),
                    MissedCheckpoint.period_end >= since,
                    MissedCheckpoint.period_end < until,
                    model=MissedCheckpoint,
                ),
                residents_followed=await count(
                    VulnerableResident.grid_id.in_(grids),
                    VulnerableResident.status == "active",
                    model=VulnerableResident,
                ),
                visits_overdue=await count(
                    VulnerableResident.grid_id.in_(grids),
                    VulnerableResident.status == "active",
                    VulnerableResident.next_visit_due < now,
                    model=VulnerableResident,
                ),
            )
        )
    return out
