"""Device domain events, published through the one bus (``runtime.bus.publish``) into the
outbox of the caller's transaction, so plugins handle them after commit, at least once — and,
**after** the transaction commits, to live subscribers (GraphQL subscriptions) in every process
through the device event hub (:func:`hub`: a :class:`kernel.notify.TenantHub` of events over the
runtime's notifier, channel ``linli_device_events``: PostgreSQL ``LISTEN/NOTIFY``, in-process on
SQLite). Live, not durable: plugins that must see every change use event handlers (the outbox).

Types: ``device.online``, ``device.offline``, ``device.alarm_raised``,
``device.alarm_acknowledged``, ``device.alarm_cleared``, ``device.rpc_answered``,
``device.rpc_timed_out``, ``device.telemetry_event`` (a message carrying one of its profile's
``event_keys``: ``{device_id, device_type, ts, values}``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel import notify
from kernel.events import Event

EVENT_TYPES = (
    "device.online",
    "device.offline",
    "device.alarm_raised",
    "device.alarm_acknowledged",
    "device.alarm_cleared",
    "device.rpc_answered",
    "device.rpc_timed_out",
    "device.telemetry_event",
)
CHANNEL = "linli_device_events"


#: The hub's type: device events, fanned out per tenant and type (see :class:`notify.TenantHub`).
EventHub = notify.TenantHub[Event]


def hub(runtime: Any) -> EventHub:
    """The runtime's device event hub (subscribers: ``subscribe(tenant_id, types)``)."""
    return notify.tenant_hub(runtime, CHANNEL, Event.from_json, queue_size=1000)


async def publish(runtime: Any, session: AsyncSession, type_: str, tenant_id: uuid.UUID, payload: dict[str, Any], actor: str = "system") -> None:
    """Publish a device event in the caller's transaction (outbox), and to live subscribers in
    every process once that transaction commits (nothing if it rolls back)."""
    assert type_ in EVENT_TYPES, type_
    event = Event(type_, tenant_id, payload, actor=actor)
    if runtime is None:
        return
    await runtime.bus.publish(session, event)
    try:
        await hub(runtime).publish(session, event)
    except notify.NotificationTooLarge:
        # e.g. a long command response: live subscribers get the ids, handlers the whole event
        slim = {k: v for k, v in payload.items() if k.endswith("_id")}
        await hub(runtime).publish(session, replace(event, payload={**slim, "truncated": True}))
