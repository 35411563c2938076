"""Explicit, audited cross-tenant reads for the regulator (street office, 街道办).

The regulator belongs to no tenant. It never gets an unscoped view of tenant tables: a regulator
read visits each active tenant in turn through an ordinary tenant-scoped session (all three
tenancy locks stay on), runs the caller's read there — which must restrict itself to the
regulator's street code and return aggregates, not personal data — and appends an entry to that
tenant's audit log naming the regulator account, so every firm sees who read what.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit import record
from kernel.plugins.enablement import enabled_plugins
from kernel.tenancy import Tenant, TenantStatus

T = TypeVar("T")


async def read_across_tenants(
    runtime: Any,
    *,
    regulator: str,
    street_code: str,
    action: str,
    read: Callable[[AsyncSession, Tenant], Awaitable[list[T]]],
    plugin: str | None = None,
) -> list[T]:
    """Run ``read(session, tenant)`` in every active tenant (that enabled ``plugin``, if given);
    audit each tenant where the read returned something. Returns the concatenated results."""
    async with runtime.db.platform() as s:
        tenants = list((await s.scalars(select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.slug))).all())
    out: list[T] = []
    for tenant in tenants:
        async with runtime.db.tenant(tenant.id) as session:
            if plugin is not None and plugin not in await enabled_plugins(session):
                continue
            rows = await read(session, tenant)
            if rows:
                await record(
                    session,
                    tenant_id=tenant.id,
                    actor=regulator,
                    action=action,
                    detail={"street_code": street_code, "rows": len(rows)},
                )
            out.extend(rows)
    return out
