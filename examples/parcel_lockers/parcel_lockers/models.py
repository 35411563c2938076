"""The parcel table. Tenant-owned (primary key ``(tenant_id, id)``); the locker and the unit are
referenced with ``tenant_id`` so the database refuses a parcel pointing into another tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk.db import Base, TenantRecord, secret, tenant_fk

WAITING, COLLECTED = "waiting", "collected"


class Parcel(TenantRecord, Base):
    """A parcel in a locker compartment, waiting for its recipient's pickup code (取件码)."""

    __tablename__ = "parcel_lockers_parcels"
    __table_args__ = (
        tenant_fk("device_id", "devices"),
        tenant_fk("unit_id", "units"),
        # the locker's deposit message may be delivered twice (at least once): one parcel per message
        UniqueConstraint("tenant_id", "device_id", "deposit_ts"),
        CheckConstraint("status IN ('waiting', 'collected')", name="status_known"),
        Index("ix_parcel_lockers_parcels_tenant_status", "tenant_id", "status", "deposited_at"),
        Index("ix_parcel_lockers_parcels_tenant_code", "tenant_id", "code_digest"),
        Index("ix_parcel_lockers_parcels_tenant_unit", "tenant_id", "unit_id"),
    )

    device_id: Mapped[uuid.UUID]
    #: The recipient's unit; None when the locker named a unit the estate does not have (staff
    #: route the parcel by hand).
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    compartment: Mapped[str] = mapped_column(String(16))
    tracking_number: Mapped[str] = mapped_column(String(64), default="")
    #: The locker's timestamp of the deposit message (epoch ms): the idempotency key.
    deposit_ts: Mapped[int] = mapped_column(BigInteger)
    #: Keyed digest of the pickup code (lookups); the code itself only encrypted (shown to the
    #: recipient), never in clear at rest.
    code_digest: Mapped[str] = mapped_column(String(64))
    code_enc: Mapped[str] = mapped_column(String(200), info=secret("pickup code", encrypted=True))
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    deposited_at: Mapped[datetime]
    collected_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Actor label of who collected it (``account:<id>``); no personal data.
    collected_by: Mapped[str] = mapped_column(String(100), default="")
    reminders: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
