"""Grid governance tables. A grid worker's location at a check-in and a vulnerable resident's tags
and visit notes are sensitive personal data: encrypted with the tenant's key (``*_enc``),
processed only under the person's consent, never in lists."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import personal, retained


class Grid(TenantRecord, Base):
    """A grid (网格): a set of buildings of one community, looked after by its grid workers and
    the residents' committee."""

    __tablename__ = "grid_grids"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "community_id", "name"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(60))


class GridBuilding(TenantRecord, Base):
    """A building of a grid; a building belongs to at most one grid."""

    __tablename__ = "grid_buildings"
    __table_args__ = (
        tenant_fk("grid_id", "grid_grids"),
        tenant_fk("building_id", "buildings"),
        UniqueConstraint("tenant_id", "building_id"),
    )

    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    building_id: Mapped[uuid.UUID]


class GridMember(TenantRecord, Base):
    """A login working in a grid: a grid worker (网格员) or a member of the residents' committee.
    Members see their own grids only."""

    __tablename__ = "grid_members"
    __table_args__ = (
        tenant_fk("grid_id", "grid_grids"),
        UniqueConstraint("tenant_id", "grid_id", "account_id"),
    )

    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(20))


class PatrolRoute(TenantRecord, Base):
    """A patrol route of a grid: every active checkpoint must be checked in at once per period of
    ``interval_minutes``, periods counted from ``starts_at``."""

    __tablename__ = "grid_routes"
    __table_args__ = (
        tenant_fk("grid_id", "grid_grids"),
        CheckConstraint("interval_minutes BETWEEN 30 AND 10080", name="interval_range"),
    )

    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(60))
    interval_minutes: Mapped[int]
    starts_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)


class Checkpoint(TenantRecord, Base):
    """A checkpoint of a route with its QR or NFC tag; scanning the tag's code proves presence."""

    __tablename__ = "grid_checkpoints"
    __table_args__ = (
        tenant_fk("route_id", "grid_routes"),
        UniqueConstraint("tenant_id", "tag_code"),
    )

    route_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=1)
    tag_kind: Mapped[str] = mapped_column(String(4))
    tag_code: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)


class CheckIn(TenantRecord, Base):
    """A grid worker's check-in at a checkpoint: when (the server's clock) and, only with the
    worker's consent to ``grid.patrol_location``, where (encrypted)."""

    __tablename__ = "grid_check_ins"
    __table_args__ = (
        tenant_fk("checkpoint_id", "grid_checkpoints"),
        Index("ix_grid_check_ins_checkpoint_at", "tenant_id", "checkpoint_id", "at"),
        # where a worker was: stripped after the location period; the check-in stays for the patrol record
        {"info": retained("location", after="at", action="pseudonymise")},
    )

    checkpoint_id: Mapped[uuid.UUID]
    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    #: "lat,lng" — encrypted; never listed, never logged.
    location_enc: Mapped[str | None] = mapped_column(
        Text, default=None, info=personal("location", "important", encrypted=True)
    )


class MissedCheckpoint(TenantRecord, Base):
    """A checkpoint nobody checked in at during one period of its route (flagged by the job)."""

    __tablename__ = "grid_missed"
    __table_args__ = (
        tenant_fk("checkpoint_id", "grid_checkpoints"),
        UniqueConstraint("tenant_id", "checkpoint_id", "period_end"),
    )

    checkpoint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    detected_at: Mapped[datetime]


class Incident(TenantRecord, Base):
    """An incident reported by a grid worker or a resident (photo reference, place, category),
    routed to a work order of the property firm or referred to the street office, and closed.
    The reporter follows it through :class:`IncidentUpdate`."""

    __tablename__ = "grid_incidents"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("building_id", "buildings", ondelete=None),
        Index("ix_grid_incidents_status", "tenant_id", "status"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    building_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    place: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    photo_ref: Mapped[str | None] = mapped_column(String(300), default=None)
    reporter_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    reported_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="reported")
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    work_order_status: Mapped[str | None] = mapped_column(String(16), default=None)
    referred_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)


class IncidentUpdate(TenantRecord, Base):
    """One step of an incident's follow-up, as its reporter sees it."""

    __tablename__ = "grid_incident_updates"
    __table_args__ = (tenant_fk("incident_id", "grid_incidents"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")


class VulnerableResident(TenantRecord, Base):
    """A resident followed up by their grid (elderly living alone, disabled, child left behind),
    with their consent to ``grid.vulnerable_follow_up``. The tags are encrypted; lists show a
    masked name and the visit schedule only."""

    __tablename__ = "grid_vulnerable_residents"
    __table_args__ = (
        tenant_fk("grid_id", "grid_grids"),
        tenant_fk("person_id", "persons"),
        UniqueConstraint("tenant_id", "person_id"),
        CheckConstraint("visit_every_days BETWEEN 1 AND 90", name="visit_range"),
    )

    grid_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_id: Mapped[uuid.UUID]
    #: Comma-separated tags (elderly_alone, disabled, left_behind_child, other) — encrypted.
    tags_enc: Mapped[str] = mapped_column(Text, info=personal("health", "important", encrypted=True))
    visit_every_days: Mapped[int]
    next_visit_due: Mapped[datetime]
    last_visit_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The due time an overdue alert was sent for (one alert per missed due time).
    overdue_alerted_for: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(8), default="active")


class Visit(TenantRecord, Base):
    """A follow-up visit to a vulnerable resident; the note is encrypted."""

    __tablename__ = "grid_visits"
    __table_args__ = (tenant_fk("resident_id", "grid_vulnerable_residents"),)

    resident_id: Mapped[uuid.UUID] = mapped_column(index=True)
    visited_at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(80))
    note_enc: Mapped[str | None] = mapped_column(
        Text, default=None, info=personal("health", "important", encrypted=True)
    )
