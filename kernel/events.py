"""Domain events through one bus.

``publish`` fans an event out into one outbox row per subscribed handler, in the caller's
transaction, only for plugins the tenant enabled (core plugins always). The outbox worker
delivers each row to its handler inside a tenant transaction; a handler that raises is logged
with the plugin's name, counted, and retried with back-off, without disturbing other handlers.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.metrics import plugin_handler_failures
from kernel.outbox import OutboxMessage, enqueue, hint_after_commit, poke_after_commit
from kernel.plugins.contributions import EventHandler
from kernel.plugins.enablement import enabled_plugins
from kernel.plugins.host import PluginHost

if TYPE_CHECKING:  # the protocol names this module's EventBus: typing only, no import cycle
    from kernel.sdk.runtime import Runtime

log = structlog.get_logger("linli.events")


@dataclass(frozen=True)
class Event:
    type: str
    tenant_id: uuid.UUID
    payload: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=utcnow)
    actor: str = "system"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "tenant_id": str(self.tenant_id),
            "payload": self.payload,
            "id": str(self.id),
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            type=data["type"],
            tenant_id=uuid.UUID(data["tenant_id"]),
            payload=data["payload"],
            id=uuid.UUID(data["id"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            actor=data.get("actor", "system"),
        )


@dataclass
class HandlerContext:
    """What a handler gets besides the event: the runtime (as plugins see it, the
    :class:`kernel.sdk.runtime.Runtime` protocol) and a session in the event's tenant."""

    runtime: Runtime
    tenant_id: uuid.UUID
    session: AsyncSession
    plugin: str


class EventBus:
    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.handlers: dict[str, list[tuple[str, EventHandler]]] = defaultdict(list)
        for plugin, mapping in host.event_handlers():
            for event_type, handler in mapping.items():
                self.handlers[event_type].append((plugin, handler))
        self.runtime: Runtime | None = None  # set by the runtime
        #: The outbox worker's express lane (:meth:`kernel.outbox.OutboxWorker.hint`), set by the
        #: runtime: the rows a transaction queued are handed to it once it commits.
        self.express: Callable[[uuid.UUID, list[uuid.UUID]], None] | None = None

    def subscribers(self, event_type: str) -> list[tuple[str, EventHandler]]:
        return self.handlers.get(event_type, []) + self.handlers.get("*", [])

    async def publish(self, session: AsyncSession, event: Event) -> int:
        subs = self.subscribers(event.type)
        if not subs:
            return 0
        enabled = await enabled_plugins(session)
        queued: list[OutboxMessage] = []
        for plugin, _ in subs:
            loaded = self.host.plugins.get(plugin)
            if loaded is None or not (loaded.manifest.core or plugin in enabled):
                continue
            msg = await enqueue(session, f"event:{plugin}", f"{event.id}:{plugin}", event.to_json())
            if msg is not None:
                queued.append(msg)
        if queued and self.express is not None:
            # delivered as soon as the transaction commits, not on the worker's next poll
            hint_after_commit(session, self.express, event.tenant_id, queued)
        elif queued and self.runtime is not None:
            poke_after_commit(session, self.runtime.poke_workers)
        return len(queued)

    async def deliver(self, session: AsyncSession, msg: OutboxMessage) -> None:
        plugin = msg.topic.split(":", 1)[1]
        event = Event.from_json(msg.payload)
        for name, handler in self.subscribers(event.type):
            if name != plugin:
                continue
            # no savepoint around the handler: a handler that raises fails the whole delivery
            # (the outbox rolls its transaction back and retries), so there is nothing to keep
            try:
                # set by the runtime before any delivery (a bare bus in a unit test has none)
                runtime = cast("Runtime", self.runtime)
                await handler(HandlerContext(runtime, event.tenant_id, session, plugin), event)
            except Exception:
                self.host.failures[plugin] += 1
                plugin_handler_failures.labels(plugin).inc()
                log.exception("plugin_handler_failed", plugin=plugin, event_type=event.type, event_id=str(event.id))
                raise
