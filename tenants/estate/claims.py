"""Owners and residents prove who they are: a claim (firm's code, phone, unit) verified by a one-time code
sent to the phone the register already holds, or by staff approval; verified, it creates the login, links it
to the register's person (``Person.account_id``) and gives the ``owner`` or ``resident`` role.

The code goes only to the number in the register — never to a number the claimant typed unless it is that
number. A claim that does not match the register gets one answer whatever the register holds (nobody, another
person, another number), so a claim reveals nobody. Flush, never commit; the functions that count wrong codes
return the error instead of raising it, so the caller commits the count before refusing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import mask_name, mask_phone
from kernel.db.base import utcnow
from kernel.errors import BadUserInput, Conflict, LinliError, NotFound, RateLimited
from kernel.identity.authz import Policies
from kernel.identity.models import Account
from kernel.identity.passwords import hash_password
from kernel.identity.service import check_new_credentials
from tenants.estate.models import OwnerClaim, Ownership, Person, Residency, Unit
from tenants.estate.service import PHONE

KINDS = ("owner", "resident")
ROUTES = ("code", "staff")
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
#: Claims one phone number may start per hour (each may send a code to the register's phone).
MAX_STARTS_PER_HOUR = 3
ROLE_OF_KIND = {"owner": "owner", "resident": "resident"}
NO_MATCH = (
    "the register holds no person with this phone number for this unit; "
    "ask the property firm to approve your claim (verification STAFF, with evidence)"
)


@dataclass(frozen=True)
class Started:
    claim: OwnerClaim
    #: Where the code went (masked), for the code route.
    sent_to: str | None


def _code_hash(claim_id: uuid.UUID, code: str) -> str:
    return hashlib.sha256(f"{claim_id}:{code}".encode()).hexdigest()


def phone_digest(vault: Any, tenant_id: uuid.UUID, phone: str) -> str:
    return str(vault.keyed_digest(tenant_id, f"claim-phone:{phone}"))


async def candidates(session: AsyncSession, unit_id: uuid.UUID, kind: str) -> list[Person]:
    """The register's persons a claim of ``kind`` on the unit may be: its owners, or its current residents."""
    if kind == "owner":
        stmt = select(Person).join(Ownership, and_(Ownership.person_id == Person.id, Ownership.tenant_id == Person.tenant_id)).where(Ownership.unit_id == unit_id)
    else:
        stmt = (
            select(Person)
            .join(Residency, and_(Residency.person_id == Person.id, Residency.tenant_id == Person.tenant_id))
            .where(Residency.unit_id == unit_id, Residency.current())
        )
    return list((await session.scalars(stmt.where(Person.kind == "natural"))).all())


def _phone_of(vault: Any, tenant_id: uuid.UUID, person: Person) -> str | None:
    return vault.decrypt(tenant_id, person.phone_enc) if person.phone_enc else None


