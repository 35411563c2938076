"""Who to tell, for audiences the kernel knows: the logins holding given roles in a tenant.

The people on duty come from the duty roster (:mod:`kernel.notifications.duty`), which falls
back to role holders through :func:`accounts_with_roles` when nobody is on it. Disabled logins
are left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.identity.authz import Policies
from kernel.identity.models import Account


async def accounts_with_roles(session: AsyncSession, tenant_id: uuid.UUID, roles: Iterable[str]) -> list[uuid.UUID]:
    """The tenant's active logins holding any of ``roles``, in a stable order."""
    wanted = set(roles)
    ids = {account for account, role in await Policies(session, tenant_id).members() if role in wanted}
    if not ids:
        return []
    active = await session.scalars(select(Account.id).where(Account.id.in_(ids), Account.disabled.is_(False)))
    return sorted(active.all(), key=str)
