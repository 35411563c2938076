"""Tables of the notification service.

* ``notifications`` — one row per recipient and cause (``(tenant_id, recipient, key)`` unique:
  the idempotency of :func:`notify`). For a login it is also the inbox entry.
* ``notification_deliveries`` — the delivery log, one row per notification and channel. Attempts,
  the last error and the next attempt live on the outbox message it names (``outbox_key``), so
  there is one truth about retries.
* ``notification_preferences`` — a person's choice per category and channel.
* ``notification_settings`` — a person's locale and quiet hours.
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
