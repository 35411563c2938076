"""Live work-order changes for staff (the ``workOrderChanges`` GraphQL subscription), in every
process of the deployment.

:func:`announce` publishes a ``workorder.*`` event on the bus (outbox, durable, for other
plugins) and, in the same transaction, a notification on the runtime's notifier
(:mod:`kernel.notify`, channel ``linli_workorder_changes``: PostgreSQL ``LISTEN/NOTIFY``,
in-process after commit on SQLite). So a change committed anywhere — a gateway's mutation, an
event handler or the SLA job in ``linli worker``, another gateway — reaches the subscribers of
every gateway, and nothing is sent for a transaction that rolls back. A process hears its own
changes through the notifier too: there is no second, local path.

A notification carries a :class:`Change`: ids and the order's status, priority and category —
exactly what the subscription type exposes, never the reporter, title, description or actor
(any database role may ``LISTEN``). :class:`LiveHub` fans changes out per tenant; each subscriber
has a bounded queue and a slow one loses its oldest changes (counted), never the publisher's
time. Live, not durable: changes committed while this process's listener was down are missed
(``gaps``); plugins that must see every change handle the events (outbox).

``kernel.notify`` is not part of ``kernel.sdk`` yet: this built-in plugin imports it directly.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog

from kernel import notify
from kernel.sdk import Event

log = structlog.get_logger("linli.plugins.workorders")

CHANNEL = "linli_workorder_changes"
SERVICE = "workorders_live_hub"


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


class LiveHub:
    """Fan-out of committed work-order changes to this process's subscribers, per tenant; it
    starts listening with its first subscriber."""

    def __init__(self, notifier: notify.Notifier, queue_size: int = 500) -> None:
        self.notifier = notifier
        self.queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[Change]]] = {}
        self.dropped = 0
        self.gaps = 0

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[Change]]:
        await self.notifier.subscribe_once(
            SERVICE, CHANNEL, self._on_notification, on_reconnect=self._on_reconnect
        )
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=self.queue_size)
        self._subscribers.setdefault(tenant_id, set()).add(queue)
        try:
            yield queue
        finally:
            subs = self._subscribers.get(tenant_id, set())
            subs.discard(queue)
            if not subs:
                self._subscribers.pop(tenant_id, None)

    def _on_notification(self, payload: dict[str, Any]) -> None:
        self.dispatch(Change.from_json(payload))

    def _on_reconnect(self) -> None:
        # nothing to replay from: subscribers missed what committed meanwhile
        self.gaps += 1
        log.warning(
            "workorder_live_gap", subscribers=sum(len(s) for s in self._subscribers.values())
        )

    def dispatch(self, change: Change) -> None:
        for queue in list(self._subscribers.get(change.tenant_id, ())):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(change)


def hub(runtime: Any) -> LiveHub:
    found = runtime.services.get(SERVICE)
    if found is None:
        found = runtime.services[SERVICE] = LiveHub(notify.notifier(runtime))
    return found  # type: ignore[no-any-return]


async def announce(runtime: Any, session: Any, event: Event) -> None:
    """Publish on the bus in the caller's transaction, and to live subscribers in every process
    once that transaction commits (nothing if it rolls back)."""
    await runtime.bus.publish(session, event)
    await notify.notifier(runtime).publish(CHANNEL, Change.of(event).to_json(), session)