async def start_claim(
    session: AsyncSession,
    runtime: Any,
    tenant_id: uuid.UUID,
    *,
    unit_id: uuid.UUID,
    phone: str,
    name: str,
    kind: str,
    username: str,
    password: str,
    route: str,
    evidence: str = "",
    locale: str = "zh-CN",
) -> Started:
    """Record a claim; on the code route, send the code to the register's phone (urgent)."""
    vault = runtime.vault
    phone, name, evidence = phone.strip(), name.strip(), evidence.strip()
    if kind not in KINDS:
        raise BadUserInput(f"a claim is one of {', '.join(KINDS)}", field="kind")
    if route not in ROUTES:
        raise BadUserInput(f"verification is one of {', '.join(ROUTES)}", field="verification")
    if not PHONE.match(phone):
        raise BadUserInput("a mobile number is 11 digits starting with 1", field="phone")
    if not name or len(name) > 100:
        raise BadUserInput("a name has 1–100 characters", field="name")
    if len(evidence) > 2000:
        raise BadUserInput("evidence has at most 2000 characters", field="evidence")
    if locale not in ("zh-CN", "en"):
        raise BadUserInput("the language is zh-CN or en", field="locale")
    username = check_new_credentials(username, password)
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None:
        raise NotFound("no unit with this id")
    digest = phone_digest(vault, tenant_id, phone)
    if await session.scalar(select(OwnerClaim.id).where(OwnerClaim.phone_digest == digest, OwnerClaim.status == "verified").limit(1)):
        raise Conflict("this phone number has claimed already: log in, or reset the password", reason="phone_claimed", field="phone")
    taken = await session.scalar(select(Account.id).where(Account.username == username)) or await session.scalar(
        select(OwnerClaim.id).where(OwnerClaim.username == username, OwnerClaim.status == "pending", OwnerClaim.phone_digest != digest).limit(1)
    )
    if taken:
        raise Conflict(f"the username {username!r} is taken in this property firm", field="username")
    hour_ago = utcnow() - timedelta(hours=1)
    recent = await session.scalar(select(func.count()).select_from(OwnerClaim).where(OwnerClaim.phone_digest == digest, OwnerClaim.created_at >= hour_ago))
    if int(recent or 0) >= MAX_STARTS_PER_HOUR:
        raise RateLimited("too many claims for this phone number; try again in an hour", retry_after=3600)
    people = await candidates(session, unit_id, kind)
    match = next((p for p in people if _phone_of(vault, tenant_id, p) == phone), None)
    if match is not None and match.account_id is not None:
        raise Conflict("this phone number has claimed already: log in, or reset the password", reason="phone_claimed", field="phone")
    if route == "code" and match is None:
        raise Conflict(NO_MATCH, reason="register_mismatch")
    # a new claim for the same phone and unit supersedes an open one (and its code)
    await session.execute(
        update(OwnerClaim)
        .where(OwnerClaim.phone_digest == digest, OwnerClaim.unit_id == unit_id, OwnerClaim.status == "pending")
        .values(status="superseded", code_hash=None, password_hash=None)
        .execution_options(synchronize_session=False)
    )
    claim = OwnerClaim(
        unit_id=unit_id, kind=kind, route=route, claimant_name=name, phone_enc=vault.encrypt(tenant_id, phone), phone_digest=digest,
        phone_masked=mask_phone(phone) or "", person_id=match.id if match is not None else None, username=username,
        password_hash=hash_password(password), evidence=evidence,
    )
    session.add(claim)
    await session.flush()
    if route == "staff":
        return Started(claim, None)
    assert match is not None
    code = f"{secrets.randbelow(1_000_000):06d}"
    claim.code_hash, claim.code_expires_at = _code_hash(claim.id, code), utcnow() + timedelta(minutes=CODE_MINUTES)
    await session.flush()
    from kernel.notifications import Recipient, install, notify

    install(runtime)
    register_phone = _phone_of(vault, tenant_id, match)  # the register's number (equal to the typed one, checked above)
    purpose = "业主认证" if locale == "zh-CN" else "owner verification"
    await notify(
        session, tenant_id=tenant_id, recipients=[Recipient(phone=register_phone, locale=locale)], template="identity.verification_code",
        data={"code": code, "minutes": CODE_MINUTES, "purpose": purpose}, urgency="urgent", key=f"claim:{claim.id}",
    )
    return Started(claim, mask_phone(register_phone))


async def verify_claim(session: AsyncSession, tenant_id: uuid.UUID, claim_id: uuid.UUID, code: str) -> tuple[OwnerClaim | None, LinliError | None]:
    """Check the code; verified, the login is created and linked. Returns the error rather than raising it
    (a wrong code's count must be committed): ``(claim, None)`` or ``(None, error)``."""
    claim = await session.scalar(select(OwnerClaim).where(OwnerClaim.id == claim_id))
    if claim is None or claim.route != "code":
        return None, NotFound("no claim with this id")
    if claim.status != "pending":
        return None, Conflict(f"this claim is {claim.status}; start a new one", reason=f"claim_{claim.status}")
    if claim.attempts >= MAX_ATTEMPTS:
        return None, RateLimited("too many wrong codes: start a new claim", reason="too_many_attempts")
    if claim.code_expires_at is None or utcnow() > claim.code_expires_at:
        return None, Conflict("the code has expired: start the claim again for a new one", reason="code_expired")
    if not hmac.compare_digest(claim.code_hash or "", _code_hash(claim.id, code.strip())):
        claim.attempts += 1
        await session.flush()
        left = MAX_ATTEMPTS - claim.attempts
        if left <= 0:
            return None, RateLimited("too many wrong codes: start a new claim", reason="too_many_attempts")
        return None, BadUserInput(f"wrong code; {left} tries left", field="code", reason="wrong_code", attempts_left=left)
    try:
        await _complete(session, tenant_id, claim, claim.person_id)
    except LinliError as exc:
        return None, exc
    return claim, None


