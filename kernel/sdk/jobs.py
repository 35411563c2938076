"""Scheduled work. A plugin returns :class:`ScheduledJob` objects from ``register_scheduled_jobs``;
the runtime runs each ``job.run(runtime)`` every ``interval_seconds`` in the worker process.

Most jobs do the same thing in every tenant that enabled the plugin: :func:`for_each_enabled_tenant`
is that loop, written once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, TypeVar

from kernel.plugins.contributions import ScheduledJob

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from kernel.sdk.runtime import Runtime
    from kernel.tenancy import Tenant

T = TypeVar("T")


async def enabled_plugins(session: AsyncSession) -> set[str]:
    """The plugins the session's tenant has enabled."""
    from kernel.plugins.enablement import enabled_plugins as enabled

    return await enabled(session)


async def for_each_enabled_tenant(
    runtime: Runtime,
    plugin: str,
    work: Callable[[AsyncSession, Tenant], Awaitable[T]],
    *,
    only: Collection[uuid.UUID] | None = None,
    failure_event: str | None = None,
) -> list[T]:
    """Run ``work(session, tenant)`` in every active tenant that enabled ``plugin`` (or only in
    the tenants ``only`` names), each in its own tenant-scoped transaction (on SQLite it takes
    the write lock first: don't open another session that writes from inside ``work``).

    A tenant whose work raises is rolled back, logged (as ``failure_event``, default
    ``<plugin>_job_failed``) and skipped; the others go on. Returns the results in slug order.
    """
    import structlog

    from kernel.tenancy import all_tenants

    log = structlog.get_logger(f"linli.plugins.{plugin}")
    results: list[T] = []
    for tenant in await all_tenants(runtime):
        if not tenant.is_active or (only is not None and tenant.id not in only):
            continue
        try:
            # a background writer: on SQLite it holds the write lock from the start, so a
            # job that reads, opens a savepoint and writes is not refused by another writer
            async with runtime.db.tenant(tenant.id, immediate=True) as session:
                if plugin not in await enabled_plugins(session):
                    continue
                results.append(await work(session, tenant))
        except Exception:
            log.exception(failure_event or f"{plugin}_job_failed", tenant=str(tenant.id))
    return results


__all__ = ["ScheduledJob", "enabled_plugins", "for_each_enabled_tenant"]
