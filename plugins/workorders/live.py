"""Live work-order changes for staff (the ``workOrderChanges`` GraphQL subscription).

Every ``workorder.*`` event goes through the bus (outbox, durable, for other plugins) and —
once the publishing transaction **commits** — to in-process subscribers of the same tenant
through :class:`LiveHub`. Nothing is sent for a transaction that rolls back. Each subscriber has a
bounded queue; a slow one loses its oldest changes (counted), never the publisher's time.
Only changes committed in this process arrive (with ``linli worker`` running elsewhere, the SLA
job's escalations are seen by that process's subscribers).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event as sa_event

from kernel.sdk import Event

_PENDING = "linli_workorder_live"
SERVICE = "workorders_live_hub"


class LiveHub:
    def __init__(self, queue_size: int = 500) -> None:
        self.queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[Event]]] = {}
        self.dropped = 0

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=self.queue_size)
        self._subscribers.setdefault(tenant_id, set()).add(queue)
        try:
            yield queue
        finally:
            subs = self._subscribers.get(tenant_id, set())
            subs.discard(queue)
            if not subs:
                self._subscribers.pop(tenant_id, None)

    def dispatch(self, event: Event) -> None:
        for queue in list(self._subscribers.get(event.tenant_id, ())):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(event)


def hub(runtime: Any) -> LiveHub:
    found = runtime.services.get(SERVICE)
    if found is None:
        found = runtime.services[SERVICE] = LiveHub()
    return found  # type: ignore[no-any-return]


async def announce(runtime: Any, session: Any, event: Event) -> None:
    """Publish on the bus in the caller's transaction, and live after it commits."""
    await runtime.bus.publish(session, event)
    sync = session.sync_session
    pending = sync.info.get(_PENDING)
    if pending is None:
        pending = sync.info[_PENDING] = []
        target = hub(runtime)

        def _after_commit(s: Any) -> None:
            for e in s.info.pop(_PENDING, []):
                target.dispatch(e)

        def _after_rollback(s: Any) -> None:
            s.info.pop(_PENDING, None)

        sa_event.listen(sync, "after_commit", _after_commit, once=True)
        sa_event.listen(sync, "after_rollback", _after_rollback, once=True)
    pending.append(event)
