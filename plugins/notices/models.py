"""Notice tables. Every row is tenant-owned (primary key ``(tenant_id, id)``); references to the
estate carry ``tenant_id`` so the database itself refuses a notice aimed at another tenant's place.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk

#: Who a notice is addressed to; the narrowest place wins (a unit notice reaches one flat).
SCOPES = ("community", "building", "unit")
#: Categories of notices (通知类别) property firms use.
CATEGORIES = ("general", "maintenance", "fee", "safety", "outage", "governance", "event")
#: draft → published → withdrawn (a withdrawn notice may be published again).
STATUSES = ("draft", "published", "withdrawn")


class Notice(TenantRecord, Base):
    """通知公告: a notice addressed to a community, a building or a unit.

    ``public_disclosure`` puts it on the community's public disclosure board (公示) from
    ``published_at`` until ``display_until``.
    """

    __tablename__ = "notices"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("building_id", "buildings"),
        tenant_fk("unit_id", "units"),
        CheckConstraint("scope IN ('community', 'building', 'unit')", name="scope_known"),
        CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status_known"),
        Index("ix_notices_tenant_community_status", "tenant_id", "community_id", "status"),
        # cascades from buildings/units and building/unit audiences look these up
        Index("ix_notices_tenant_building", "tenant_id", "building_id"),
        Index("ix_notices_tenant_unit", "tenant_id", "unit_id"),
    )

    scope: Mapped[str] = mapped_column(String(12))
    #: Always set (denormalised from the building or unit) so community boards need no join.
    community_id: Mapped[uuid.UUID]
    building_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    category: Mapped[str] = mapped_column(String(16), default="general")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    public_disclosure: Mapped[bool] = mapped_column(default=False)
    #: Days the disclosure stays on the board once published (公示期).
    display_days: Mapped[int | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    display_until: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Actor label (``account:<id>``) of the author; no personal data.
    created_by: Mapped[str] = mapped_column(String(100), default="")


class NoticeReceipt(TenantRecord, Base):
    """A read receipt: one per notice and unit (the first owner or resident who read it)."""

    __tablename__ = "notice_receipts"
    __table_args__ = (
        tenant_fk("notice_id", "notices"),
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "notice_id", "unit_id"),
    )

    notice_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID]
    read_at: Mapped[datetime]
