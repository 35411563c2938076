"""Accounts, login, refresh, API keys. Functions taking a session flush, never commit: callers
own the unit of work. :func:`login` and :func:`refresh` own theirs (the throttle and a detected
token reuse must commit even when the request fails)."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel import audit
from kernel.config import Settings
from kernel.db.base import utcnow
from kernel.errors import (
    BadUserInput,
    Conflict,
    LinliError,
    NotFound,
    TenantSuspended,
    Unauthenticated,
)
from kernel.identity import platform, revocation, throttle
from kernel.identity.authz import TENANT_ROLES
from kernel.identity.models import (
    Account,
    ApiKey,
    LoginSession,
    PlatformAccount,
    PolicyRule,
    RefreshToken,
)
from kernel.identity.passwords import hash_password, password_problem, verify_password
from kernel.identity.tokens import AccessClaims, digest, issue_access_token, new_secret
from kernel.tenancy import Tenant

BAD_CREDENTIALS = "wrong username or password"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    tenant_id: uuid.UUID | None
    account_id: uuid.UUID


def check_new_credentials(username: str, password: str) -> str:
    """The username, stripped, if it and the password are acceptable for a new login."""
    username = username.strip()
    if not (3 <= len(username) <= 64):
        raise BadUserInput("a username has 3 to 64 characters", field="username")
    problem = password_problem(password, username)
    if problem:
        raise BadUserInput(problem, field="password")
    return username


async def create_account(session: AsyncSession, username: str, password: str, display_name: str) -> Account:
    """A login in the session's tenant (usernames are unique per tenant)."""
    username = check_new_credentials(username, password)
    if await session.scalar(select(Account.id).where(Account.username == username)):
        raise Conflict(f"the username {username!r} is taken in this property firm", field="username")
    account = Account(username=username, display_name=display_name, password_hash=hash_password(password))
    session.add(account)
    await session.flush()
    return account


