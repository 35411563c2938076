"""The people of a tenant: its accounts and their roles.

Every input that names an account (a technician's login, an inspector, a role holder) must be an
account of the caller's tenant. :func:`require_member` is the one check plugins call: an id of
another tenant answers exactly like an id that does not exist (NOT_FOUND), because the lookup
runs in the tenant's scope and never sees the other tenant's rows.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.errors import Conflict, NotFound
from kernel.identity.authz import Policies
from kernel.identity.models import Account


async def require_member(session: AsyncSession, account_id: uuid.UUID, *, field: str = "accountId") -> Account:
    """The account with this id in the session's tenant; NOT_FOUND otherwise (also when it is
    another tenant's — indistinguishable by design). Deactivated accounts count as members:
    history keeps pointing at them."""
    account = await session.scalar(select(Account).where(Account.id == account_id))
    if account is None:
        raise NotFound(f"no account {account_id} in this property firm", field=field)
    return account


async def by_username(session: AsyncSession, username: str) -> Account:
    account = await session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFound(f"no account {username!r} in this property firm", field="username")
    return account


async def _active_admins(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    holders = {a for a, r in await Policies(session, tenant_id).members() if r == "tenant_admin"}
    if not holders:
        return set()
    active = await session.scalars(select(Account.id).where(Account.id.in_(holders), Account.disabled.is_(False)))
    return set(active)


async def set_roles(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, roles: list[str]) -> tuple[Account, list[str]]:
    """Replace the account's roles (flushes). The last active tenant admin keeps the role."""
    from kernel.identity.invitations import check_roles

    account = await require_member(session, account_id)
    wanted = set(check_roles(roles)) if roles else set()
    policies = Policies(session, tenant_id)
    held = {r for a, r in await policies.members() if a == account.id}
    if "tenant_admin" in held and "tenant_admin" not in wanted and await _active_admins(session, tenant_id) == {account.id}:
        raise Conflict("this is the firm's last tenant admin; make someone else admin first", reason="last_admin")
    for role in held - wanted:
        await policies.remove_role(account.id, role)
    for role in wanted - held:
        await policies.assign_role(account.id, role, source="tenant")
    return account, sorted(wanted)


async def deactivate(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, *, by: uuid.UUID | None) -> Account:
    """Stop the person at once: the account, all its sessions and refresh tokens, the API keys it
    created. Access tokens already issued stop on their next request (kernel.identity.revocation)."""
    from kernel.identity.models import ApiKey
    from kernel.identity.revocation import revoke_sessions

    account = await require_member(session, account_id)
    if by is not None and account.id == by:
        raise Conflict("you cannot deactivate yourself", reason="self")
    if account.disabled:
        return account
    if await _active_admins(session, tenant_id) == {account.id}:
        raise Conflict("this is the firm's last tenant admin; make someone else admin first", reason="last_admin")
    now = utcnow()
    account.disabled, account.disabled_at = True, now
    await session.execute(
        update(ApiKey)
        .where(ApiKey.created_by == account.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    await revoke_sessions(session, tenant_id, account_id=account.id)  # bumps auth_version
    await session.flush()
    return account


async def reactivate(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account:
    """Let the person log in again (old sessions and keys stay revoked)."""
    from kernel.identity.revocation import bump

    account = await require_member(session, account_id)
    if account.disabled:
        account.disabled, account.disabled_at = False, None
        await bump(session, tenant_id)
        await session.flush()
    return account