async def _complete(session: AsyncSession, tenant_id: uuid.UUID, claim: OwnerClaim, person_id: uuid.UUID | None) -> Account:
    """Create the login, link it to the person, give the role; the claim is verified."""
    person = await session.scalar(select(Person).where(Person.id == person_id)) if person_id else None
    if person is None:
        raise BadUserInput("choose the register's person this claim is", field="personId")
    if person.account_id is not None:
        raise Conflict("this person has a login already", reason="phone_claimed")
    if await session.scalar(select(Account.id).where(Account.username == claim.username)):
        raise Conflict(f"the username {claim.username!r} is taken in this property firm", field="username")
    assert claim.password_hash is not None
    account = Account(username=claim.username, display_name=claim.claimant_name, password_hash=claim.password_hash)
    session.add(account)
    await session.flush()
    person.account_id = account.id
    await Policies(session, tenant_id).assign_role(account.id, ROLE_OF_KIND[claim.kind], source="tenant")
    claim.status, claim.account_id, claim.person_id = "verified", account.id, person.id
    claim.password_hash = claim.code_hash = None
    await session.flush()
    return account


async def approve_claim(session: AsyncSession, tenant_id: uuid.UUID, claim_id: uuid.UUID, *, person_id: uuid.UUID | None, actor: str) -> OwnerClaim:
    """Staff approve a pending claim from its evidence, as the register's ``person_id`` (default: the match)."""
    claim = await _pending(session, claim_id)
    chosen = person_id or claim.person_id
    if chosen is None or chosen not in {p.id for p in await candidates(session, claim.unit_id, claim.kind)}:
        raise BadUserInput(f"choose one of the unit's {'owners' if claim.kind == 'owner' else 'current residents'} in the register", field="personId")
    await _complete(session, tenant_id, claim, chosen)
    claim.decided_by, claim.decided_at = actor, utcnow()
    await session.flush()
    return claim


async def reject_claim(session: AsyncSession, claim_id: uuid.UUID, *, reason: str, actor: str) -> OwnerClaim:
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise BadUserInput("say why, in 1–500 characters (the claimant reads it)", field="reason")
    claim = await _pending(session, claim_id)
    claim.status, claim.reason, claim.decided_by, claim.decided_at = "rejected", reason, actor, utcnow()
    claim.password_hash = claim.code_hash = None
    await session.flush()
    return claim


async def _pending(session: AsyncSession, claim_id: uuid.UUID) -> OwnerClaim:
    claim = await session.scalar(select(OwnerClaim).where(OwnerClaim.id == claim_id))
    if claim is None:
        raise NotFound("no claim with this id")
    if claim.status != "pending":
        raise Conflict(f"this claim is {claim.status} already")
    return claim


@dataclass(frozen=True)
class RegisterPerson:
    person_id: uuid.UUID
    name: str
    phone: str | None
    phone_matches: bool
    has_login: bool


async def evidence_for(session: AsyncSession, vault: Any, tenant_id: uuid.UUID, claim: OwnerClaim) -> list[RegisterPerson]:
    """What staff compare the claim with: the unit's register persons (masked), whose phone matches."""
    phone = vault.decrypt(tenant_id, claim.phone_enc)
    out = []
    for p in await candidates(session, claim.unit_id, claim.kind):
        theirs = _phone_of(vault, tenant_id, p)
        out.append(RegisterPerson(p.id, mask_name(p.name) or "", mask_phone(theirs), theirs == phone, p.account_id is not None))
    return out
