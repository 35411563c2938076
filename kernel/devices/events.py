"""Device domain events, published through the one bus (``runtime.bus.publish``) into the
outbox of the caller's transaction, so plugins handle them after commit, at least once — and,
**after** the transaction commits, to live subscribers (GraphQL subscriptions) in every process
through :class:`EventHub`, over the runtime's notifier (:mod:`kernel.notify`: PostgreSQL
``LISTEN/NOTIFY``, channel ``linli_device_events``; in-process on SQLite).

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
from sqlalchemy.ext.asyncio import AsyncSession

from kernel import notify
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
CHANNEL = "linli_device_events"


class EventHub:
    """Fan-out of committed device events to live subscribers of this process, per tenant.

    The hub hears every device event committed in **any** process of the deployment (the
    gateway's own HTTP ingestion and mutations, the MQTT bridge and jobs in ``linli worker``)
    through the notifier; it starts listening with its first subscriber. Each subscriber has a
    bounded queue; a subscriber that does not keep up loses the oldest events (counted in
    ``dropped``), never the publisher's time or memory. Live, not durable: events committed while
    this process's listener connection was down are not seen (``gaps`` counts those outages);
    plugins that must see every change use event handlers (the outbox).
    """

    def __init__(self, notifier: notify.Notifier | None = None, queue_size: int = 1000) -> None:
        self.notifier = notifier
        self.queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[tuple[frozenset[str], asyncio.Queue[Event]]]] = {}
        self.dropped = 0
        self.gaps = 0

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID, types: frozenset[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        if self.notifier is not None:
            await self.notifier.subscribe_once(
                "device_event_hub", CHANNEL, self._on_notification, on_reconnect=self._on_reconnect
            )
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

    def _on_notification(self, payload: dict[str, Any]) -> None:
        self.dispatch(Event.from_json(payload))

    def _on_reconnect(self) -> None:
        # nothing to replay from: subscribers simply missed what committed meanwhile
        self.gaps += 1
        log.warning("device_event_hub_gap", subscribers=sum(len(s) for s in self._subscribers.values()))

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
        found = runtime.services["device_event_hub"] = EventHub(notify.notifier(runtime))
    return found  # type: ignore[no-any-return]


async def publish(runtime: Any, session: AsyncSession, type_: str, tenant_id: uuid.UUID, payload: dict[str, Any], actor: str = "system") -> None:
    """Publish a device event in the caller's transaction (outbox), and to live subscribers in
    every process once that transaction commits (nothing if it rolls back)."""
    assert type_ in EVENT_TYPES, type_
    event = Event(type_, tenant_id, payload, actor=actor)
    if runtime is None:
        return
    await runtime.bus.publish(session, event)
    body = event.to_json()
    try:
        await notify.notifier(runtime).publish(CHANNEL, body, session)
    except notify.NotificationTooLarge:
        # e.g. a long command response: live subscribers get the ids, handlers the whole event
        slim = {k: v for k, v in payload.items() if k.endswith("_id")}
        await notify.notifier(runtime).publish(CHANNEL, {**body, "payload": {**slim, "truncated": True}}, session)
