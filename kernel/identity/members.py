"""The people of a tenant: its accounts and their roles.

Every input that names an account (a technician's login, an inspector, a role holder) must be an
account of the caller's tenant. :func:`require_member` is the one check plugins call: an id of
another tenant answers exactly like an id that does not exist (NOT_FOUND), because the lookup
runs in the tenant's scope and never sees the other tenant's rows.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound
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
