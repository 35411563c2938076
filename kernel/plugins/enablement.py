"""Per-tenant enablement: install globally, enable per tenant.

Enabling is two steps, as in Aragon OSx: :func:`prepare` (unprivileged) returns what the plugin
would be granted; :func:`enable` (tenant admin) applies exactly that and records it; disabling
revokes exactly what was granted.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantScoped, Timestamped
from kernel.db.memo import forget, transaction_facts
from kernel.errors import BadUserInput, Conflict
from kernel.identity.authz import Grant, Policies
from kernel.plugins.contributions import PermissionSet
from kernel.plugins.host import PluginHost


class PluginEnablement(TenantScoped, Timestamped, Base):
    __tablename__ = "plugin_enablements"

    plugin: Mapped[str] = mapped_column(String(80), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def permission_set(host: PluginHost, plugin: str) -> PermissionSet:
    return host.permission_sets().get(plugin, PermissionSet())


def prepare(host: PluginHost, plugin: str) -> tuple[Grant, ...]:
    host.manifest(plugin)
    return permission_set(host, plugin).grants


_MEMO = "plugins.enabled"


async def enabled_plugins(session: AsyncSession) -> set[str]:
    """The plugins the session's tenant has enabled — read once per transaction (the event bus
    asks on every publish, a handler again before calling another plugin's service)."""
    memo = transaction_facts(session)
    found: frozenset[str] | None = memo.get(_MEMO)
    if found is None:
        found = memo[_MEMO] = frozenset((await session.scalars(select(PluginEnablement.plugin))).all())
    return set(found)


async def enable(
    host: PluginHost,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    plugin: str,
    settings: dict[str, Any] | None = None,
) -> tuple[Grant, ...]:
    manifest = host.manifest(plugin)
    if await session.get(PluginEnablement, {"tenant_id": tenant_id, "plugin": plugin}) is not None:
        raise Conflict(f"plugin {plugin!r} is already enabled")
    enabled = await enabled_plugins(session)
    missing = [r for r in manifest.requires if r not in enabled]
    if missing:
        raise BadUserInput(f"enable {', '.join(missing)} first: {plugin!r} requires it")
    settings = settings or {}
    if manifest.settings_schema is not None:
        try:
            settings = manifest.settings_schema.model_validate(settings).model_dump(mode="json")  # type: ignore[attr-defined]
        except Exception as exc:
            raise BadUserInput(f"invalid settings for {plugin!r}: {exc}") from exc
    grants = prepare(host, plugin)
    await Policies(session, tenant_id).grant(list(grants), source=f"plugin:{plugin}")
    session.add(PluginEnablement(plugin=plugin, settings=settings))
    await session.flush()
    forget(session, _MEMO)
    await host.plugin_enabled(plugin, tenant_id, session)
    return grants


async def disable(host: PluginHost, session: AsyncSession, tenant_id: uuid.UUID, plugin: str) -> int:
    host.manifest(plugin)
    row = await session.get(PluginEnablement, {"tenant_id": tenant_id, "plugin": plugin})
    if row is None:
        raise Conflict(f"plugin {plugin!r} is not enabled")
    dependants = [
        p.name for p in host.plugins.values() if plugin in p.manifest.requires and p.name in await enabled_plugins(session)
    ]
    if dependants:
        raise Conflict(f"disable {', '.join(dependants)} first: it requires {plugin!r}")
    await session.delete(row)
    forget(session, _MEMO)
    revoked = await Policies(session, tenant_id).revoke_source(f"plugin:{plugin}")
    await host.plugin_disabled(plugin, tenant_id, session)
    return revoked
