"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from kernel.errors import PluginDisabled, RateLimited, TenantSuspended, Unauthenticated

#: ``session.info`` flag: the session's current transaction has flushed writes.
WROTE_KEY = "linli_wrote"


@event.listens_for(Session, "after_flush")
def _mark_written(session: Session, _flush_context: Any) -> None:
    session.info[WROTE_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_dml(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE_KEY] = True


@event.listens_for(Session, "after_transaction_end")
def _clear_written(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended
        session.info.pop(WROTE_KEY, None)

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

    @asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Wrap a long wait (a device's answer to a command, ...). At most
        ``max_waits_per_tenant`` waits per tenant at once in this process (RATE_LIMITED beyond),
        and the wait holds no pooled database connection: a request that has only read so far
        ends its transaction (nothing to lose) and takes a fresh one on its next query. One that
        has written keeps its transaction, so that it still commits or rolls back whole."""
        tenant_id = self.require_tenant()
        counts: dict[uuid.UUID, int] = self.runtime.services.setdefault("waits_per_tenant", {})
        limit = self.runtime.settings.max_waits_per_tenant
        if counts.get(tenant_id, 0) >= limit:
            raise RateLimited(f"this tenant already has {limit} long waits running; retry when one ends", retryAfter=1.0)
        counts[tenant_id] = counts.get(tenant_id, 0) + 1
        try:
            if self.session is not None and not self.session.info.get(WROTE_KEY):
                # nothing written: committing ends the transaction like a rollback would, and
                # (expire_on_commit=False) leaves what the request loaded readable
                await self.session.commit()
            yield
        finally:
            counts[tenant_id] -= 1
            if not counts[tenant_id]:
                del counts[tenant_id]

    def loader(self, name: str, factory: Any) -> Any:
        """Get the request's DataLoader ``name``, creating it with ``factory()`` on first use."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = factory()
        return found
