"""Login, refresh, API keys. Flushes, never commits: callers own the unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Settings
from kernel.db.base import utcnow
from kernel.errors import BadUserInput, NotFound, RateLimited, TenantSuspended, Unauthenticated
from kernel.identity.authz import TENANT_ROLES
from kernel.identity.models import Account, ApiKey, LoginFailure, PolicyRule, RefreshToken
from kernel.identity.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from kernel.identity.tokens import AccessClaims, digest, issue_access_token, new_secret
from kernel.tenancy import Tenant


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    tenant_id: uuid.UUID
    account_id: uuid.UUID


async def create_account(
    session: AsyncSession, username: str, password: str, display_name: str, *, default_tenant_id: uuid.UUID | None = None
) -> Account:
    username = username.strip()
    if not (3 <= len(username) <= 64):
        raise BadUserInput("a username has 3 to 64 characters", field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if await session.scalar(select(Account.id).where(Account.username == username)):
        from kernel.errors import Conflict

        raise Conflict(f"the username {username!r} is taken", field="username")
    account = Account(
        username=username, display_name=display_name, password_hash=hash_password(password), default_tenant_id=default_tenant_id
    )
    session.add(account)
    await session.flush()
    return account


async def _throttle(session: AsyncSession, settings: Settings, username: str) -> None:
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    failures = await session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username, LoginFailure.created_at >= since)
    )
    if (failures or 0) >= settings.login_max_failures:
        raise RateLimited(
            f"too many failed logins for this account; wait {settings.login_window_seconds // 60} minutes or reset the password",
            retryAfter=settings.login_window_seconds,
        )


async def authenticate(
    platform_session: AsyncSession, settings: Settings, username: str, password: str, tenant_slug: str | None
) -> tuple[Account, Tenant | None]:
    """Check the password (throttled, constant-time for unknown users) and pick the tenant.

    Failures are recorded in their own committed transaction by the caller (see
    :func:`record_failure`) so a rollback cannot erase them.
    """
    await _throttle(platform_session, settings, username)
    account = await platform_session.scalar(select(Account).where(Account.username == username))
    if not verify_password(account.password_hash if account else None, password) or account is None or account.disabled:
        raise Unauthenticated("wrong username or password", reason="bad_credentials")
    if tenant_slug:
        tenant = await platform_session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    elif account.default_tenant_id:
        tenant = await platform_session.get(Tenant, account.default_tenant_id)
    else:
        tenant = None
    if tenant is None:
        if account.regulator_street_code:
            return account, None  # a street office's regulator: no tenant
        raise Unauthenticated("name the tenant (property firm) to log in to", reason="no_tenant")
    if not tenant.is_active:
        raise TenantSuspended(f"tenant {tenant.slug!r} is suspended; contact the platform operator")
    return account, tenant


async def record_failure(session: AsyncSession, username: str) -> None:
    session.add(LoginFailure(username=username[:64]))
    await session.flush()


async def clear_failures(session: AsyncSession, username: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.username == username))


async def has_membership(tenant_session: AsyncSession, account_id: uuid.UUID) -> bool:
    return bool(
        await tenant_session.scalar(
            select(PolicyRule.id).where(PolicyRule.ptype == "g", PolicyRule.v0 == f"account:{account_id}").limit(1)
        )
    )


def issue_regulator_token(settings: Settings, account: Account) -> str:
    """A regulator's access token: no tenant, the jurisdiction's street code, no refresh token."""
    assert account.regulator_street_code
    return issue_access_token(
        settings.secret_key,
        AccessClaims(account.id, None, False, account.regulator_street_code),
        settings.access_token_ttl_seconds,
    )


async def issue_tokens(session: AsyncSession, settings: Settings, account: Account, tenant_id: uuid.UUID) -> TokenPair:
    access = issue_access_token(
        settings.secret_key,
        AccessClaims(account.id, tenant_id, account.is_platform_admin),
        settings.access_token_ttl_seconds,
    )
    refresh = new_secret()
    session.add(
        RefreshToken(
            account_id=account.id,
            tenant_id=tenant_id,
            token_hash=digest(refresh),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    return TokenPair(access, refresh, settings.access_token_ttl_seconds, tenant_id, account.id)


async def refresh_tokens(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate a refresh token. Reusing a rotated token revokes the whole family of the account."""
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)))
    if row is None:
        raise Unauthenticated("unknown refresh token; log in again")
    if row.revoked_at is not None:
        for other in await session.scalars(select(RefreshToken).where(RefreshToken.account_id == row.account_id)):
            other.revoked_at = other.revoked_at or utcnow()
        await session.flush()
        raise Unauthenticated("this refresh token was already used; all sessions were signed out, log in again")
    if row.expires_at < utcnow():
        raise Unauthenticated("the refresh token has expired; log in again")
    account = await session.get(Account, row.account_id)
    tenant = await session.get(Tenant, row.tenant_id)
    if account is None or account.disabled or tenant is None:
        raise Unauthenticated("log in again")
    if not tenant.is_active:
        raise TenantSuspended(f"tenant {tenant.slug!r} is suspended; contact the platform operator")
    row.revoked_at = utcnow()
    return await issue_tokens(session, settings, account, tenant.id)


async def create_api_key(session: AsyncSession, tenant_id: uuid.UUID, name: str, role: str) -> tuple[ApiKey, str]:
    """Create a key; the returned secret ``lk.<tenant>.<prefix>.<secret>`` is shown once."""
    if role not in TENANT_ROLES:
        raise BadUserInput(f"unknown role {role!r}", field="role")
    prefix = new_secret(6)[:8].replace(".", "x")
    secret = new_secret()
    key = ApiKey(name=name, prefix=prefix, secret_hash=digest(secret), role=role)
    session.add(key)
    await session.flush()
    return key, f"lk.{tenant_id.hex}.{prefix}.{secret}"


def parse_api_key(presented: str) -> tuple[uuid.UUID, str, str]:
    """(tenant id, prefix, secret) of a presented key."""
    try:
        kind, tenant_hex, prefix, secret = presented.split(".", 3)
        tenant_id = uuid.UUID(hex=tenant_hex)
    except ValueError:
        raise Unauthenticated("malformed API key") from None
    if kind != "lk":
        raise Unauthenticated("malformed API key")
    return tenant_id, prefix, secret


async def verify_api_key(tenant_session: AsyncSession, prefix: str, secret: str) -> ApiKey:
    import hmac

    key = await tenant_session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, digest(secret)):
        raise Unauthenticated("unknown or revoked API key")
    return key


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound("no such API key")
    key.revoked_at = utcnow()
