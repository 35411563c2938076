"""The second factor: TOTP (RFC 6238, pyotp) with single-use recovery codes.

Required for the roles in ``LINLI_SECOND_FACTOR_ROLES`` (tenant_admin, platform_admin,
regulator by default), optional for everyone else. A login whose password is right but whose
account has no confirmed TOTP while it is required gets no tokens: it gets the coded challenge
``second_factor_enrolment_required`` with a short-lived *enrolment token*, good only for
``enrolTotp`` / ``confirmTotp``; confirming finishes the login. Once enrolled, a login needs
``secondFactor`` (a current TOTP code or an unused recovery code), else
``second_factor_required``; a wrong one counts as a failed login for the throttle.

The TOTP secret is encrypted with the tenant's key (platform accounts: the platform's key),
recovery codes are stored as SHA-256 digests and removed when used.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pyotp
from sqlalchemy import select, update

from kernel.crypto import Vault
from kernel.errors import BadUserInput, Conflict, Unauthenticated
from kernel.identity.tokens import ALGORITHM, ISSUER, digest

#: The key domain of platform accounts' secrets (they have no tenant).
PLATFORM_KEY = uuid.UUID(int=0)
ISSUER_NAME = "Linli"
RECOVERY_CODES = 10
ENROLMENT_TTL_SECONDS = 600


@dataclass(frozen=True)
class Enrolment:
    """Who an enrolment token speaks for."""

    account_id: uuid.UUID
    tenant_id: uuid.UUID | None
    platform: bool


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, firm: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@{firm}", issuer_name=ISSUER_NAME)


def totp_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The 30-second step whose code ``code`` is (the current one or a neighbour, for clock drift),
    or None. Compared in constant time."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            return int(totp.timecode(datetime.fromtimestamp(moment, UTC)))
    return None


def totp_ok(secret: str, code: str) -> bool:
    return totp_step(secret, code) is not None


async def claim_step(runtime: Any, account_id: uuid.UUID, step: int) -> None:
    """Record that ``account_id`` used the code of ``step``; UNAUTHENTICATED if it was used before."""
    from sqlalchemy import delete
    from sqlalchemy.exc import IntegrityError

    from kernel.identity.models import SecondFactorUse

    now = datetime.now(UTC)
    try:
        async with runtime.db.platform() as s:
            # steps older than the window can never match again: keep the table small
            await s.execute(
                delete(SecondFactorUse).where(SecondFactorUse.account_id == account_id, SecondFactorUse.step < step - 2)
            )
            s.add(SecondFactorUse(account_id=account_id, step=step, used_at=now))
            await s.flush()
    except IntegrityError:
        raise Unauthenticated(
            "this code was used already; wait for the next code of your authenticator app", reason="second_factor_reused"
        ) from None


def new_recovery_codes() -> tuple[list[str], list[str]]:
    """(codes shown once, their digests to store)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes = ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    return codes, [digest(c) for c in codes]


def check(
    vault: Vault, key_domain: uuid.UUID, secret_enc: str, recovery: list[str], presented: str
) -> tuple[list[str], int | None] | None:
    """None if ``presented`` is neither a current TOTP code nor an unused recovery code; else the
    recovery digests to keep (one fewer if a recovery code was used) and the TOTP step matched (to
    claim with :func:`claim_step`; None for a recovery code)."""
    step = totp_step(vault.decrypt(key_domain, secret_enc), presented)
    if step is not None:
        return list(recovery), step
    h = digest(presented.strip().upper())
    if h in recovery:
        return [r for r in recovery if r != h], None
    return None


def enrolment_token(secret_key: str, who: Enrolment) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": ISSUER, "typ": "enrol", "sub": str(who.account_id), "tid": str(who.tenant_id) if who.tenant_id else None,
        "plat": who.platform, "iat": now, "exp": now + timedelta(seconds=ENROLMENT_TTL_SECONDS),
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


def read_enrolment_token(secret_key: str, token: str) -> Enrolment:
    try:
        payload = jwt.decode(token, secret_key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]})
        if payload.get("typ") != "enrol":
            raise ValueError
        return Enrolment(uuid.UUID(payload["sub"]), uuid.UUID(payload["tid"]) if payload.get("tid") else None, bool(payload.get("plat")))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        raise Unauthenticated("the enrolment token is invalid or expired; log in again", reason="bad_enrolment_token") from None


async def begin(runtime: Any, who: Enrolment, firm: str) -> tuple[str, str]:
    """Store a new (unconfirmed) TOTP secret; returns (secret, otpauth:// URI for a QR code)."""
    from kernel.identity.models import Account, PlatformAccount

    secret = new_secret()
    if who.platform:
        async with runtime.db.platform() as s:
            account = await s.get(PlatformAccount, who.account_id)
            if account is None:
                raise Unauthenticated("log in again")
            if account.totp_confirmed_at is not None:
                raise Conflict("a second factor is enrolled already", reason="enrolled")
            await s.execute(
                update(PlatformAccount).where(PlatformAccount.id == who.account_id).values(totp_secret_enc=runtime.vault.encrypt(PLATFORM_KEY, secret))
            )
            username = account.username
    else:
        assert who.tenant_id is not None
        async with runtime.db.tenant(who.tenant_id) as ts:
            account = await ts.scalar(select(Account).where(Account.id == who.account_id))
            if account is None:
                raise Unauthenticated("log in again")
            if account.totp_confirmed_at is not None:
                raise Conflict("a second factor is enrolled already", reason="enrolled")
            account.totp_secret_enc = runtime.vault.encrypt(who.tenant_id, secret)
            username = account.username
    return secret, provisioning_uri(secret, username, firm)


async def confirm(runtime: Any, who: Enrolment, code: str) -> list[str]:
    """Check the first code from the app; the second factor is then in force. Returns the
    recovery codes (shown once)."""
    from kernel.identity.models import Account, PlatformAccount
    from kernel.identity.platform import login_row

    codes, hashes = new_recovery_codes()
    now = datetime.now(UTC)
    if who.platform:
        async with runtime.db.platform() as s:
            account = await s.get(PlatformAccount, who.account_id)
            row = await login_row(s, account.username) if account is not None else None
            if row is None or not row.totp_secret_enc:
                raise Conflict("start the enrolment first (enrolTotp)", reason="not_started")
            if row.totp_confirmed:
                raise Conflict("a second factor is enrolled already", reason="enrolled")
            step = totp_step(runtime.vault.decrypt(PLATFORM_KEY, row.totp_secret_enc), code)
            if step is None:
                raise BadUserInput("the code does not match; check the time on your phone and try the next code", field="code")
            await claim_step(runtime, who.account_id, step)
            await s.execute(
                update(PlatformAccount).where(PlatformAccount.id == who.account_id).values(totp_confirmed_at=now, recovery_hashes=hashes)
            )
        return codes
    assert who.tenant_id is not None
    async with runtime.db.tenant(who.tenant_id) as ts:
        account = await ts.scalar(select(Account).where(Account.id == who.account_id))
        if account is None or not account.totp_secret_enc:
            raise Conflict("start the enrolment first (enrolTotp)", reason="not_started")
        if account.totp_confirmed_at is not None:
            raise Conflict("a second factor is enrolled already", reason="enrolled")
        step = totp_step(runtime.vault.decrypt(who.tenant_id, account.totp_secret_enc), code)
        if step is None:
            raise BadUserInput("the code does not match; check the time on your phone and try the next code", field="code")
        await claim_step(runtime, who.account_id, step)
        account.totp_confirmed_at, account.recovery_hashes = now, hashes
    return codes
