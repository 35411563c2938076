"""Tenant lifecycle: provision, suspend/resume, export, delete.

Provisioning is one transaction per step that must be atomic: the tenant row (global), then —
scoped to the new tenant — its first account (the tenant admin: accounts belong to one tenant),
default roles, policies, default plugins and ``on_tenant_provisioned``. If any step fails, the
tenant row is removed again, and everything it owns with it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from kernel import audit
from kernel.errors import BadUserInput, Conflict
from kernel.identity import service as identity
from kernel.identity.authz import Grant, Policies
from kernel.plugins import enablement
from kernel.runtime import Runtime
from kernel.tenancy import Tenant, TenantStatus, all_tenants, tenant_by_slug

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,62}$")

#: Kernel permissions granted to the default roles at provisioning (source ``kernel``).
KERNEL_GRANTS: tuple[Grant, ...] = (
    Grant("tenant_admin", "plugins", "read"),
    Grant("tenant_admin", "plugins", "manage"),
    Grant("tenant_admin", "members", "read"),
    Grant("tenant_admin", "members", "manage"),
    Grant("tenant_admin", "api_keys", "manage"),
    Grant("tenant_admin", "tenant", "export"),
    Grant("tenant_admin", "audit", "read"),
    Grant("auditor", "audit", "read"),
    Grant("auditor", "members", "read"),
    Grant("property_staff", "plugins", "read"),
)


@dataclass
class Provisioned:
    tenant_id: uuid.UUID
    admin_account_id: uuid.UUID


async def provision(
    runtime: Runtime, *, slug: str, name: str, admin_username: str, admin_password: str, admin_name: str = "管理员"
) -> Provisioned:
    if not SLUG.match(slug):
        raise BadUserInput("a tenant slug is 2–63 lowercase letters, digits or dashes, starting with a letter", field="slug")
    async with runtime.db.platform() as s:
        if await s.scalar(select(Tenant.id).where(Tenant.slug == slug)):
            raise Conflict(f"a tenant {slug!r} exists already", field="slug")
        identity.check_new_credentials(admin_username, admin_password)
        tenant = Tenant(slug=slug, name=name)
        s.add(tenant)
        await s.flush()
        tenant_id = tenant.id
    try:
        async with runtime.db.tenant(tenant_id) as ts:
            admin = await identity.create_account(ts, admin_username, admin_password, admin_name)
            admin_id = admin.id
            policies = Policies(ts, tenant_id)
            await policies.grant(list(KERNEL_GRANTS), source="kernel")
            await policies.assign_role(admin_id, "tenant_admin", source="kernel")
            for p in runtime.host.plugins.values():
                if p.manifest.core:
                    await policies.grant(list(enablement.prepare(runtime.host, p.name)), source=f"plugin:{p.name}")
                elif p.manifest.default_enabled:
                    await enablement.enable(runtime.host, ts, tenant_id, p.name)
            await runtime.host.tenant_provisioned(tenant_id, ts)
            await audit.record(ts, tenant_id=tenant_id, actor="platform", action="tenant.provisioned", target=slug)
    except BaseException:
        async with runtime.db.platform() as s:
            await s.execute(delete(Tenant).where(Tenant.id == tenant_id))
        raise
    return Provisioned(tenant_id, admin_id)


async def get_by_slug(runtime: Runtime, slug: str) -> Tenant:
    return await tenant_by_slug(runtime, slug)


async def set_status(runtime: Runtime, slug: str, status: TenantStatus, reason: str | None = None) -> Tenant:
    tenant = await get_by_slug(runtime, slug)
    async with runtime.db.platform() as s:
        row = await s.get(Tenant, tenant.id)
        assert row is not None
        row.status = status
        row.suspended_reason = reason if status == TenantStatus.SUSPENDED else None
        # bump so cached enforcers and contexts see the change at once
        row.policy_version = row.policy_version + 1
    async with runtime.db.tenant(tenant.id) as ts:
        await audit.record(ts, tenant_id=tenant.id, actor="platform", action=f"tenant.{status}", detail={"reason": reason or ""})
    return tenant


async def list_tenants(runtime: Runtime) -> list[Tenant]:
    return await all_tenants(runtime)


async def delete_tenant(runtime: Runtime, slug: str) -> None:
    """Delete the tenant and, by cascade, every row it owns.

    The audit log (append-only entries, trigger-written heads) is not deleted row by row — the
    application role may not — but goes with the tenant row through its ``ON DELETE CASCADE`` foreign key.
    """
    from kernel.db.migrate import UNDELETABLE_TABLES

    tenant = await get_by_slug(runtime, slug)
    async with runtime.db.tenant(tenant.id) as ts:
        from kernel.db.base import Base, TenantScoped

        # children before parents, so composite foreign keys never dangle mid-way
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in UNDELETABLE_TABLES:
                continue
            mapper_cls = _model_for(table)
            if mapper_cls is not None and issubclass(mapper_cls, TenantScoped):
                await ts.execute(delete(mapper_cls))
    async with runtime.db.platform() as s:
        await s.execute(delete(Tenant).where(Tenant.id == tenant.id))


def _model_for(table: Any) -> type | None:
    from kernel.db.base import Base

    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_  # type: ignore[no-any-return]
    return None
