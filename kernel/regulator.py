"""Explicit, audited cross-tenant reads for the regulator (street office, 街道办).

The regulator belongs to no tenant. It never gets an unscoped view of tenant tables: a regulator
read visits each active tenant in turn through an ordinary tenant-scoped session (all three
tenancy locks stay on), runs the caller's read there — which must restrict itself to the
regulator's streets (:func:`regulator_streets`: one street, or every street of a district) and
return aggregates, not personal data — and appends an entry to that tenant's audit log naming the
regulator account, so every firm sees who read what. :func:`act_in_tenant` is the one write a
regulator makes (answering a filing), audited the same way.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record
from kernel.errors import NotFound
from kernel.plugins.enablement import enabled_plugins
from kernel.tenancy import Tenant, TenantStatus

T = TypeVar("T")


async def regulator_streets(runtime: Any, code: str) -> tuple[str, ...]:
    """The street codes a regulator account whose jurisdiction is ``code`` supervises: the street
    itself, or every street of a district."""
    from kernel.supervision.jurisdictions import scope_of

    async with runtime.db.platform() as s:
        return (await scope_of(s, code)).streets


#: Firms a regulator read visits at once on a server database (each visit holds one connection).
CONCURRENT_VISITS = 4


async def read_across_tenants(
    runtime: Any,
    *,
    regulator: str,
    street_code: str,
    action: str,
    read: Callable[[AsyncSession, Tenant], Awaitable[list[T]]],
    plugin: str | None = None,
    firm: str | None = None,
) -> list[T]:
    """Run ``read(session, tenant)`` in every active tenant (that enabled ``plugin``, if given;
    only the firm whose slug is ``firm``, if given); audit each tenant where the read returned
    something. Returns the concatenated results, in the order of the firms' slugs. On a server
    database up to :data:`CONCURRENT_VISITS` firms are visited at once (each in its own
    tenant-scoped session); on SQLite one after the other."""
    stmt = select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.slug)
    if firm is not None:
        stmt = stmt.where(Tenant.slug == firm)
    async with runtime.db.platform() as s:
        tenants = list((await s.scalars(stmt)).all())

    async def visit(tenant: Tenant) -> list[T]:
        async with runtime.db.tenant(tenant.id) as session:
            if plugin is not None and plugin not in await enabled_plugins(session):
                return []
            rows = await read(session, tenant)
            if rows:
                await record(
                    session,
                    tenant_id=tenant.id,
                    actor=regulator,
                    action=action,
                    detail={"street_code": street_code, "rows": len(rows)},
                )
            return rows

    if str(runtime.settings.database_url).startswith("sqlite") or len(tenants) < 2:
        results = [await visit(t) for t in tenants]
    else:
        gate = asyncio.Semaphore(CONCURRENT_VISITS)

        async def gated(tenant: Tenant) -> list[T]:
            async with gate:
                return await visit(tenant)

        results = list(await asyncio.gather(*(gated(t) for t in tenants)))
    return [row for rows in results for row in rows]


async def act_in_tenant(
    runtime: Any,
    *,
    regulator: str,
    tenant_id: uuid.UUID,
    action: str,
    target: str,
    act: Callable[[AsyncSession, Tenant], Awaitable[T | None]],
    plugin: str | None = None,
    detail: dict[str, Any] | None = None,
) -> T:
    """Run ``act(session, tenant)`` in one active tenant; it returns ``None`` when the target is
    unknown or outside the regulator's streets, which answers NOT_FOUND exactly as an unknown
    tenant does. Audited in that tenant as ``action`` on ``target``."""
    async with runtime.db.platform() as s:
        tenant = await s.get(Tenant, tenant_id)
    if tenant is None or tenant.status != TenantStatus.ACTIVE:
        raise NotFound("no such record")
    async with runtime.db.tenant(tenant.id) as session:
        if plugin is not None and plugin not in await enabled_plugins(session):
            raise NotFound("no such record")
        result = await act(session, tenant)
        if result is None:
            raise NotFound("no such record")
        await record(session, tenant_id=tenant.id, actor=regulator, action=action, target=target, detail=detail or {})
    return result
