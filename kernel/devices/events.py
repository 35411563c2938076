"""Device domain events, published through the one bus (``runtime.bus.publish``) into the
outbox of the caller's transaction, so plugins handle them after commit, at least once — and,
**after** the transaction commits, fanned out in-process to live subscribers (GraphQL
subscriptions) through :class:`EventHub`.

Types: ``device.online``, ``device.offline``, ``device.alarm_raised``,
``device.alarm_acknowledged``, ``device.alarm_cleared``, ``device.rpc_answered``,
``device.rpc_timed_out``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.events import Event

log = structlog.get_logger("linli.devices")

EVENT_TYPES = (
    "device.online",
    "device.offline",
    "device.alarm_raised",
    "device.alarm_acknowledged",
    "device.alarm_cleared",
    "device.rpc_answered",
    "device.rpc_timed_out",
)
_PENDING = "linli_device_events"


class EventHub:
    """In-process fan-out of committed device events to live subscribers, per tenant.

    Each subscriber has a bounded queue; a subscriber that does not keep up loses the oldest
    events (counted in ``dropped``), never the publisher's time or memory. Only events committed
    in this process reach it: with ``linli worker`` in separate processes, subscriptions see the
    gateway's own events (HTTP ingestion, mutations), not the worker's.
    """

    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[tuple[frozenset[str], asyncio.Queue[Event]]]] = {}
        self.dropped = 0

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID, types: frozenset[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        entry = (types, asyncio.Queue[Event](maxsize=self.queue_size))
        self._subscribers.setdefault(tenant_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            subs = self._subscribers.get(tenant_id)
            if subs is not None:
                subs.discard(entry)
                if not subs:
                    self._subscribers.pop(tenant_id, None)

    def dispatch(self, event: Event) -> None:
        for types, queue in list(self._subscribers.get(event.tenant_id, ())):
            if event.type not in types:
                continue
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(event)


def hub(runtime: Any) -> EventHub:
    found = runtime.services.get("device_event_hub")
    if found is None:
        found = runtime.services["device_event_hub"] = EventHub()
    return found  # type: ignore[no-any-return]


async def publish(runtime: Any, session: AsyncSession, type_: str, tenant_id: uuid.UUID, payload: dict[str, Any], actor: str = "system") -> None:
    """Publish a device event in the caller's transaction (outbox), and to live subscribers
    once that transaction commits (nothing if it rolls back)."""
    assert type_ in EVENT_TYPES, type_
    event = Event(type_, tenant_id, payload, actor=actor)
    if runtime is None:
        return
    await runtime.bus.publish(session, event)
    sync = session.sync_session
    pending = sync.info.get(_PENDING)
    if pending is None:
        pending = sync.info[_PENDING] = []
        target = hub(runtime)

        def _after_commit(s: Any) -> None:
            for e in s.info.pop(_PENDING, []):
                try:
                    target.dispatch(e)
                except Exception:  # pragma: no cover - a subscriber must not break a commit
                    log.exception("device_event_dispatch_failed", event_type=e.type)

        def _after_rollback(s: Any) -> None:
            s.info.pop(_PENDING, None)

        sa_event.listen(sync, "after_commit", _after_commit, once=True)
        sa_event.listen(sync, "after_rollback", _after_rollback, once=True)
    pending.append(event)
