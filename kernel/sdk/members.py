"""The firm's members (tenant-scoped accounts), as plugins check and invite them:
``require_member`` answers NOT_FOUND for an account of another firm exactly as for an unknown one;
``roles_of`` names the roles one member holds (e.g. to match an access grant given to a role);
``invite_member`` invites a person with roles through the kernel's invitation machinery (the same
code, link, expiry and message as the ``inviteMember`` mutation). When the person accepts, the
kernel publishes ``member.joined`` ``{account_id, invitation_id, roles}``: a plugin that keeps the
invitation's id links the new login from its handler. ``members_with_roles`` lists the firm's
active accounts holding given roles (id, display name, roles), e.g. for a picker whose caller
lacks ``members:read``: mask the name before showing it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.identity.members import require_member

__all__ = [
    "MemberInvitation",
    "MemberSummary",
    "invite_member",
    "members_with_roles",
    "require_member",
    "roles_of",
]

MAX_MEMBERS = 200


@dataclass(frozen=True)
class MemberInvitation:
    """An invitation made by :func:`invite_member`: its id (``member.joined`` names it), the
    single-use code and link (show them once; they are also sent to the person) and the masked
    contact, for lists."""

    invitation_id: uuid.UUID
    code: str
    link: str
    contact_masked: str


@dataclass(frozen=True)
class MemberSummary:
    """An active account of the firm, as :func:`members_with_roles` lists it: ``display_name``
    is the full name (personal data; mask it for lists), ``roles`` the wanted roles it holds."""

    account_id: uuid.UUID
    display_name: str
    roles: list[str]


async def invite_member(
    session: Any,
    runtime: Any,
    tenant: Any,
    *,
    roles: list[str],
    phone: str | None = None,
    email: str | None = None,
    display_name: str = "",
    locale: str = "zh-CN",
    created_by: uuid.UUID | None = None,
    actor: str = "system",
) -> MemberInvitation:
    """Invite a person by mobile number or e-mail (exactly one) with ``roles`` into ``tenant``
    (the request's ``info.context.tenant``: ``id``, ``slug``, ``name``). Validates like
    ``inviteMember`` (``BAD_USER_INPUT`` naming ``phone``/``email``/``roles``), writes the
    invitation in the caller's transaction, queues the urgent message with the code, and audits
    ``member.invited`` as ``actor``. An open invitation to the same contact is replaced."""
    from kernel import audit
    from kernel.identity import invitations

    settings = runtime.settings
    invited = await invitations.invite(
        session,
        runtime.vault,
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        contact=invitations.parse_contact(phone, email),
        roles=roles,
        display_name=display_name,
        locale=locale,
        ttl_hours=settings.invitation_ttl_hours,
        public_url=settings.public_url,
        created_by=created_by,
    )
    await invitations.deliver(session, runtime, tenant.id, tenant.name, invited)
    row = invited.invitation
    await audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="member.invited",
        target=str(row.id),
        detail={"roles": list(row.roles), "contact": row.contact_masked},
    )
    return MemberInvitation(row.id, invited.code, invited.link, row.contact_masked)


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


async def members_with_roles(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    roles: list[str],
    *,
    search: str | None = None,
    limit: int = MAX_MEMBERS,
) -> list[MemberSummary]:
    """The tenant's active (not deactivated) accounts holding any of ``roles``, by display name
    then id, at most ``limit`` (capped at 200). ``search`` keeps those whose display name contains
    it (case-insensitive, wildcards taken literally). Each summary names only the wanted roles the
    account holds. Runs in the session's tenant scope: another firm's accounts never appear."""
    from kernel.identity.authz import role_subject
    from kernel.identity.models import Account, PolicyRule

    wanted = {role_subject(r): r for r in roles}
    if not wanted:
        return []
    account_prefix = "account:"
    rules = await session.execute(
        select(PolicyRule.v0, PolicyRule.v1).where(
            PolicyRule.tenant_id == tenant_id,
            PolicyRule.ptype == "g",
            PolicyRule.v1.in_(list(wanted)),
            PolicyRule.v0.startswith(account_prefix),
        )
    )
    held: dict[uuid.UUID, set[str]] = {}
    for subject, role in rules:
        try:
            account_id = uuid.UUID(subject.removeprefix(account_prefix))
        except ValueError:
            continue
        held.setdefault(account_id, set()).add(wanted[role])
    if not held:
        return []
    stmt = select(Account.id, Account.display_name).where(
        Account.tenant_id == tenant_id,
        Account.id.in_(list(held)),
        Account.disabled.is_(False),
    )
    needle = (search or "").strip()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Account.display_name.ilike(f"%{escaped}%", escape="\\"))
    stmt = stmt.order_by(Account.display_name, Account.id).limit(max(0, min(limit, MAX_MEMBERS)))
    return [
        MemberSummary(account_id, name, sorted(held[account_id]))
        for account_id, name in await session.execute(stmt)
    ]
