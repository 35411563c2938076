"""Live updates for subscriptions: :class:`TenantHub` fans a tenant's items out to its
subscribers across processes (PostgreSQL LISTEN/NOTIFY through the :class:`Notifier`)."""

from __future__ import annotations

from kernel.notify import NotificationTooLarge, Notifier, TenantHub, notifier, tenant_hub

__all__ = ["NotificationTooLarge", "Notifier", "TenantHub", "notifier", "tenant_hub"]