def mask_ip(address: str) -> str:
    """Keep the network, drop the host: ``203.0.113.x`` / the first 48 bits of an IPv6 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".x"
    return str(ipaddress.ip_network(f"{ip}/48", strict=False).network_address) + "…"


@dataclass(frozen=True)
class _Verified:
    account_id: uuid.UUID
    platform_admin: bool
    regulator_street: str | None
    platform: bool = False
    totp_secret_enc: str | None = None
    totp_confirmed: bool = False
    recovery_hashes: tuple[str, ...] = ()


async def _verify(runtime: object, tenant: Tenant | None, username: str, password: str) -> _Verified:
    """Check the password against the tenant's account of that name (or, for platform staff, the
    platform account). An unknown name — including one that exists in another tenant — is checked
    against a dummy hash, so it costs the same and answers the same as a wrong password."""
    db = runtime.db  # type: ignore[attr-defined]
    stored: str | None = None
    found: _Verified | None = None
    disabled = False
    if tenant is not None:
        async with db.tenant(tenant.id) as ts:
            row = (
                await ts.execute(
                    select(
                        Account.id, Account.password_hash, Account.disabled, Account.totp_secret_enc, Account.totp_confirmed_at,
                        Account.recovery_hashes,
                    ).where(Account.username == username)
                )
            ).first()
        if row is not None:
            stored, disabled = row.password_hash, row.disabled
            found = _Verified(row.id, False, None, False, row.totp_secret_enc, row.totp_confirmed_at is not None, tuple(row.recovery_hashes or ()))
    if found is None:
        async with db.platform() as s:
            p = await platform.login_row(s, username)
        # a regulator belongs to no tenant; a platform admin may enter any tenant it names
        if p is not None and (p.is_platform_admin if tenant is not None else True):
            stored, disabled = p.password_hash, p.disabled
            found = _Verified(
                p.id, p.is_platform_admin, p.regulator_street_code, True, p.totp_secret_enc, p.totp_confirmed, p.recovery_hashes
            )
    ok = await asyncio.to_thread(verify_password, stored, password)
    if not ok or found is None:
        hint = "" if tenant is not None else "; staff and residents also name their property firm (tenant)"
        raise Unauthenticated(BAD_CREDENTIALS + hint, reason="bad_credentials")
    if disabled:
        raise Unauthenticated("this login was deactivated by the property firm", reason="deactivated")
    return found


async def _roles_needing_second_factor(runtime: object, tenant: Tenant | None, who: _Verified) -> list[str]:
    required = set(runtime.settings.second_factor_roles)  # type: ignore[attr-defined]
    if not required:
        return []
    held: set[str] = set()
    if who.platform_admin:
        held.add("platform_admin")
    if who.regulator_street:
        held.add("regulator")
    if tenant is not None and not who.platform:
        async with runtime.db.tenant(tenant.id) as ts:  # type: ignore[attr-defined]
            held |= {r.removeprefix("role:") for r in await ts.scalars(
                select(PolicyRule.v1).where(PolicyRule.ptype == "g", PolicyRule.v0 == f"account:{who.account_id}")
            )}
    return sorted(held & required)


async def _second_factor(runtime: object, tenant: Tenant | None, who: _Verified, presented: str | None) -> bool:
    """True if the login may go on; raises the coded challenge otherwise. Returns False when the
    presented second factor was wrong (the caller counts the attempt as failed)."""
    from kernel.identity import second_factor as sf

    settings, vault = runtime.settings, runtime.vault  # type: ignore[attr-defined]
    if who.totp_confirmed and who.totp_secret_enc:
        if not presented:
            raise Unauthenticated("enter the 6-digit code of your authenticator app (or a recovery code)", reason="second_factor_required")
        domain = sf.PLATFORM_KEY if who.platform else tenant.id  # type: ignore[union-attr]
        checked = sf.check(vault, domain, who.totp_secret_enc, list(who.recovery_hashes), presented)
        if checked is None:
            return False
        keep, step = checked
        if step is not None:  # each code logs in once (a replayed or overlooked code is refused)
            await sf.claim_step(runtime, who.account_id, step)
        if len(keep) != len(who.recovery_hashes):  # a recovery code was used up
            await _store_recovery(runtime, tenant, who, keep)
        return True
    required = await _roles_needing_second_factor(runtime, tenant, who)
    if required:
        token = sf.enrolment_token(settings.secret_key, sf.Enrolment(who.account_id, tenant.id if tenant else None, who.platform))
        raise Unauthenticated(
            f"your role ({', '.join(required)}) logs in with a second factor: enrol an authenticator app first",
            reason="second_factor_enrolment_required",
            enrolmentToken=token,
        )
    return True


async def _store_recovery(runtime: object, tenant: Tenant | None, who: _Verified, keep: list[str]) -> None:
    db = runtime.db  # type: ignore[attr-defined]
    if who.platform:
        async with db.platform() as s:
            await s.execute(update(PlatformAccount).where(PlatformAccount.id == who.account_id).values(recovery_hashes=keep))
    else:
        async with db.tenant(tenant.id) as ts:  # type: ignore[union-attr]
            await ts.execute(
                update(Account).where(Account.id == who.account_id).values(recovery_hashes=keep).execution_options(synchronize_session=False)
            )


async def login(
    runtime: object,
    username: str,
    password: str,
    tenant_slug: str | None,
    *,
    source: str = "",
    user_agent: str = "",
    second_factor: str | None = None,
) -> TokenPair:
    """(tenant, username, password[, second factor]) → tokens. A regulator names no tenant and
    gets an access token without tenant or refresh token. Throttled before the password is
    looked at; a wrong second factor counts as a failed attempt."""
    db, settings = runtime.db, runtime.settings  # type: ignore[attr-defined]
    tenant: Tenant | None = None
    if tenant_slug:
        async with db.platform() as s:
            tenant = await s.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
        if tenant is None:
            raise Unauthenticated(f"there is no property firm (tenant) {tenant_slug!r}; check its code", reason="unknown_tenant")
    tenant_id = tenant.id if tenant is not None else None
    attempt = await throttle.admit(db, settings, source=source, tenant_id=tenant_id, username=username)
    who = await _verify(runtime, tenant, username, password)
    try:
        passed = await _second_factor(runtime, tenant, who, second_factor)
    except Unauthenticated:
        # the password was right: asking for the second factor (or enrolment) is not a failure
        await throttle.succeeded(db, attempt, source=source, tenant_id=tenant_id, username=username, clear=False)
        raise
    if not passed:
        raise Unauthenticated("the second factor is wrong", reason="bad_second_factor")
    await throttle.succeeded(db, attempt, source=source, tenant_id=tenant_id, username=username)
    return await finish_login(runtime, tenant, who.account_id, who.platform_admin, who.regulator_street, user_agent=user_agent, source=source)


async def finish_login(
    runtime: object,
    tenant: Tenant | None,
    account_id: uuid.UUID,
    platform_admin: bool,
    regulator_street: str | None,
    *,
    user_agent: str = "",
    source: str = "",
) -> TokenPair:
    """Issue the tokens of a verified login (password and, where needed, second factor)."""
    db, settings = runtime.db, runtime.settings  # type: ignore[attr-defined]
    if tenant is None:
        if regulator_street is None:
            raise Unauthenticated("name the property firm (tenant) to log in to", reason="no_tenant")
        token = issue_access_token(
            settings.secret_key, AccessClaims(account_id, None, False, regulator_street), settings.access_token_ttl_seconds
        )
        return TokenPair(token, "", settings.access_token_ttl_seconds, None, account_id)
    if not tenant.is_active:
        raise TenantSuspended(f"tenant {tenant.slug!r} is suspended; contact the platform operator")
    for attempt_no in range(3):
        try:
            async with db.tenant(tenant.id) as ts:
                await audit.record(ts, tenant_id=tenant.id, actor=f"account:{account_id}", action="auth.login")
                return await _issue(ts, settings, account_id, tenant.id, platform_admin, user_agent=user_agent, ip=source)
        except IntegrityError:
            # SQLite ignores FOR UPDATE: two logins of one firm at once can pick the same audit
            # sequence number; the loser's transaction rolled back whole, so it simply goes again
            if attempt_no == 2:
                raise
    raise AssertionError("unreachable")


async def _issue(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    tenant_id: uuid.UUID,
    platform_admin: bool,
    *,
    session_id: uuid.UUID | None = None,
    user_agent: str = "",
    ip: str = "",
) -> TokenPair:
    expires = utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds)
    if session_id is None:
        login_session = LoginSession(account_id=account_id, expires_at=expires, user_agent=user_agent[:200], ip_masked=mask_ip(ip))
        session.add(login_session)
        await session.flush()
        session_id = login_session.id
    access = issue_access_token(
        settings.secret_key, AccessClaims(account_id, tenant_id, platform_admin, session_id=session_id), settings.access_token_ttl_seconds
    )
    secret = new_secret()
    session.add(RefreshToken(account_id=account_id, session_id=session_id, token_hash=digest(secret), expires_at=expires))
    await session.flush()
    return TokenPair(access, f"{tenant_id.hex}.{secret}", settings.access_token_ttl_seconds, tenant_id, account_id)


async def issue_tokens(
    session: AsyncSession, settings: Settings, account: Account | PlatformAccount, tenant_id: uuid.UUID, *, user_agent: str = "", ip: str = ""
) -> TokenPair:
    """A new login session for the account in the tenant (``session`` is scoped to it), as a
    successful login issues it — without the password check."""
    platform_admin = isinstance(account, PlatformAccount) and account.is_platform_admin
    return await _issue(session, settings, account.id, tenant_id, platform_admin, user_agent=user_agent, ip=ip)


def _split_refresh(token: str) -> tuple[uuid.UUID, str]:
    tenant_hex, _, secret = token.partition(".")
    try:
        return uuid.UUID(hex=tenant_hex), secret
    except ValueError:
        raise Unauthenticated("unknown refresh token; log in again") from None


async def refresh(runtime: object, refresh_token: str) -> TokenPair:
    """Rotate a refresh token: exactly one caller wins a token (an atomic UPDATE … WHERE
    revoked_at IS NULL). Presenting a rotated token again revokes its whole session."""
    db, settings = runtime.db, runtime.settings  # type: ignore[attr-defined]
    tenant_id, secret = _split_refresh(refresh_token)
    async with db.platform() as s:
        tenant = await s.get(Tenant, tenant_id)
    if tenant is None or not secret:
        raise Unauthenticated("unknown refresh token; log in again")
    error: LinliError | None = None
    pair: TokenPair | None = None
    async with db.tenant(tenant.id) as ts:
        now = utcnow()
        h = digest(secret)
        won = await ts.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == h, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        row = await ts.scalar(select(RefreshToken).where(RefreshToken.token_hash == h))
        if row is None:
            error = Unauthenticated("unknown refresh token; log in again")
        elif not won.rowcount:  # type: ignore[attr-defined]
            if row.expires_at <= now and row.revoked_at is None:
                error = Unauthenticated("the refresh token has expired; log in again")
            else:
                # a rotated token presented again: someone holds a copy — sign the account out everywhere
                await revocation.revoke_sessions(ts, tenant.id, account_id=row.account_id)
                error = Unauthenticated("this refresh token was already used; all sessions were signed out, log in again")
        else:
            login_session = await ts.get(LoginSession, (row.session_id, tenant.id))
            account = await ts.get(Account, (row.account_id, tenant.id))
            platform_admin = False
            if account is None:
                admin = await ts.get(PlatformAccount, row.account_id)
                platform_admin = admin is not None and admin.is_platform_admin and not admin.disabled
            if login_session is None or login_session.revoked_at is not None:
                error = Unauthenticated("this session was signed out; log in again", reason="session_revoked")
            elif (account is None and not platform_admin) or (account is not None and account.disabled):
                error = Unauthenticated("log in again")
            elif not tenant.is_active:
                error = TenantSuspended(f"tenant {tenant.slug!r} is suspended; contact the platform operator")
            else:
                login_session.last_used_at = now
                pair = await _issue(ts, settings, row.account_id, tenant.id, platform_admin, session_id=row.session_id)
    if error is not None:
        raise error
    assert pair is not None
    return pair


async def create_api_key(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, role: str, *, created_by: uuid.UUID | None = None
) -> tuple[ApiKey, str]:
    """Create a key; the returned secret ``lk.<tenant>.<prefix>.<secret>`` is shown once."""
    if role not in TENANT_ROLES:
        raise BadUserInput(f"unknown role {role!r}", field="role")
    prefix = new_secret(6)[:8].replace(".", "x")
    secret = new_secret()
    key = ApiKey(name=name, prefix=prefix, secret_hash=digest(secret), role=role, created_by=created_by)
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
