"""Notifications: one kernel service, one SDK call (``notify``), channels and templates from
plugins. See docs/plugins/notifications.md.

``kernel/notify.py`` is something else: the cross-process LISTEN/NOTIFY signals this package
uses for the inbox's live updates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Name → submodule defining it. Loaded on first use, so that the plugin host importing
#: ``kernel.notifications.plugin`` (``linli --help`` does) loads no SQLAlchemy.
_LAZY = {
    "ChannelUnavailable": "channels",
    "DeliveryRejected": "channels",
    "NotificationChannel": "channels",
    "OutgoingMessage": "channels",
    "AccountContacts": "contacts",
    "account_contacts": "contacts",
    "Notification": "models",
    "NotificationDelivery": "models",
    "NotificationPreference": "models",
    "NotificationSettings": "models",
    "Recipient": "service",
    "Urgency": "service",
    "install": "service",
    "notify": "service",
    "quiet_until": "service",
    "NotificationTemplate": "templates",
    "TemplateError": "templates",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
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
