"""The grid plugin's mutation root: decode ids, find the row through the repository (what the
caller may not read answers NOT_FOUND), call the service (which audits and publishes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, NotFound, utcnow
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Repository, Viewer
from plugins.grid import followup, grids, incidents, patrol
from plugins.grid import models as m
from plugins.grid.permissions import CARE, FOLLOW_UP, MANAGE, PATROL, REPORT, Allowed
from plugins.grid.queries import incident_nodes, person_names
from plugins.grid.repository import (
    CheckpointRepository,
    GridRepository,
    IncidentRepository,
    RouteRepository,
    VulnerableRepository,
)
from plugins.grid.types import (
    Grid,
    GridCheckIn,
    GridCheckpoint,
    GridIncident,
    GridVulnerableResident,
    PatrolRoute,
)
from plugins.grid.vocabulary import (
    GridIncidentCategory,
    GridIncidentRoute,
    GridMemberRole,
    GridTagKind,
    GridVulnerableTag,
)


def _uuid(value: strawberry.ID, field: str) -> uuid.UUID:
    """A plain UUID (a person's or a login's id, as the estate and people APIs give them)."""
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise BadUserInput(f"malformed {field}", field=field) from exc


async def _readable(
    info: strawberry.Info,
    repo: type[Repository[Any]],
    gid: relay.GlobalID,
    type_name: str,
    field: str,
) -> Any:
    ctx = info.context
    row = await repo(ctx.session).get_by_id(decode_id(gid, type_name), actor=Viewer.of(ctx))
    if row is None:
        raise NotFound(f"no {type_name} with this id that you may see", field=field)
    return row


async def _grid_node(info: strawberry.Info, row: m.Grid) -> Grid:
    buildings, members = await GridRepository(info.context.session).buildings_and_members([row.id])
    return Grid.from_row(row, buildings[row.id], members[row.id])


async def _resident_node(
    info: strawberry.Info, row: m.VulnerableResident
) -> GridVulnerableResident:
    names = await person_names(info.context.session, [row.person_id])
    return GridVulnerableResident.from_row(row, names.get(row.person_id, ""), utcnow())


async def _incident(info: strawberry.Info, gid: relay.GlobalID) -> m.Incident:
    return await _readable(info, IncidentRepository, gid, "GridIncident", "incidentId")  # type: ignore[no-any-return]


@strawberry.type
class GridMutation:
    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="Create a grid in a community."
    )
    async def create_grid(
        self, info: strawberry.Info, community_id: relay.GlobalID, name: str
    ) -> Grid:
        ctx = info.context
        row = await grids.create_grid(
            ctx.session,
            community_id=decode_id(community_id, "Community"),
            name=name,
            actor=ctx.actor.label,
        )
        return await _grid_node(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Put a building of the grid's community into the grid.",
    )
    async def add_grid_building(
        self, info: strawberry.Info, grid_id: relay.GlobalID, building_id: relay.GlobalID
    ) -> Grid:
        ctx = info.context
        grid = await _readable(info, GridRepository, grid_id, "Grid", "gridId")
        await grids.add_building(
            ctx.session,
            grid=grid,
            building_id=decode_id(building_id, "Building"),
            actor=ctx.actor.label,
        )
        return await _grid_node(info, grid)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Make a login holding the role grid_worker or residents_committee a member of the grid.",
    )
    async def add_grid_member(
        self,
        info: strawberry.Info,
        grid_id: relay.GlobalID,
        account_id: strawberry.ID,
        role: GridMemberRole,
    ) -> Grid:
        ctx = info.context
        grid = await _readable(info, GridRepository, grid_id, "Grid", "gridId")
        await grids.add_member(
            ctx.session,
            grid=grid,
            account_id=_uuid(account_id, "accountId"),
            role=role.value,
            actor=ctx.actor.label,
        )
        return await _grid_node(info, grid)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="A patrol route: each checkpoint once per period of intervalMinutes (30–10080) from startsAt (default now).",
    )
    async def create_patrol_route(
        self,
        info: strawberry.Info,
        grid_id: relay.GlobalID,
        name: str,
        interval_minutes: int,
        starts_at: datetime | None = None,
    ) -> PatrolRoute:
        ctx = info.context
        grid = await _readable(info, GridRepository, grid_id, "Grid", "gridId")
        row = await patrol.create_route(
            ctx.session,
            grid=grid,
            name=name,
            interval_minutes=interval_minutes,
            starts_at=starts_at,
            actor=ctx.actor.label,
        )
        return PatrolRoute.from_row(row, [])

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="A checkpoint at the end of a route; tagCode is an NFC tag's id, or left out for a printed QR code.",
    )
    async def add_patrol_checkpoint(
        self,
        info: strawberry.Info,
        route_id: relay.GlobalID,
        name: str,
        tag_kind: GridTagKind = GridTagKind.qr,
        tag_code: str | None = None,
    ) -> GridCheckpoint:
        ctx = info.context
        route = await _readable(info, RouteRepository, route_id, "PatrolRoute", "routeId")
        row = await patrol.add_checkpoint(
            ctx.session,
            route=route,
            name=name,
            tag_kind=tag_kind.value,
            tag_code=tag_code,
            actor=ctx.actor.label,
        )
        return GridCheckpoint.from_row(row, with_code=True)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Take a route out of the patrol (or back in): an inactive route's checkpoints are not flagged.",
    )
    async def set_patrol_route_active(
        self, info: strawberry.Info, route_id: relay.GlobalID, active: bool
    ) -> PatrolRoute:
        ctx = info.context
        route = await _readable(info, RouteRepository, route_id, "PatrolRoute", "routeId")
        await patrol.set_active(ctx.session, route, active, ctx.actor.label)
        return PatrolRoute.from_row(route, [])

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Take a checkpoint out of its route (a lost or broken tag), or back in.",
    )
    async def set_patrol_checkpoint_active(
        self, info: strawberry.Info, checkpoint_id: relay.GlobalID, active: bool
    ) -> GridCheckpoint:
        ctx = info.context
        point = await _readable(
            info, CheckpointRepository, checkpoint_id, "GridCheckpoint", "checkpointId"
        )
        await patrol.set_active(ctx.session, point, active, ctx.actor.label)
        return GridCheckpoint.from_row(point, with_code=True)

    @strawberry.mutation(
        permission_classes=[Allowed(PATROL)],
        description="Check in at a checkpoint of your grids by its scanned tag; a location only with your consent (grid.patrol_location).",
    )
    async def patrol_check_in(
        self,
        info: strawberry.Info,
        tag_code: str,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> GridCheckIn:
        ctx = info.context
        row = await patrol.check_in(
            ctx.session,
            ctx.runtime.vault,
            ctx.runtime.bus,
            actor=Viewer.of(ctx),
            tag_code=tag_code,
            latitude=latitude,
            longitude=longitude,
        )
        return GridCheckIn.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(REPORT)],
        description="Report an incident (place, category, photo reference); it lands in the grid of its building.",
    )
    async def report_grid_incident(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        place: str,
        category: GridIncidentCategory,
        description: str = "",
        photo_ref: str | None = None,
        building_id: relay.GlobalID | None = None,
    ) -> GridIncident:
        ctx = info.context
        row = await incidents.report(
            ctx.session,
            ctx.runtime.bus,
            actor=Viewer.of(ctx),
            community_id=decode_id(community_id, "Community"),
            place=place,
            category=category.value,
            description=description,
            photo_ref=photo_ref,
            building_id=decode_id(building_id, "Building") if building_id is not None else None,
        )
        return (await incident_nodes(ctx.session, [row]))[0]

    @strawberry.mutation(
        permission_classes=[Allowed(FOLLOW_UP)],
        description="Send a reported incident to the property firm (a work order) or to the street office.",
    )
    async def route_grid_incident(
        self,
        info: strawberry.Info,
        incident_id: relay.GlobalID,
        to: GridIncidentRoute,
        note: str = "",
    ) -> GridIncident:
        ctx = info.context
        row = await incidents.route(
            ctx.session,
            ctx.runtime.bus,
            incident=await _incident(info, incident_id),
            to=to.value,
            note=note,
            actor=ctx.actor.label,
        )
        return (await incident_nodes(ctx.session, [row]))[0]

    @strawberry.mutation(
        permission_classes=[Allowed(FOLLOW_UP)], description="A follow-up note the reporter reads."
    )
    async def add_grid_incident_note(
        self, info: strawberry.Info, incident_id: relay.GlobalID, note: str
    ) -> GridIncident:
        ctx = info.context
        row = await _incident(info, incident_id)
        await incidents.add_note(ctx.session, incident=row, note=note, actor=ctx.actor.label)
        return (await incident_nodes(ctx.session, [row]))[0]

    @strawberry.mutation(
        permission_classes=[Allowed(FOLLOW_UP)],
        description="Close a reported or referred incident with its resolution (a work order's closes with the order).",
    )
    async def close_grid_incident(
        self, info: strawberry.Info, incident_id: relay.GlobalID, resolution: str
    ) -> GridIncident:
        ctx = info.context
        row = await incidents.close(
            ctx.session,
            ctx.runtime.bus,
            incident=await _incident(info, incident_id),
            resolution=resolution,
            actor=ctx.actor.label,
        )
        return (await incident_nodes(ctx.session, [row]))[0]

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Follow up a register person in a grid (tags encrypted); their consent to grid.vulnerable_follow_up first.",
    )
    async def enrol_vulnerable_resident(
        self,
        info: strawberry.Info,
        grid_id: relay.GlobalID,
        person_id: strawberry.ID,
        tags: list[GridVulnerableTag],
        visit_every_days: int = 7,
    ) -> GridVulnerableResident:
        ctx = info.context
        grid = await _readable(info, GridRepository, grid_id, "Grid", "gridId")
        row = await followup.enrol(
            ctx.session,
            ctx.runtime.vault,
            grid=grid,
            person_id=_uuid(person_id, "personId"),
            tags=[t.value for t in tags],
            visit_every_days=visit_every_days,
            actor=ctx.actor.label,
        )
        return await _resident_node(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(CARE)],
        description="Record a visit to a followed-up resident of your grids (note encrypted); the next one falls due.",
    )
    async def record_grid_visit(
        self,
        info: strawberry.Info,
        resident_id: relay.GlobalID,
        note: str = "",
        visited_at: datetime | None = None,
    ) -> GridVulnerableResident:
        ctx = info.context
        row = await _readable(
            info, VulnerableRepository, resident_id, "GridVulnerableResident", "residentId"
        )
        await followup.record_visit(
            ctx.session,
            ctx.runtime.vault,
            resident=row,
            note=note,
            visited_at=visited_at,
            actor=ctx.actor.label,
        )
        return await _resident_node(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="End a follow-up (moved away, no longer vulnerable): no more visits or alerts; history stays.",
    )
    async def end_grid_follow_up(
        self, info: strawberry.Info, resident_id: relay.GlobalID
    ) -> GridVulnerableResident:
        ctx = info.context
        row = await _readable(
            info, VulnerableRepository, resident_id, "GridVulnerableResident", "residentId"
        )
        await followup.end(ctx.session, resident=row, actor=ctx.actor.label)
        return await _resident_node(info, row)
