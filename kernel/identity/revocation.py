"""Revoked login sessions and deactivated accounts, checked on every request — cheaply.

Access tokens are stateless JWTs; to stop one before it expires, the gateway checks its session
id (``sid``) and account against two per-tenant sets held in memory. The sets are reloaded only
when the tenant's ``auth_version`` moves, and every revocation or (de)activation bumps it in
the same transaction — so the tenant row the request loads anyway says whether the cache is
current, in every process, at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.errors import Unauthenticated
from kernel.identity.models import Account, LoginSession, RefreshToken
from kernel.tenancy import Tenant


@dataclass(frozen=True)
class _State:
    version: int
    revoked_sessions: frozenset[uuid.UUID]
    disabled_accounts: frozenset[uuid.UUID]


class RevocationCache:
    """Each tenant's revoked sessions and deactivated accounts, at most ``max_tenants`` tenants
    (least recently used out; an evicted tenant's sets are reloaded on its next request)."""

    def __init__(self, max_tenants: int = 1_000) -> None:
        from kernel.caches import BoundedCache

        self._by_tenant: BoundedCache[uuid.UUID, _State] = BoundedCache("revocations", max_tenants)

    def __len__(self) -> int:
        return len(self._by_tenant)

    async def check(self, session: AsyncSession, tenant: Tenant, account_id: uuid.UUID | None, session_id: uuid.UUID | None) -> None:
        """Raise UNAUTHENTICATED if the token's session was revoked or its account deactivated."""
        version = tenant.auth_version
        state = self._by_tenant.get(tenant.id, lambda found: found.version == version)
        if state is None:
            now = utcnow()
            revoked = await session.scalars(
                select(LoginSession.id).where(LoginSession.revoked_at.is_not(None), LoginSession.expires_at > now)
            )
            disabled = await session.scalars(select(Account.id).where(Account.disabled.is_(True)))
            state = _State(tenant.auth_version, frozenset(revoked), frozenset(disabled))
            self._by_tenant.put(tenant.id, state)
        if session_id is not None and session_id in state.revoked_sessions:
            raise Unauthenticated("this session was signed out; log in again", reason="session_revoked")
        if account_id is not None and account_id in state.disabled_accounts:
            raise Unauthenticated("this login was deactivated by the property firm", reason="deactivated")


def cache_of(runtime: object) -> RevocationCache:
    services: dict[str, object] = runtime.services  # type: ignore[attr-defined]
    cache = services.get("identity.revocations")
    if not isinstance(cache, RevocationCache):
        settings = getattr(runtime, "settings", None)
        cache = services["identity.revocations"] = RevocationCache(getattr(settings, "tenant_cache_size", 1_000))
    return cache


async def bump(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await session.execute(update(Tenant).where(Tenant.id == tenant_id).values(auth_version=Tenant.auth_version + 1))


async def revoke_sessions(session: AsyncSession, tenant_id: uuid.UUID, *, account_id: uuid.UUID, session_id: uuid.UUID | None = None) -> int:
    """Revoke one session of the account (or all of them): its refresh tokens and access tokens
    stop at once. Returns how many sessions were revoked."""
    now = utcnow()
    where = [LoginSession.account_id == account_id, LoginSession.revoked_at.is_(None)]
    tokens = [RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None)]
    if session_id is not None:
        where.append(LoginSession.id == session_id)
        tokens.append(RefreshToken.session_id == session_id)
    result = await session.execute(
        update(LoginSession).where(*where).values(revoked_at=now).execution_options(synchronize_session=False)
    )
    await session.execute(update(RefreshToken).where(*tokens).values(revoked_at=now).execution_options(synchronize_session=False))
    await bump(session, tenant_id)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
