"""Work-order tables: technicians (profiles for automatic dispatch), work orders, and their
transition history. Every table is tenant-owned; references to the estate carry ``tenant_id``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk


class Technician(TenantRecord, Base):
    """A technician's profile: what they can fix (skills = categories) and where they work."""

    __tablename__ = "workorder_technicians"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_id"),
        tenant_fk("community_id", "communities", ondelete=None),
    )

    account_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    #: Categories this technician handles (``["plumbing", "electrical"]``).
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The community they are based in (dispatch prefers technicians on the spot); None = anywhere.
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)


class WorkOrder(TenantRecord, Base):
    """A repair, complaint or incident moving through sense → assess → dispatch → handle → feedback."""

    __tablename__ = "work_orders"
    __table_args__ = (
        tenant_fk("community_id", "communities", ondelete=None),
        tenant_fk("unit_id", "units", ondelete=None),
        tenant_fk("assignee_id", "workorder_technicians", ondelete=None),
        UniqueConstraint("tenant_id", "source_ref"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        Index("ix_work_orders_tenant_status", "tenant_id", "status"),
        Index("ix_work_orders_tenant_community", "tenant_id", "community_id"),
    )

    kind: Mapped[str] = mapped_column(String(16))  # repair | complaint | incident
    #: Who sensed it: resident | staff | grid_worker | device_alarm | inspection | governance.
    source: Mapped[str] = mapped_column(String(16))
    #: Idempotency key of the originating event (``alarm:<id>``, ``proposal:<id>``, ``finding:<id>``).
    source_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    category: Mapped[str] = mapped_column(String(24), default="other")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(12), default="reported")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reporter_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: Photo references: ``[{"url", "content_type", "size"}]`` (the bytes live in object storage).
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: SLA: dispatch must happen by ``response_due_at``, resolution by ``resolve_due_at``.
    response_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    assessed_at: Mapped[datetime | None] = mapped_column(default=None)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(default=None)
    feedback: Mapped[str] = mapped_column(Text, default="")


class WorkOrderTransition(TenantRecord, Base):
    """One step of a work order's history (who moved it from which status to which, and why)."""

    __tablename__ = "work_order_transitions"
    __table_args__ = (tenant_fk("work_order_id", "work_orders"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
