"""The process runtime as a plugin sees it: a typed protocol instead of ``runtime: Any``.

Hooks that take ``runtime`` (``on_startup``, scheduled jobs, event handlers through
``HandlerContext.runtime``, ``info.context.runtime`` in resolvers) receive the kernel's runtime,
which satisfies :class:`Runtime`. Plugins type their parameters with it and use only what it
declares. :func:`build_runtime` builds one from the environment for a plugin's CLI command.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kernel.config import Settings
    from kernel.crypto import Vault
    from kernel.db.engine import Database
    from kernel.events import EventBus


class Runtime(Protocol):
    """Settings, the database (``db.tenant(tenant_id)`` / ``db.platform()`` sessions), the event
    bus (``bus.publish(session, Event(...))``), the per-tenant vault, and the named services
    components add at start-up."""

    settings: Settings
    db: Database
    bus: EventBus
    vault: Vault
    services: dict[str, Any]

    def poke_workers(self) -> None:
        """Wake the outbox worker now (after a commit that queued messages)."""
        ...

    async def deliver_outbox(self, tenant_id: uuid.UUID | None = None) -> int:
        """Deliver the due outbox messages now, in this process (of one tenant, or of all), and
        return how many — for a CLI command or demo seeding that needs its calls relayed before it
        returns; request handlers leave delivery to the worker."""
        ...


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Build the process runtime from the environment (``LINLI_*``), for plugin CLI commands.

    Call ``await runtime.db.dispose()`` when done.
    """
    from kernel.runtime import Runtime as KernelRuntime

    return KernelRuntime.build(settings)


__all__ = ["Runtime", "build_runtime"]
