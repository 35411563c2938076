"""Care tables. Health and location-related data (health notes, service notes, the activity trail,
alert resolutions) are sensitive personal data: encrypted with the tenant's key (``*_enc``),
processed only under the person's consent (``care.health_monitoring``), masked in lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk
from kernel.sdk.db import firm_record, personal


class CareRecipient(TenantRecord, Base):
    """A person of the estate register under home care (居家养老), with their plan's settings.

    ``status``: ``active`` (monitored), ``paused`` (consent revoked: no processing until it is
    granted again), ``ended``. ``monitoring_since`` is when data collection (re)started: the
    no-activity baseline learns only from data after it."""

    __tablename__ = "care_recipients"
    __table_args__ = (
        tenant_fk("person_id", "persons"),
        tenant_fk("community_id", "communities"),
        tenant_fk("unit_id", "units", ondelete=None),
        UniqueConstraint("tenant_id", "person_id"),
        CheckConstraint("margin_percent BETWEEN 0 AND 500", name="margin_range"),
        CheckConstraint("fallback_hours BETWEEN 1 AND 72", name="fallback_range"),
        CheckConstraint("check_in_by_minute BETWEEN 0 AND 1439", name="check_in_range"),
        CheckConstraint("ack_within_seconds BETWEEN 30 AND 3600", name="ack_range"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    lives_alone: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(8), default="active")
    monitoring_since: Mapped[datetime]
    #: Health conditions, medication, allergies — encrypted; shown only in the detail view.
    health_notes_enc: Mapped[str | None] = mapped_column(Text, default=None, info=personal("health", "important", encrypted=True))
    #: The daily check-in is due by this minute of the local day (600 = 10:00).
    check_in_by_minute: Mapped[int] = mapped_column(default=600)
    #: No-activity: how far (percent) the quiet gap may exceed the person's usual one.
    margin_percent: Mapped[int] = mapped_column(default=50)
    #: No-activity before 14 days of data: alert after this many quiet hours.
    fallback_hours: Mapped[int] = mapped_column(default=12)
    #: An alert nobody acknowledged within this many seconds escalates (default 3 min).
    ack_within_seconds: Mapped[int] = mapped_column(default=180)
    enrolled_by: Mapped[str] = mapped_column(String(80), default="system")


class CareContact(TenantRecord, Base):
    """An emergency contact (family member) of a recipient, in escalation order (``priority`` 1
    first). Once they accept their invitation, ``account_id`` is their limited login
    (role ``care_contact``): they see only this relative."""

    __tablename__ = "care_contacts"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        UniqueConstraint("tenant_id", "recipient_id", "priority"),
        CheckConstraint("priority BETWEEN 1 AND 9", name="priority_range"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    priority: Mapped[int]
    relation: Mapped[str] = mapped_column(String(20))
    name_enc: Mapped[str] = mapped_column(Text, info=personal("identity", encrypted=True))
    contact_enc: Mapped[str] = mapped_column(Text, info=personal("contact", "important", encrypted=True))
    contact_masked: Mapped[str] = mapped_column(String(40))
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)


class CareDevice(TenantRecord, Base):
    """A device of the registry worn or installed for a recipient (wristband, call button, door
    sensor, water meter, smart plug)."""

    __tablename__ = "care_devices"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        tenant_fk("device_id", "devices"),
        UniqueConstraint("tenant_id", "device_id"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    device_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))


class CareActivity(TenantRecord, Base):
    """One sign of life (a door opened, water used, a kettle switched on, steps, a check-in): the
    trail the no-activity baseline learns from. Kept 28 days; erased when consent is revoked."""

    __tablename__ = "care_activities"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        UniqueConstraint("tenant_id", "recipient_id", "source", "at"),
        Index("ix_care_activities_recipient_at", "tenant_id", "recipient_id", "at"),
    )

    recipient_id: Mapped[uuid.UUID]
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))


class CareCheckIn(TenantRecord, Base):
    """The day's check-in: the recipient's one tap "I'm fine" (``self``) or a staff phone call
    (``call``) or visit (``visit``) logged. One per recipient and local day."""

    __tablename__ = "care_check_ins"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        UniqueConstraint("tenant_id", "recipient_id", "day"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    day: Mapped[date]
    method: Mapped[str] = mapped_column(String(8))
    checked_at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(80))


class CareService(TenantRecord, Base):
    """A visit or service of the care plan (meal help 助餐, housekeeping, health check, visit):
    who, when, done or not; the note (a health check's findings) is encrypted."""

    __tablename__ = "care_services"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        # the elder's rows go with the elder (on_personal_data_erasure); the provider's work stays the firm's
        {"info": firm_record("the firm's record of services delivered: kept when the provider is erased", "provider_account_id")},
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    scheduled_for: Mapped[datetime]
    provider_account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    note_enc: Mapped[str | None] = mapped_column(Text, default=None, info=personal("health", "important", encrypted=True))


class CareAlert(TenantRecord, Base):
    """An alert about a recipient: SOS, fall, heart rate, no activity, missed check-in.
    ``open`` → ``acknowledged`` → ``arrived`` → ``resolved`` (arrival may be skipped when the
    matter is settled by phone). One alert per recipient, kind and cause (``source_ref``)."""

    __tablename__ = "care_alerts"
    __table_args__ = (
        tenant_fk("recipient_id", "care_recipients"),
        UniqueConstraint("tenant_id", "recipient_id", "kind", "source_ref"),
        Index("ix_care_alerts_community_raised", "tenant_id", "community_id", "raised_at"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="open")
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80), default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_by: Mapped[str | None] = mapped_column(String(80), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(80), default=None)
    resolution_enc: Mapped[str | None] = mapped_column(Text, default=None, info=personal("health", "important", encrypted=True))
    #: The kernel escalation driving notification and escalation of this alert, when opened.
    escalation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: Non-sensitive facts: the rule that fired, the device kind, quiet minutes.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
