"""Staff onboarding: the tenant admin invites a person by phone or e-mail with roles; the person
accepts with the single-use code (sets a username and password) and lands in the firm.

The code is 96 random bits, shown to the admin once (to share by hand) and sent through
``notify(template="identity.invitation", urgency="urgent")``; only its SHA-256 is stored. It
expires (``LINLI_INVITATION_TTL_HOURS``, 72 h) and is consumed by one atomic UPDATE, so two
people racing with the same code cannot both get an account.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import Vault, mask_phone
from kernel.db.base import utcnow
from kernel.errors import BadUserInput, Conflict, NotFound
from kernel.identity.authz import TENANT_ROLES, Policies
from kernel.identity.models import Account, Invitation
from kernel.identity.tokens import digest, new_secret

PHONE = re.compile(r"^1\d{10}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
LOCALES = ("zh-CN", "en")
#: Roles whose holders must enrol a second factor (see docs/people.md).
ADMIN_ROLES = frozenset({"tenant_admin"})


@dataclass(frozen=True)
class Contact:
    channel: str  # phone | email
    value: str

    @property
    def masked(self) -> str:
        if self.channel == "phone":
            return mask_phone(self.value) or ""
        name, _, domain = self.value.partition("@")
        return f"{name[:1]}***@{domain}"


def parse_contact(phone: str | None, email: str | None, *, field_prefix: str = "") -> Contact:
    phone, email = (phone or "").strip(), (email or "").strip().lower()
    if bool(phone) == bool(email):
        raise BadUserInput("give either a mobile number or an e-mail address", field=f"{field_prefix}phone")
    if phone:
        if not PHONE.match(phone):
            raise BadUserInput("a mobile number is 11 digits starting with 1", field=f"{field_prefix}phone")
        return Contact("phone", phone)
    if len(email) > 254 or not EMAIL.match(email):
        raise BadUserInput("that is not an e-mail address", field=f"{field_prefix}email")
    return Contact("email", email)


def check_roles(roles: list[str]) -> list[str]:
    cleaned = sorted({r.strip() for r in roles if r.strip()})
    if not cleaned:
        raise BadUserInput("name at least one role", field="roles")
    unknown = [r for r in cleaned if r not in TENANT_ROLES]
    if unknown:
        raise BadUserInput(f"unknown role {unknown[0]!r}; choose from {', '.join(TENANT_ROLES)}", field="roles")
    return cleaned


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    #: The code, shown once (the admin may share it by hand), and the link carrying it.
    code: str
    link: str


def invitation_link(public_url: str, tenant_slug: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/join?tenant={tenant_slug}&code={code}"


async def invite(
    session: AsyncSession,
    vault: Vault,
    *,
    tenant_id: uuid.UUID,
    tenant_slug: str,
    contact: Contact,
    roles: list[str],
    display_name: str = "",
    locale: str = "zh-CN",
    ttl_hours: int = 72,
    public_url: str = "",
    created_by: uuid.UUID | None = None,
) -> Invited:
    """Create an invitation (flushes). An open invitation to the same contact is replaced."""
    roles = check_roles(roles)
    if locale not in LOCALES:
        raise BadUserInput(f"the locale is one of {', '.join(LOCALES)}", field="locale")
    if len(display_name) > 100:
        raise BadUserInput("a name has at most 100 characters", field="displayName")
    if not 1 <= ttl_hours <= 24 * 30:
        raise BadUserInput("an invitation is valid for 1 hour to 30 days", field="ttlHours")
    now = utcnow()
    contact_digest = vault.keyed_digest(tenant_id, f"{contact.channel}:{contact.value}")
    await session.execute(
        update(Invitation)
        .where(Invitation.contact_digest == contact_digest, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    code = new_secret(12)
    row = Invitation(
        code_hash=digest(code),
        channel=contact.channel,
        contact_enc=vault.encrypt(tenant_id, contact.value),
        contact_digest=contact_digest,
        contact_masked=contact.masked,
        display_name=display_name.strip(),
        roles=roles,
        locale=locale,
        expires_at=now + timedelta(hours=ttl_hours),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return Invited(row, code, invitation_link(public_url, tenant_slug, code))


async def deliver(session: AsyncSession, runtime: Any, tenant_id: uuid.UUID, firm: str, invited: Invited) -> None:
    """Queue the invitation for the person through the notification service (urgent: a code
    ignores quiet hours). Delivered after commit by the outbox worker."""
    from kernel.notifications import Recipient, install, notify

    install(runtime)  # idempotent; the CLI has no started runtime
    row = invited.invitation
    contact = runtime.vault.decrypt(tenant_id, row.contact_enc)
    recipient = Recipient(phone=contact, locale=row.locale) if row.channel == "phone" else Recipient(email=contact, locale=row.locale)
    await notify(
        session,
        tenant_id=tenant_id,
        recipients=[recipient],
        template="identity.invitation",
        data={
            "firm": firm,
            "code": invited.code,
            "link": invited.link,
            "roles": "、".join(row.roles),
            "expires_at": row.expires_at.isoformat(timespec="minutes"),
        },
        urgency="urgent",
        key=f"invitation:{row.id}",
    )


def status_of(row: Invitation, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    return "open"


async def revoke(session: AsyncSession, invitation_id: uuid.UUID) -> Invitation:
    row = await session.scalar(select(Invitation).where(Invitation.id == invitation_id))
    if row is None:
        raise NotFound("no such invitation in this property firm", field="id")
    if status_of(row) != "open":
        raise Conflict(f"the invitation is {status_of(row)} already", reason=status_of(row))
    row.revoked_at = utcnow()
    return row


async def accept(
    session: AsyncSession, vault: Vault, tenant_id: uuid.UUID, *, code: str, username: str, password: str, display_name: str = ""
) -> tuple[Account, Invitation]:
    """Consume the code and create the person's account with the invited roles (flushes)."""
    from kernel.identity.service import create_account

    row = await session.scalar(select(Invitation).where(Invitation.code_hash == digest(code.strip())))
    if row is None:
        # also the answer for another firm's code: the lookup never sees it
        raise NotFound("unknown invitation code; ask the property firm for a new invitation", field="code")
    state = status_of(row)
    if state != "open":
        raise Conflict(f"this invitation was {state}; ask the property firm for a new one", reason=state, field="code")
    now = utcnow()
    won = await session.execute(
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        raise Conflict("this invitation was accepted; ask the property firm for a new one", reason="accepted", field="code")
    account = await create_account(session, username, password, (display_name or row.display_name or username).strip()[:100])
    contact = vault.decrypt(tenant_id, row.contact_enc)
    if row.channel == "phone":
        account.phone_enc = vault.encrypt(tenant_id, contact)
    else:
        account.email_enc = vault.encrypt(tenant_id, contact)
    policies = Policies(session, tenant_id)
    for role in row.roles:
        await policies.assign_role(account.id, role, source="tenant")
    await session.execute(
        update(Invitation).where(Invitation.id == row.id).values(account_id=account.id).execution_options(synchronize_session=False)
    )
    await session.flush()
    return account, row


# -- bulk -----------------------------------------------------------------------------------------

CSV_COLUMNS = ("phone", "email", "roles", "display_name")


@dataclass
class InviteRowError:
    line: int
    column: str
    message: str


@dataclass
class BulkReport:
    """What a bulk invitation did, or why it did nothing (``errors``)."""

    invited: list[Invited] = field(default_factory=list)
    errors: list[InviteRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_csv(text: str) -> tuple[list[tuple[int, Contact, list[str], str]], list[InviteRowError]]:
    """Rows (line, contact, roles, name) and every error found; roles are separated by ``;``."""
    errors: list[InviteRowError] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown or "roles" not in header or not ({"phone", "email"} & set(header)):
        return [], [InviteRowError(1, unknown[0] if unknown else "roles", f"the columns are {', '.join(CSV_COLUMNS)} (phone or email, and roles)")]
    rows: list[tuple[int, Contact, list[str], str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(reader, start=2):
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            contact = parse_contact(cells.get("phone"), cells.get("email"))
        except BadUserInput as exc:
            errors.append(InviteRowError(line, str(exc.details.get("field", "phone")), exc.message))
            continue
        try:
            roles = check_roles(cells.get("roles", "").replace("|", ";").split(";"))
        except BadUserInput as exc:
            errors.append(InviteRowError(line, "roles", exc.message))
            continue
        name = cells.get("display_name", "")
        if len(name) > 100:
            errors.append(InviteRowError(line, "display_name", "a name has at most 100 characters"))
            continue
        key = (contact.channel, contact.value)
        if key in seen:
            errors.append(InviteRowError(line, contact.channel, f"this {contact.channel} is already on line {seen[key]}"))
            continue
        seen[key] = line
        rows.append((line, contact, roles, name))
    if not rows and not errors:
        errors.append(InviteRowError(1, "", "the file has no rows"))
    return rows, errors


def error_report_csv(errors: list[InviteRowError]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["line", "column", "error"])
    for e in errors:
        w.writerow([e.line, e.column, e.message])
    return out.getvalue()
