"""Notifications: one kernel service, one SDK call (``notify``), channels and templates from
plugins. See docs/plugins/notifications.md.

``kernel/notify.py`` is something else: the cross-process LISTEN/NOTIFY signals this package
uses for the inbox's live updates.
"""

from kernel.notifications.channels import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    OutgoingMessage,
)
from kernel.notifications.contacts import AccountContacts, account_contacts
from kernel.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
)
from kernel.notifications.service import Recipient, Urgency, install, notify, quiet_until
from kernel.notifications.templates import NotificationTemplate, TemplateError

__all__ = [
    "AccountContacts",
    "ChannelUnavailable",
    "DeliveryRejected",
    "Notification",
    "NotificationChannel",
    "NotificationDelivery",
    "NotificationPreference",
    "NotificationSettings",
    "NotificationTemplate",
    "OutgoingMessage",
    "Recipient",
    "TemplateError",
    "Urgency",
    "account_contacts",
    "install",
    "notify",
    "quiet_until",
]
