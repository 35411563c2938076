"""Access-control tables: points, grants, credentials, visitor passes, the blacklist, every
decision (the access records), used one-time codes and the tenant's settings.

Personal data here: a visitor's name (encrypted with the tenant's key, stored masked beside it
for lists), card numbers and face references (a keyed digest for look-ups, a hint or an
encrypted copy for display — never in clear), licence plates on passes and the blacklist (a
keyed digest to match a pass's plate against the blacklist, the plate encrypted with the
tenant's key on a pass — published encrypted to the parking plugin — and masked for lists,
沪A***45). A face *template* is never stored: only the vendor's reference.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, TenantScoped, Timestamped, tenant_fk
from kernel.sdk.db import personal, secret


class AccessPoint(TenantRecord, Base):
    """A gate (小区大门), door (单元门) or lift-control reader (梯控) placed on a community, a
    building or one floor of a building; ``device_id`` links the reader in the device registry."""

    __tablename__ = "access_points"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("building_id", "buildings"),
        UniqueConstraint("tenant_id", "community_id", "name"),
        UniqueConstraint("tenant_id", "device_id"),
        CheckConstraint("kind IN ('gate', 'door', 'lift')", name="kind_known"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    building_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    floor: Mapped[int | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: An "in" must be followed by an "out" (and the reverse) across the community's
    #: anti-passback points: a card handed back over the gate is refused.
    anti_passback: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class AccessGrant(TenantRecord, Base):
    """Who may pass beyond the default (residents pass their building and the common points):
    everyone holding ``role`` or one ``account_id``, at one point or every point of a community,
    on some weekdays between two local times (Asia/Shanghai), optionally until a date."""

    __tablename__ = "access_grants"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        tenant_fk("point_id", "access_points"),
        CheckConstraint("(role IS NULL) <> (account_id IS NULL)", name="one_subject"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute", name="window"
        ),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    point_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    role: Mapped[str | None] = mapped_column(String(32), default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    #: Bit 0 = Monday … bit 6 = Sunday.
    weekdays: Mapped[int] = mapped_column(default=0b1111111)
    start_minute: Mapped[int] = mapped_column(default=0)
    end_minute: Mapped[int] = mapped_column(default=1440)
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(200), default="")


class AccessCredential(TenantRecord, Base):
    """A card or a face reference of an account. ``lookup_digest`` is a keyed digest of the card
    number or the vendor's face reference (what a reader sends); ``hint`` its last characters."""

    __tablename__ = "access_credentials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "lookup_digest"),
        CheckConstraint("kind IN ('card', 'face')", name="kind_known"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: The register person a face belongs to (the consent is theirs).
    person_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    lookup_digest: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(12))
    #: The vendor's face reference, encrypted (sent back to the readers to revoke it).
    reference_enc: Mapped[str | None] = mapped_column(String(500), default=None, info=personal("biometric_reference", "important", encrypted=True))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | disabled | revoked
    status_reason: Mapped[str] = mapped_column(String(32), default="")


class VisitorPass(TenantRecord, Base):
    """A visitor's (or a courier's, a service worker's) pass: a short code valid at some points
    of one community in a time window, for a number of entries."""

    __tablename__ = "access_passes"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "code_digest"),
        CheckConstraint("max_entries > 0", name="entries_positive"),
        CheckConstraint("valid_from < valid_until", name="window"),
        Index("ix_access_passes_tenant_host", "tenant_id", "host_account_id"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    host_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(10))  # visitor | courier | service
    visitor_name_enc: Mapped[str] = mapped_column(String(500), info=personal("identity", encrypted=True))
    visitor_name_masked: Mapped[str] = mapped_column(String(64))
    plate_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    plate_enc: Mapped[str | None] = mapped_column(
        String(200), default=None, info=personal("property", "important", encrypted=True)
    )
    plate_masked: Mapped[str | None] = mapped_column(String(16), default=None)
    #: A plate stored in clear before migration ac0002, until the retention job seals it (then
    #: NULL). Nothing writes it.
    plate_unsealed: Mapped[str | None] = mapped_column(
        String(16), default=None, info=personal("property", "important")
    )
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    max_entries: Mapped[int]
    entries_used: Mapped[int] = mapped_column(default=0)
    point_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    code_digest: Mapped[str] = mapped_column(String(64))
    code_enc: Mapped[str] = mapped_column(String(200), info=secret("visitor pass code: whoever holds it passes the gate", encrypted=True))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class BlacklistEntry(TenantRecord, Base):
    """Someone refused at every point of a community (or of the tenant): an account, a card
    (by digest) or a plate on visitor passes."""

    __tablename__ = "access_blacklist"
    __table_args__ = (tenant_fk("community_id", "communities"),)

    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    card_digest: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    plate_digest: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    plate_masked: Mapped[str | None] = mapped_column(String(16), default=None)
    #: As on a pass: a plate from before migration ac0002, until the retention job seals it.
    plate_unsealed: Mapped[str | None] = mapped_column(
        String(16), default=None, info=personal("property", "important")
    )
    reason: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class AccessRecord(TenantRecord, Base):
    """One decision (通行记录): who, where, when (the event's time at the gate), allowed or
    refused and why. ``device_event_id`` makes a gate's upload idempotent."""

    __tablename__ = "access_records"
    __table_args__ = (
        tenant_fk("point_id", "access_points"),
        UniqueConstraint("tenant_id", "point_id", "device_event_id"),
        Index("ix_access_records_tenant_account_at", "tenant_id", "account_id", "occurred_at"),
        Index("ix_access_records_tenant_community_at", "tenant_id", "community_id", "occurred_at"),
        Index("ix_access_records_tenant_pass", "tenant_id", "pass_id"),
    )

    point_id: Mapped[uuid.UUID]
    community_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(8))  # qr | card | face | pass | remote
    direction: Mapped[str] = mapped_column(String(3), default="in")  # in | out
    allowed: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    pass_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    credential_hint: Mapped[str] = mapped_column(String(16), default="")
    device_event_id: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Decided by the gate itself while it was offline, uploaded later (never overturned).
    offline: Mapped[bool] = mapped_column(default=False)
    #: For an offline decision: what the platform would have answered (for review).
    platform_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class UsedCode(TenantRecord, Base):
    """A one-time QR code already shown at a point: shown again there it is a replay."""

    __tablename__ = "access_used_codes"
    __table_args__ = (
        tenant_fk("point_id", "access_points"),
        UniqueConstraint("tenant_id", "code_digest", "point_id"),
    )

    code_digest: Mapped[str] = mapped_column(String(64))
    point_id: Mapped[uuid.UUID]


class AccessSettings(TenantScoped, Timestamped, Base):
    """The tenant's access settings: how long records are kept, the QR time step, and the
    version of its QR key (bumping it invalidates every code in circulation)."""

    __tablename__ = "access_settings"
    __table_args__ = (
        CheckConstraint("retention_days BETWEEN 1 AND 3650", name="retention_range"),
        CheckConstraint("qr_step_seconds BETWEEN 10 AND 300", name="step_range"),
    )

    retention_days: Mapped[int] = mapped_column(default=90)
    qr_step_seconds: Mapped[int] = mapped_column(default=30)
    qr_key_version: Mapped[int] = mapped_column(default=1)
