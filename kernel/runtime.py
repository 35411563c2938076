"""The process's runtime: settings, database, plugin host, event bus, outbox worker,
enforcer cache and vault, built once and handed to the gateway, the CLI and workers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from kernel import notify, ratelimit
from kernel.config import Settings, get_settings
from kernel.crypto import Vault
from kernel.db.engine import Database
from kernel.events import EventBus
from kernel.identity.authz import EnforcerCache
from kernel.outbox import Deliverer, OutboxWorker
from kernel.plugins.contributions import ScheduledJob
from kernel.plugins.host import PluginHost

log = structlog.get_logger("linli.runtime")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    host: PluginHost
    bus: EventBus
    enforcers: EnforcerCache
    vault: Vault
    deliverers: dict[str, Deliverer] = field(default_factory=dict)
    #: Extra state components add (chain client, MQTT bridge, ...), by name.
    services: dict[str, Any] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.bus.runtime = self
        # The audit chain's hash for new entries, and the data-key rings loaded as tenant sessions begin
        from kernel import audit, keys

        audit.configure(self.settings.audit_hash)
        keys.attach(self.db, self.vault)
        self.outbox = OutboxWorker(self.db, self._resolve_deliverer)
        self.bus.express = self.outbox.hint  # events are delivered right after their commit
        # The chain relayer drains the ``chain`` topic; the chain client connects lazily on first use
        # (``kernel.chain.relay.chain_client``, kept in ``services["chain"]``), and the relayer's module
        # (web3, eth-account: ~1 s of imports) is loaded on the first message, not by every CLI command.
        self.deliverers.setdefault("chain", _lazy_chain_deliverer(self))
        # Queued audit entries (``audit.record_queued``: a vote) are chained in batches, one head lock each
        self.outbox.batch_deliverers.setdefault(audit.QUEUED_TOPIC, audit.append_queued)
        # Notifications: the plugins' templates and channels, and the ``notification`` topic.
        from kernel.notifications import install as install_notifications

        install_notifications(self)

    @classmethod
    def build(
        cls,
        settings: Settings | None = None,
        *,
        plugins: Iterable[str] | None = None,
        extra_plugins: Iterable[Any] = (),
        entry_points: bool = True,
    ) -> Runtime:
        settings = (settings or get_settings()).resolved()
        host = PluginHost()
        host.load(defaults=plugins, extra=extra_plugins, entry_points=entry_points, disabled=settings.disable_plugins)
        return cls(
            settings=settings,
            db=Database(
                settings.database_url, pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow, pool_timeout=settings.database_pool_timeout,
            ),
            host=host,
            bus=EventBus(host),
            enforcers=EnforcerCache(settings.tenant_cache_size),
            vault=Vault(
                settings.master_key, cache_size=settings.tenant_cache_size,
                cipher=settings.personal_data_cipher, ring_ttl=settings.key_ring_ttl_seconds,
            ),
        )

    def _resolve_deliverer(self, topic: str) -> Deliverer | None:
        if topic.startswith("event:"):
            return self.bus.deliver
        return self.deliverers.get(topic.split(":", 1)[0])

    def poke_workers(self) -> None:
        self.outbox.wakeup.set()

    async def deliver_outbox(self, tenant_id: uuid.UUID | None = None) -> int:
        """Deliver the due outbox messages now (of one tenant, or of all); returns how many."""
        return await self.outbox.drain(tenant_id)

    async def startup(self) -> None:
        await self.host.startup(self)

    async def shutdown(self) -> None:
        await self.stop_workers()
        await self.host.shutdown(self)
        await notify.close(self)  # the LISTEN connection, before the pool goes
        await ratelimit.close(self)  # the Redis client of shared rate limits, if any
        await self.db.dispose()

    # -- workers ---------------------------------------------------------------------------------

    def scheduled_jobs(self) -> list[ScheduledJob]:
        from kernel.chain.indexer import kernel_chain_jobs

        # The kernel's own jobs first (chain indexer, audit anchoring), then the plugins'.
        from kernel.keys import kernel_key_jobs

        jobs: list[ScheduledJob] = list(kernel_chain_jobs())
        jobs.extend(kernel_key_jobs())
        jobs.extend(self.host.scheduled_jobs())
        return jobs

    def start_workers(self, extra: Iterable[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = ()) -> None:
        self._stop.clear()
        self._tasks.append(asyncio.create_task(self.outbox.run(self._stop)))
        for job in self.scheduled_jobs():
            self._tasks.append(asyncio.create_task(self._every(job)))
        for runner in extra:
            self._tasks.append(asyncio.create_task(runner(self._stop)))

    async def _every(self, job: ScheduledJob) -> None:
        while not self._stop.is_set():
            try:
                await job.run(self)
            except Exception:
                log.exception("scheduled_job_failed", job=job.name)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=job.interval_seconds)
            except TimeoutError:
                pass

    async def stop_workers(self) -> None:
        self._stop.set()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


def _lazy_chain_deliverer(runtime: Runtime) -> Deliverer:
    """``kernel.chain.relay.make_chain_deliverer(runtime)``, built on its first message."""
    built: list[Deliverer] = []

    async def deliver(session: Any, message: Any) -> None:
        if not built:
            from kernel.chain.relay import make_chain_deliverer

            built.append(make_chain_deliverer(runtime))
        await built[0](session, message)

    return deliver
