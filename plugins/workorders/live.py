"""Live work-order changes for staff (the ``workOrderChanges`` GraphQL subscription), in every
process of the deployment.

:func:`announce` publishes a ``workorder.*`` event on the bus (outbox, durable, for other
plugins) and, in the same transaction, a notification on the runtime's notifier (the SDK's
``notifier``, channel ``linli_workorder_changes``: PostgreSQL ``LISTEN/NOTIFY``,
in-process after commit on SQLite). So a change committed anywhere — a gateway's mutation, an
event handler or the SLA job in ``linli worker``, another gateway — reaches the subscribers of
every gateway, and nothing is sent for a transaction that rolls back. A process hears its own
changes through the notifier too: there is no second, local path.

A notification carries a :class:`Change`: ids and the order's status, priority and category —
exactly what the subscription type exposes, never the reporter, title, description or actor
(any database role may ``LISTEN``). The SDK's tenant hub (:func:`hub`, a ``TenantHub`` of
changes) fans them out per tenant; each subscriber has a bounded queue and a slow one loses its
oldest changes (counted), never the publisher's time. Live, not durable: changes committed while
this process's listener was down are missed (``gaps``); plugins that must see every change handle
the events (outbox).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kernel.sdk import Event, TenantHub, tenant_hub
from kernel.sdk.runtime import Runtime

CHANNEL = "linli_workorder_changes"


@dataclass(frozen=True)
class Change:
    """One committed work-order change as live subscribers see it (what crosses processes)."""

    type: str
    tenant_id: uuid.UUID
    work_order_id: str
    status: str
    priority: str
    category: str
    community_id: str | None
    #: The escalation level reached (``workorder.escalated`` only).
    level: int | None
    at: datetime

    @classmethod
    def of(cls, event: Event) -> Change:
        p = event.payload
        return cls(
            type=event.type,
            tenant_id=event.tenant_id,
            work_order_id=p["work_order_id"],
            status=p["status"],
            priority=p["priority"],
            category=p["category"],
            community_id=p.get("community_id"),
            level=p.get("level"),
            at=event.occurred_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tenant_id": str(self.tenant_id), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            **{
                **data,
                "tenant_id": uuid.UUID(data["tenant_id"]),
                "at": datetime.fromisoformat(data["at"]),
            }
        )


#: The hub's type: work-order changes, fanned out per tenant.
LiveHub = TenantHub[Change]


def hub(runtime: Runtime) -> LiveHub:
    """The runtime's work-order change hub (subscribers: ``subscribe(tenant_id)``)."""
    return tenant_hub(runtime, CHANNEL, Change.from_json, queue_size=500)


async def announce(runtime: Runtime, session: Any, event: Event) -> None:
    """Publish on the bus in the caller's transaction, and to live subscribers in every process
    once that transaction commits (nothing if it rolls back)."""
    await runtime.bus.publish(session, event)
    await hub(runtime).publish(session, Change.of(event))
