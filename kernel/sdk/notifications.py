"""Notifications: ``notify(session, tenant_id=..., recipients=..., template=..., data=..., key=...)``
reaches people through their inbox and their channels (delivered after commit through the outbox,
at most once per recipient and key); plugins contribute templates
(``register_notification_templates``) and channels (``register_notification_channels``).
See docs/plugins/notifications.md."""

from __future__ import annotations

from kernel.notifications import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    NotificationTemplate,
    OutgoingMessage,
    Recipient,
    Urgency,
    notify,
)
from kernel.notifications.audience import accounts_with_roles

__all__ = [
    "ChannelUnavailable",
    "DeliveryRejected",
    "NotificationChannel",
    "NotificationTemplate",
    "OutgoingMessage",
    "Recipient",
    "Urgency",
    "accounts_with_roles",
    "notify",
]
