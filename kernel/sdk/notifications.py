"""Notifications: ``notify`` a recipient with a template; contribute templates and channels
(``register_notification_templates`` / ``register_notification_channels``).
See docs/plugins/notifications.md."""

from __future__ import annotations

from kernel.notifications.channels import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    OutgoingMessage,
)
from kernel.notifications.service import Recipient, Urgency, notify
from kernel.notifications.templates import NotificationTemplate

__all__ = [
    "ChannelUnavailable",
    "DeliveryRejected",
    "NotificationChannel",
    "NotificationTemplate",
    "OutgoingMessage",
    "Recipient",
    "Urgency",
    "notify",
]
