"""Tables of the notification service.

* ``notifications`` — one row per recipient and cause (``(tenant_id, recipient, key)`` unique:
  the idempotency of :func:`notify`). For a login it is also the inbox entry.
* ``notification_deliveries`` — the delivery log, one row per notification and channel. Attempts,
  the last error and the next attempt live on the outbox message it names (``outbox_key``), so
  there is one truth about retries.
* ``notification_preferences`` — a person's choice per category and channel.
* ``notification_settings`` — a person's locale and quiet hours.
* ``duty_shifts`` — the duty roster: who is on duty, where, at which escalation level and when.
* ``escalation_policies`` — a tenant's acknowledgement times per severity.
* ``escalations`` — alerts that must be acknowledged, escalating level by level until they are
  (docs/plugins/escalation.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, TenantScoped, Timestamped


class Notification(TenantRecord, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "recipient", "key"),
        Index("ix_notifications_inbox", "tenant_id", "account_id", "created_at"),
    )

    #: ``account:<uuid>`` for a login, ``contact:<sha256>`` for a raw e-mail address or phone.
    recipient: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: Masked contact for raw recipients (``138****5678``, ``w***@example.com``), for the log.
    contact_hint: Mapped[str | None] = mapped_column(String(120), default=None)
    key: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    #: Rendered subject and body; empty for secret templates (codes live only in the outbox).
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Shown in the login's inbox (a login recipient and a template that is not secret).
    in_inbox: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationDelivery(TenantRecord, Base):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        # named: the conventional name is over PostgreSQL's 63 characters
        ForeignKeyConstraint(
            ["tenant_id", "notification_id"],
            ["notifications.tenant_id", "notifications.id"],
            ondelete="CASCADE",
            name="fk_notification_deliveries_notification",
        ),
        UniqueConstraint("tenant_id", "notification_id", "channel"),
        Index("ix_notification_deliveries_log", "tenant_id", "created_at"),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column()
    channel: Mapped[str] = mapped_column(String(40))
    #: pending | sent | skipped | failed (retries and dead letters: see the outbox message)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: Why it was skipped or failed for good (``preference``, ``no_address``, a 4xx answer…).
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
    outbox_key: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Held back by the person's quiet hours until then.
    not_before: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationPreference(TenantScoped, Timestamped, Base):
    __tablename__ = "notification_preferences"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column()


class NotificationSettings(TenantScoped, Timestamped, Base):
    __tablename__ = "notification_settings"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    #: Quiet hours as minutes after local midnight; both set or both empty. start > end wraps
    #: midnight (22:00–07:00).
    quiet_start_minute: Mapped[int | None] = mapped_column(default=None)
    quiet_end_minute: Mapped[int | None] = mapped_column(default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class DutyShift(TenantRecord, Base):
    """One line of the duty roster: a login on duty at an escalation level, in one community or
    in all (``community_id`` empty), every chosen weekday from ``start_minute`` to
    ``end_minute`` local time. ``start > end`` crosses midnight (22:00–06:00: the weekday is the
    day the shift starts); ``start == end`` is the whole day."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_level", "tenant_id", "level"),)

    account_id: Mapped[uuid.UUID] = mapped_column()
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: 1 = first responder, 2 = supervisor, 3 = manager…
    level: Mapped[int] = mapped_column(default=1)
    start_minute: Mapped[int] = mapped_column()
    end_minute: Mapped[int] = mapped_column()
    #: Bit ``d - 1`` for ISO weekday ``d`` (Monday = 1 … Sunday = 7); 127 is every day.
    weekdays: Mapped[int] = mapped_column(default=127)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    note: Mapped[str] = mapped_column(String(200), default="")


class EscalationPolicy(TenantScoped, Timestamped, Base):
    """A tenant's own acknowledgement time for a severity (``source`` ``*``: every plugin's
    alerts; a plugin's name: only its alerts). Without a row, the kernel's default applies."""

    __tablename__ = "escalation_policies"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    ack_within_seconds: Mapped[int] = mapped_column()


class EscalationRecord(TenantRecord, Base):
    """An alert that must be acknowledged: one row per ``(tenant, source, subject_id)``.

    ``contacts`` is the chain of extra recipients per level (``[[account id, …], …]``: entry
    ``i`` is told at level ``i + 1``); ``template`` and ``data`` are what each level is sent.
    ``due_at`` is when it escalates unless acknowledged (empty once acknowledged, closed or at
    its last level)."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "subject_id"),
        Index("ix_escalations_due", "tenant_id", "closed", "due_at"),
    )

    source: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(120))
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    severity: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(default=1)
    max_level: Mapped[int] = mapped_column(default=3)
    contacts: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    template: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ack_within_seconds: Mapped[int] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    regulator_alerted_at: Mapped[datetime | None] = mapped_column(default=None)
    closed: Mapped[bool] = mapped_column(default=False)
