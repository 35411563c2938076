"""The grid plugin's GraphQL types. Lists carry masked names, no tags, no locations and no
checkpoint tag codes (a code proves presence: only grid managers read it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk.consent import personal_fields, personal_read
from kernel.sdk.privacy import mask_name
from plugins.grid import models as m
from plugins.grid.vocabulary import (
    GridFollowUpStatus,
    GridIncidentCategory,
    GridIncidentStatus,
    GridMemberRole,
    GridTagKind,
    GridVulnerableTag,
)


def gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


def _id(type_name: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value))))


@strawberry.type(description="A member of a grid: a grid worker or the residents' committee.")
class GridMember:
    account_id: strawberry.ID
    role: GridMemberRole


@strawberry.type(
    description="A login that may be named a grid member: its account id (for addGridMember), masked name and grid roles."
)
class GridMemberCandidate:
    account_id: strawberry.ID
    masked_name: str
    roles: list[GridMemberRole]

    @classmethod
    def of(cls, account_id: uuid.UUID, display_name: str, roles: list[str]) -> GridMemberCandidate:
        return cls(
            account_id=strawberry.ID(str(account_id)),
            masked_name=mask_name(display_name) or "",
            roles=[GridMemberRole(r) for r in roles],
        )


@strawberry.type(description="A grid (网格): a set of buildings of one community.")
class Grid:
    id: strawberry.ID
    community_id: strawberry.ID
    name: str
    building_ids: list[strawberry.ID]
    members: list[GridMember]

    @classmethod
    def from_row(cls, r: m.Grid, buildings: list[uuid.UUID], members: list[m.GridMember]) -> Grid:
        return cls(
            id=_id("Grid", r.id),
            community_id=_id("Community", r.community_id),
            name=r.name,
            building_ids=[_id("Building", b) for b in buildings],
            members=[
                GridMember(account_id=strawberry.ID(str(x.account_id)), role=GridMemberRole(x.role))
                for x in members
            ],
        )


@strawberry.type(description="A checkpoint of a patrol route; its tag code only for grid managers.")
class GridCheckpoint:
    id: strawberry.ID
    route_id: strawberry.ID
    name: str
    position: int
    tag_kind: GridTagKind
    tag_code: str | None
    active: bool

    @classmethod
    def from_row(cls, r: m.Checkpoint, *, with_code: bool) -> GridCheckpoint:
        return cls(
            id=_id("GridCheckpoint", r.id),
            route_id=_id("PatrolRoute", r.route_id),
            name=r.name,
            position=r.position,
            tag_kind=GridTagKind(r.tag_kind),
            tag_code=r.tag_code if with_code else None,
            active=r.active,
        )


@strawberry.type(
    description="A patrol route: each checkpoint once per period of intervalMinutes from startsAt."
)
class PatrolRoute:
    id: strawberry.ID
    grid_id: strawberry.ID
    name: str
    interval_minutes: int
    starts_at: datetime
    active: bool
    checkpoints: list[GridCheckpoint]

    @classmethod
    def from_row(cls, r: m.PatrolRoute, checkpoints: list[GridCheckpoint]) -> PatrolRoute:
        return cls(
            id=_id("PatrolRoute", r.id),
            grid_id=_id("Grid", r.grid_id),
            name=r.name,
            interval_minutes=r.interval_minutes,
            starts_at=r.starts_at,
            active=r.active,
            checkpoints=checkpoints,
        )


@strawberry.type(
    description="A check-in at a checkpoint: who and when; whether a location was recorded (never the location)."
)
class GridCheckIn:
    id: strawberry.ID
    checkpoint_id: strawberry.ID
    by: str
    at: datetime
    has_location: bool

    @classmethod
    def from_row(cls, r: m.CheckIn) -> GridCheckIn:
        return cls(
            id=_id("GridCheckIn", r.id),
            checkpoint_id=_id("GridCheckpoint", r.checkpoint_id),
            by=r.by,
            at=r.at,
            has_location=r.location_enc is not None,
        )


@strawberry.type(description="A checkpoint nobody checked in at during one period.")
class GridMissedCheckpoint:
    id: strawberry.ID
    checkpoint_id: strawberry.ID
    grid_id: strawberry.ID
    period_start: datetime
    period_end: datetime
    detected_at: datetime

    @classmethod
    def from_row(cls, r: m.MissedCheckpoint) -> GridMissedCheckpoint:
        return cls(
            id=_id("GridMissedCheckpoint", r.id),
            checkpoint_id=_id("GridCheckpoint", r.checkpoint_id),
            grid_id=_id("Grid", r.grid_id),
            period_start=r.period_start,
            period_end=r.period_end,
            detected_at=r.detected_at,
        )


@strawberry.type(description="One step of an incident's follow-up, as the reporter sees it.")
class GridIncidentUpdate:
    at: datetime
    kind: str = strawberry.field(
        description="reported, work_order, referred, note, work_order_<state>, work_order_cancelled, closed"
    )
    note: str


@strawberry.type(description="An incident report and where it stands.")
class GridIncident:
    id: strawberry.ID
    community_id: strawberry.ID
    grid_id: strawberry.ID | None
    building_id: strawberry.ID | None
    place: str
    category: GridIncidentCategory
    description: str
    photo_ref: str | None
    status: GridIncidentStatus
    reported_at: datetime
    work_order_id: strawberry.ID | None
    work_order_status: str | None
    referred_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    updates: list[GridIncidentUpdate]

    @classmethod
    def from_row(cls, r: m.Incident, updates: list[m.IncidentUpdate]) -> GridIncident:
        return cls(
            id=_id("GridIncident", r.id),
            community_id=_id("Community", r.community_id),
            grid_id=gid("Grid", r.grid_id),
            building_id=gid("Building", r.building_id),
            place=r.place,
            category=GridIncidentCategory(r.category),
            description=r.description,
            photo_ref=r.photo_ref,
            status=GridIncidentStatus(r.status),
            reported_at=r.created_at,
            work_order_id=gid("WorkOrder", r.work_order_id),
            work_order_status=r.work_order_status,
            referred_at=r.referred_at,
            closed_at=r.closed_at,
            resolution=r.resolution,
            updates=[GridIncidentUpdate(at=u.at, kind=u.kind, note=u.note) for u in updates],
        )


@strawberry.type(
    description="A followed-up resident as lists show them: masked name and schedule, no tags."
)
class GridVulnerableResident:
    id: strawberry.ID
    grid_id: strawberry.ID
    masked_name: str
    visit_every_days: int
    next_visit_due: datetime
    last_visit_at: datetime | None
    overdue: bool
    status: GridFollowUpStatus

    @classmethod
    def from_row(cls, r: m.VulnerableResident, name: str, now: datetime) -> GridVulnerableResident:
        return cls(
            id=_id("GridVulnerableResident", r.id),
            grid_id=_id("Grid", r.grid_id),
            masked_name=mask_name(name) or "",
            visit_every_days=r.visit_every_days,
            next_visit_due=r.next_visit_due,
            last_visit_at=r.last_visit_at,
            overdue=r.status == "active" and r.next_visit_due < now,
            status=GridFollowUpStatus(r.status),
        )


@strawberry.type(description="A follow-up visit; the note is decrypted in the audited detail only.")
class GridVisit:
    visited_at: datetime
    by: str
    note: str | None


# tags are classified health data (derived from the catalogue); the name and the visits' notes
# are marked: each staff read is recorded for the person (myDataReads)
@personal_fields(m.VulnerableResident)
@strawberry.type(
    description="A followed-up resident in full (each read audited): name, tags, visits."
)
class GridVulnerableResidentDetail:
    resident: GridVulnerableResident
    name: str = strawberry.field(extensions=[personal_read("identity")])
    tags: list[GridVulnerableTag]
    visits: list[GridVisit] = strawberry.field(extensions=[personal_read("health")])
    person_id: strawberry.Private[uuid.UUID | None] = None


@strawberry.type(
    description="Street office: an incident referred to it — minimal data, no reporter, no description."
)
class GridStreetReferral:
    reference: str = strawberry.field(
        description="the first 8 characters of the incident's id, to name it to the firm"
    )
    firm: str
    community: str
    category: GridIncidentCategory
    status: GridIncidentStatus
    referred_at: datetime
    closed_at: datetime | None


@strawberry.type(
    description="Grid governance figures of one community for a period (aggregates only)."
)
class GridCommunityStats:
    firm: str | None
    community: str
    incidents_reported: int
    incidents_referred: int
    incidents_closed: int
    incidents_open: int = strawberry.field(description="open now, whenever reported")
    checkpoints_missed: int
    residents_followed: int = strawberry.field(description="active follow-ups now")
    visits_overdue: int = strawberry.field(description="active follow-ups past their due time now")

    @classmethod
    def of(cls, f: Any, community: str, firm: str | None = None) -> GridCommunityStats:
        return cls(
            firm=firm,
            community=community,
            incidents_reported=f.incidents_reported,
            incidents_referred=f.incidents_referred,
            incidents_closed=f.incidents_closed,
            incidents_open=f.incidents_open,
            checkpoints_missed=f.checkpoints_missed,
            residents_followed=f.residents_followed,
            visits_overdue=f.visits_overdue,
        )
