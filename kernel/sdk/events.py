"""Domain events: a plugin publishes :class:`Event` through ``runtime.bus.publish(session, event)``
(delivered after commit through the outbox) and handles others' through ``register_event_handlers``
(each handler gets the event and a :class:`HandlerContext`). :func:`enqueue_outbox` queues a
message for a deliverer in the caller's transaction."""

from __future__ import annotations

from kernel.events import Event, HandlerContext
from kernel.outbox import enqueue as enqueue_outbox

__all__ = ["Event", "HandlerContext", "enqueue_outbox"]
