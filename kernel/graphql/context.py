"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.errors import PluginDisabled, TenantSuspended, Unauthenticated

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from kernel.identity.authz import TenantEnforcer
    from kernel.runtime import Runtime
    from kernel.tenancy import Tenant


@dataclass
class Actor:
    """Who is calling: an account (via JWT) or an integration (via API key)."""

    account_id: uuid.UUID | None
    kind: str = "account"  # account | api_key | regulator
    api_key_role: str | None = None
    platform_admin: bool = False
    #: For ``kind == "regulator"``: the street code of the jurisdiction.
    regulator_street: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.account_id}" if self.account_id else f"{self.kind}:anonymous"


@dataclass
class RequestContext:
    runtime: Runtime
    request_id: str
    session: AsyncSession | None = None
    tenant: Tenant | None = None
    actor: Actor | None = None
    enforcer: TenantEnforcer | None = None
    enabled_plugins: frozenset[str] = frozenset()
    #: DataLoaders, created lazily per request and cached for its length only.
    loaders: dict[str, Any] = field(default_factory=dict)
    request: Any = None
    response: Any = None
    failed: bool = False

    # -- helpers for resolvers ---------------------------------------------------------------------

    def require_tenant(self) -> uuid.UUID:
        if self.actor is None or self.actor.account_id is None and self.actor.kind != "api_key":
            raise Unauthenticated("log in first: send `Authorization: Bearer <access token>`")
        if self.tenant is None:
            raise Unauthenticated("this request is not bound to a tenant; log in to a tenant")
        if not self.tenant.is_active:
            raise TenantSuspended(f"tenant {self.tenant.slug!r} is suspended; contact the platform operator")
        return self.tenant.id

    @property
    def db(self) -> AsyncSession:
        self.require_tenant()
        assert self.session is not None
        return self.session

    def allowed(self, obj: str, act: str) -> bool:
        if self.enforcer is None or self.actor is None:
            return False
        if self.actor.kind == "api_key":
            return self.actor.api_key_role is not None and self.enforcer.role_allows(self.actor.api_key_role, obj, act)
        return self.actor.account_id is not None and self.enforcer.allows(self.actor.account_id, obj, act)

    def roles(self) -> list[str]:
        if self.enforcer is None or self.actor is None:
            return []
        if self.actor.kind == "api_key":
            return [self.actor.api_key_role] if self.actor.api_key_role else []
        return self.enforcer.roles_of(self.actor.account_id) if self.actor.account_id else []

    def require_plugin(self, plugin: str) -> None:
        self.require_tenant()
        loaded = self.runtime.host.plugins.get(plugin)
        if loaded is not None and loaded.manifest.core:
            return
        if plugin not in self.enabled_plugins:
            raise PluginDisabled(f"the {plugin!r} plugin is not enabled for this tenant; a tenant admin can enable it")

    async def audit(self, action: str, target: object = "", **detail: Any) -> None:
        """Append to the request tenant's audit log, as the request's actor, in its transaction."""
        from kernel.audit import record

        await record(self.db, tenant_id=self.require_tenant(), actor=self.actor.label if self.actor else "anonymous",
                     action=action, target=str(target), detail=detail)

    def loader(self, name: str, factory: Any) -> Any:
        """Get the request's DataLoader ``name``, creating it with ``factory()`` on first use."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = factory()
        return found
