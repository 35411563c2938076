"""The firm's members (tenant-scoped accounts), as plugins check them: ``require_member`` answers
NOT_FOUND for an account of another firm exactly as for an unknown one; ``roles_of`` names the
roles one member holds (e.g. to match an access grant given to a role)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.identity.members import require_member


async def roles_of(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID) -> list[str]:
    """The roles ``account_id`` holds in the session's tenant (``tenant_id``), sorted; empty for
    an account of another firm or an unknown one. One indexed query, no policy engine."""
    from kernel.identity.authz import role_subject, subject_for
    from kernel.identity.models import PolicyRule

    rows = await session.scalars(
        select(PolicyRule.v1).where(
            PolicyRule.tenant_id == tenant_id,
            PolicyRule.ptype == "g",
            PolicyRule.v0 == subject_for(account_id),
        )
    )
    prefix = role_subject("")
    return sorted({r.removeprefix(prefix) for r in rows})


__all__ = ["require_member", "roles_of"]
