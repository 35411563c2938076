"""Inspection tables: routes of checkpoints, schedules, rounds and their findings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import firm_record


class InspectionRoute(TenantRecord, Base):
    """A patrol route (巡检路线) in a community: an ordered list of checkpoints."""

    __tablename__ = "inspection_routes"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "community_id", "name"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Checkpoint(TenantRecord, Base):
    """A place to check on a route (fire hydrant, pump room, gate), in route order."""

    __tablename__ = "inspection_checkpoints"
    __table_args__ = (
        tenant_fk("route_id", "inspection_routes"),
        UniqueConstraint("tenant_id", "route_id", "seq"),
    )

    route_id: Mapped[uuid.UUID] = mapped_column(index=True)
    seq: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200), default="")
    #: The work-order category a defect here belongs to (fire, elevator, plumbing, ...).
    category: Mapped[str] = mapped_column(String(24), default="other")


class InspectionSchedule(TenantRecord, Base):
    """Walk a route every ``interval_hours``; the scheduler opens a round when one falls due."""

    __tablename__ = "inspection_schedules"
    __table_args__ = (
        tenant_fk("route_id", "inspection_routes"),
        CheckConstraint("interval_hours > 0", name="interval_positive"),
        {"info": firm_record("the firm's inspection plan: kept when the inspector is erased", "inspector_account_id")},
    )

    route_id: Mapped[uuid.UUID] = mapped_column(index=True)
    interval_hours: Mapped[int]
    inspector_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    next_due_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)


class InspectionRound(TenantRecord, Base):
    """One walk of a route: scheduled → in_progress → completed."""

    __tablename__ = "inspection_rounds"
    __table_args__ = (
        tenant_fk("route_id", "inspection_routes"),
        tenant_fk("schedule_id", "inspection_schedules", ondelete=None),
        {"info": firm_record("the firm's inspection record (MLPS / fire-safety patrol logs): kept when the inspector is erased", "inspector_account_id")},
    )

    route_id: Mapped[uuid.UUID] = mapped_column(index=True)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    inspector_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Checkpoints left without a finding when the round was finished.
    missed: Mapped[int] = mapped_column(default=0)


class Finding(TenantRecord, Base):
    """What the inspector found at a checkpoint; a defect opens a work order."""

    __tablename__ = "inspection_findings"
    __table_args__ = (
        tenant_fk("round_id", "inspection_rounds"),
        tenant_fk("checkpoint_id", "inspection_checkpoints"),
        UniqueConstraint("tenant_id", "round_id", "checkpoint_id"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(index=True)
    checkpoint_id: Mapped[uuid.UUID]
    result: Mapped[str] = mapped_column(String(8))  # ok | defect
    severity: Mapped[str] = mapped_column(String(8), default="normal")
    category: Mapped[str] = mapped_column(String(24), default="other")
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Set when the work-order plugin has opened an order for this defect.
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
