"""The grid plugin's query root; which rows a caller sees is decided in
:mod:`plugins.grid.repository` (managers: all; grid workers and the committee: their grids; a
reporter: their own incidents)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, estate, utcnow
from kernel.sdk.graphql import IsRegulator, decode_id
from kernel.sdk.members import members_with_roles
from kernel.sdk.regulator import read_across_tenants, regulator_streets
from kernel.sdk.repository import Viewer
from plugins.grid import models as m
from plugins.grid.common import unseal
from plugins.grid.followup import audit_read
from plugins.grid.permissions import CARE, MANAGE, OVERSEE, READ, REPORT, Allowed
from plugins.grid.repository import (
    CheckInRepository,
    CheckpointRepository,
    GridRepository,
    IncidentRepository,
    MissedRepository,
    RouteRepository,
    VulnerableRepository,
)
from plugins.grid.stats import community_figures
from plugins.grid.types import (
    Grid,
    GridCheckIn,
    GridCheckpoint,
    GridCommunityStats,
    GridIncident,
    GridMemberCandidate,
    GridMissedCheckpoint,
    GridStreetReferral,
    GridVisit,
    GridVulnerableResident,
    GridVulnerableResidentDetail,
    PatrolRoute,
)
from plugins.grid.vocabulary import (
    GridIncidentCategory,
    GridIncidentStatus,
    GridMemberRole,
    GridVulnerableTag,
)

MAX_STATS_DAYS = 366
MAX_SEARCH = 100


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or utcnow()
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise BadUserInput("give times with a time zone", field="since")
    if not since < until or until - since > timedelta(days=MAX_STATS_DAYS):
        raise BadUserInput(
            f"the period is up to {MAX_STATS_DAYS} days, since before until", field="since"
        )
    return since, until


async def _stats(
    session: Any,
    communities: dict[Any, str],
    since: datetime,
    until: datetime,
    firm: str | None = None,
) -> list[GridCommunityStats]:
    figures = await community_figures(
        session, community_ids=list(communities), since=since, until=until, now=utcnow()
    )
    return [GridCommunityStats.of(f, communities[f.community_id], firm) for f in figures]


def _opt(value: relay.GlobalID | None, type_name: str) -> Any:
    return decode_id(value, type_name) if value is not None else None


async def incident_nodes(session: Any, rows: list[m.Incident]) -> list[GridIncident]:
    updates = await IncidentRepository(session).updates_of([r.id for r in rows])
    return [GridIncident.from_row(r, updates[r.id]) for r in rows]


async def person_names(session: Any, person_ids: list[Any]) -> dict[Any, str]:
    names = await estate.person_names(session, person_ids)
    return {pid: name or "" for pid, name in names.items()}


@strawberry.type
class GridQuery:
    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="Grids: all for managers and auditors, a member's own grids otherwise.",
    )
    async def grids(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[Grid]:
        ctx = info.context
        stmt = GridRepository(ctx.session).readable_statement(Viewer.of(ctx)).order_by(m.Grid.name)
        if community_id is not None:
            stmt = stmt.where(m.Grid.community_id == decode_id(community_id, "Community"))
        rows = list(await ctx.session.scalars(stmt.limit(500)))
        buildings, members = await GridRepository(ctx.session).buildings_and_members(
            [r.id for r in rows]
        )
        return [Grid.from_row(r, buildings[r.id], members[r.id]) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(MANAGE)],
        description="Logins that may be named grid members: the firm's active accounts holding grid_worker or residents_committee (masked names, at most 200), optionally those whose name contains search.",
    )
    async def grid_member_candidates(
        self, info: strawberry.Info, search: str | None = None
    ) -> list[GridMemberCandidate]:
        ctx = info.context
        if search is not None and len(search) > MAX_SEARCH:
            raise BadUserInput(f"search is at most {MAX_SEARCH} characters", field="search")
        found = await members_with_roles(
            ctx.session, ctx.tenant.id, [r.value for r in GridMemberRole], search=search
        )
        return [GridMemberCandidate.of(f.account_id, f.display_name, f.roles) for f in found]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="A grid's patrol routes and checkpoints (tag codes for managers only).",
    )
    async def grid_routes(
        self, info: strawberry.Info, grid_id: relay.GlobalID
    ) -> list[PatrolRoute]:
        ctx = info.context
        actor = Viewer.of(ctx)
        gid_ = decode_id(grid_id, "Grid")
        routes = list(
            await ctx.session.scalars(
                RouteRepository(ctx.session)
                .readable_statement(actor)
                .where(m.PatrolRoute.grid_id == gid_)
                .order_by(m.PatrolRoute.created_at)
            )
        )
        points = list(
            await ctx.session.scalars(
                CheckpointRepository(ctx.session)
                .readable_statement(actor)
                .where(m.Checkpoint.grid_id == gid_)
                .order_by(m.Checkpoint.position)
            )
        )
        with_code = ctx.allowed(*MANAGE)
        return [
            PatrolRoute.from_row(
                r,
                [
                    GridCheckpoint.from_row(p, with_code=with_code)
                    for p in points
                    if p.route_id == r.id
                ],
            )
            for r in routes
        ]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="Check-ins of a grid, newest first (at most 200): who and when, never where.",
    )
    async def grid_check_ins(
        self, info: strawberry.Info, grid_id: relay.GlobalID, since: datetime | None = None
    ) -> list[GridCheckIn]:
        ctx = info.context
        stmt = (
            CheckInRepository(ctx.session)
            .readable_statement(Viewer.of(ctx))
            .where(m.CheckIn.grid_id == decode_id(grid_id, "Grid"))
            .order_by(m.CheckIn.at.desc())
            .limit(200)
        )
        if since is not None:
            if since.tzinfo is None:
                raise BadUserInput("give the time with a time zone", field="since")
            stmt = stmt.where(m.CheckIn.at >= since)
        return [GridCheckIn.from_row(r) for r in await ctx.session.scalars(stmt)]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="Missed checkpoints flagged by the patrol job, newest first (at most 200).",
    )
    async def grid_missed_checkpoints(
        self, info: strawberry.Info, grid_id: relay.GlobalID | None = None
    ) -> list[GridMissedCheckpoint]:
        ctx = info.context
        stmt = (
            MissedRepository(ctx.session)
            .readable_statement(Viewer.of(ctx))
            .order_by(m.MissedCheckpoint.period_end.desc(), m.MissedCheckpoint.id)
            .limit(200)
        )
        if grid_id is not None:
            stmt = stmt.where(m.MissedCheckpoint.grid_id == decode_id(grid_id, "Grid"))
        return [GridMissedCheckpoint.from_row(r) for r in await ctx.session.scalars(stmt)]

    @strawberry.field(
        permission_classes=[Allowed(READ)],
        description="Incidents, newest first: all for managers, a member's grids otherwise.",
    )
    async def grid_incidents(
        self,
        info: strawberry.Info,
        status: GridIncidentStatus | None = None,
        grid_id: relay.GlobalID | None = None,
    ) -> list[GridIncident]:
        ctx = info.context
        rows = await IncidentRepository(ctx.session).listed(
            Viewer.of(ctx),
            status=status.value if status is not None else None,
            grid_id=_opt(grid_id, "Grid"),
        )
        return await incident_nodes(ctx.session, rows)

    @strawberry.field(
        permission_classes=[Allowed(REPORT)],
        description="The incidents I reported, with their follow-up and closure.",
    )
    async def my_grid_incidents(self, info: strawberry.Info) -> list[GridIncident]:
        ctx = info.context
        if ctx.actor.account_id is None:
            return []
        rows = await IncidentRepository(ctx.session).listed(Viewer.of(ctx), mine=True)
        return await incident_nodes(ctx.session, rows)

    @strawberry.field(
        permission_classes=[Allowed(READ, REPORT)],
        description="One incident, if the caller may read it (a reporter: their own).",
    )
    async def grid_incident(self, info: strawberry.Info, id: relay.GlobalID) -> GridIncident | None:
        ctx = info.context
        row = await IncidentRepository(ctx.session).get_by_id(
            decode_id(id, "GridIncident"), actor=Viewer.of(ctx)
        )
        return (await incident_nodes(ctx.session, [row]))[0] if row is not None else None

    @strawberry.field(
        permission_classes=[Allowed(CARE)],
        description="Followed-up residents (masked, no tags) of the caller's grids, most due first.",
    )
    async def grid_vulnerable_residents(
        self,
        info: strawberry.Info,
        grid_id: relay.GlobalID | None = None,
        overdue_only: bool = False,
    ) -> list[GridVulnerableResident]:
        ctx = info.context
        now = utcnow()
        stmt = (
            VulnerableRepository(ctx.session)
            .readable_statement(Viewer.of(ctx))
            .order_by(m.VulnerableResident.next_visit_due, m.VulnerableResident.id)
            .limit(500)
        )
        if grid_id is not None:
            stmt = stmt.where(m.VulnerableResident.grid_id == decode_id(grid_id, "Grid"))
        if overdue_only:
            stmt = stmt.where(
                m.VulnerableResident.status == "active", m.VulnerableResident.next_visit_due < now
            )
        rows = list(await ctx.session.scalars(stmt))
        names = await person_names(ctx.session, [r.person_id for r in rows])
        return [GridVulnerableResident.from_row(r, names.get(r.person_id, ""), now) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(CARE)],
        description="One followed-up resident in full: name, tags, visit notes. Every read is audited.",
    )
    async def grid_vulnerable_resident(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> GridVulnerableResidentDetail | None:
        ctx = info.context
        residents = VulnerableRepository(ctx.session)
        row = await residents.get_by_id(
            decode_id(id, "GridVulnerableResident"), actor=Viewer.of(ctx)
        )
        if row is None:
            return None
        vault, tenant_id = ctx.runtime.vault, ctx.tenant.id
        name = (await person_names(ctx.session, [row.person_id])).get(row.person_id, "")
        tags = [
            GridVulnerableTag(t)
            for t in (unseal(vault, tenant_id, row.tags_enc) or "").split(",")
            if t
        ]
        visits = await residents.visits(row.id)
        await audit_read(ctx.session, resident=row, actor=ctx.actor.label)
        return GridVulnerableResidentDetail(
            resident=GridVulnerableResident.from_row(row, name, utcnow()),
            name=name,
            tags=tags,
            person_id=row.person_id,
            visits=[
                GridVisit(
                    visited_at=v.visited_at, by=v.by, note=unseal(vault, tenant_id, v.note_enc)
                )
                for v in visits
            ],
        )

    @strawberry.field(
        permission_classes=[Allowed(MANAGE, OVERSEE)],
        description="Grid governance figures per community for a period (default the last 30 days).",
    )
    async def grid_stats(
        self, info: strawberry.Info, since: datetime | None = None, until: datetime | None = None
    ) -> list[GridCommunityStats]:
        ctx = info.context
        start, end = _period(since, until)
        communities = await estate.community_names(ctx.session)
        return await _stats(ctx.session, communities, start, end)

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: grid governance figures of every community of the street, per firm (aggregates only; audited in each firm).",
    )
    async def grid_street_stats(
        self, info: strawberry.Info, since: datetime | None = None, until: datetime | None = None
    ) -> list[GridCommunityStats]:
        actor = info.context.actor
        street = actor.regulator_street
        streets = await regulator_streets(info.context.runtime, street)
        start, end = _period(since, until)

        async def read(session: Any, tenant: Any) -> list[GridCommunityStats]:
            communities = await estate.community_names(session, street_codes=streets)
            return (
                await _stats(session, communities, start, end, tenant.name) if communities else []
            )

        return await read_across_tenants(
            info.context.runtime,
            regulator=actor.label,
            street_code=street,
            action="regulator.read_grid_stats",
            read=read,
            plugin="grid",
        )

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: incidents referred to it by the firms of its street — minimal data (no reporter, place or description); audited in each firm.",
    )
    async def grid_street_referrals(
        self, info: strawberry.Info, status: GridIncidentStatus | None = None
    ) -> list[GridStreetReferral]:
        actor = info.context.actor
        street = actor.regulator_street
        streets = await regulator_streets(info.context.runtime, street)
        if status is not None and status not in (
            GridIncidentStatus.referred,
            GridIncidentStatus.closed,
        ):
            raise BadUserInput(
                "the street office sees referred and closed referrals", field="status"
            )

        async def read(session: Any, tenant: Any) -> list[GridStreetReferral]:
            communities = await estate.community_names(session, street_codes=streets)
            if not communities:
                return []
            rows = await IncidentRepository(session).referred_in(
                list(communities), status.value if status is not None else None
            )
            return [
                GridStreetReferral(
                    reference=str(r.id)[:8],
                    firm=tenant.name,
                    community=communities[r.community_id],
                    category=GridIncidentCategory(r.category),
                    status=GridIncidentStatus(r.status),
                    referred_at=r.referred_at,
                    closed_at=r.closed_at,
                )
                for r in rows
            ]

        return await read_across_tenants(
            info.context.runtime,
            regulator=actor.label,
            street_code=street,
            action="regulator.read_grid_referrals",
            read=read,
            plugin="grid",
        )


__all__ = ["GridQuery"]
