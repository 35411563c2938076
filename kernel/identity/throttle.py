"""The login throttle: per (source address, tenant, username), per source address and per tenant.

Every attempt is written and *committed* before the password is verified, then the recent
failures are counted (the attempt itself included). The k-th attempt to commit sees at least k
rows, so however many guesses arrive at once, at most ``limit`` of them are ever verified — a
check-then-count throttle lets all of them through while none has been counted yet.

There is no per-username lock across sources: a stranger guessing a person's password from
elsewhere must not lock the person out (the second factor protects the account instead). The
per-tenant limit caps password spraying across many usernames; it is set high so that only an
attack, not a busy morning, reaches it. Keys are SHA-256 digests: no username or address is kept.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, select, update

from kernel.config import Settings
from kernel.db.base import utcnow
from kernel.db.engine import Database
from kernel.errors import RateLimited
from kernel.identity.models import LoginAttempt


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def subject_key(source: str, tenant_id: uuid.UUID | None, username: str) -> str:
    return _digest("subject", source, str(tenant_id or ""), username)


def source_key(source: str) -> str:
    return _digest("source", source)


async def admit(db: Database, settings: Settings, *, source: str, tenant_id: uuid.UUID | None, username: str) -> uuid.UUID:
    """Count this attempt; raise RATE_LIMITED if it is past a limit. Returns the attempt's id
    (pass it to :func:`succeeded` once the password checked out)."""
    subject, src = subject_key(source, tenant_id, username), source_key(source)
    async with db.platform() as s:
        attempt = LoginAttempt(subject_key=subject, source_key=src, tenant_id=tenant_id)
        s.add(attempt)
        await s.flush()
        attempt_id = attempt.id
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    failed = (LoginAttempt.created_at >= since, LoginAttempt.succeeded.is_(False))

    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(LoginAttempt).where(*failed, *where).scalar_subquery()

    checks = [(count(LoginAttempt.subject_key == subject), settings.login_max_failures, "for this login from your address")]
    checks.append((count(LoginAttempt.source_key == src), settings.login_max_failures_per_source, "from your address"))
    if tenant_id is not None:
        checks.append((count(LoginAttempt.tenant_id == tenant_id), settings.login_max_failures_per_tenant, "for this property firm"))
    async with db.platform() as s:
        counts = (await s.execute(select(*(c for c, _, _ in checks)))).one()
        for n, (_, limit, scope) in zip(counts, checks, strict=True):
            if int(n) > limit:
                # a refused attempt verified nothing: it does not count against the limits
                await s.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
                minutes = max(1, settings.login_window_seconds // 60)
                raise RateLimited(
                    f"too many failed logins {scope}; wait {minutes} minutes or reset the password",
                    retryAfter=settings.login_window_seconds,
                )
    return attempt_id


async def succeeded(
    db: Database, attempt_id: uuid.UUID, *, source: str, tenant_id: uuid.UUID | None, username: str, clear: bool = True
) -> None:
    """The login checked out: this attempt no longer counts, nor — with ``clear``, once the whole
    login (second factor included) succeeded — the earlier failures of that login from that
    address. A password that was right but still needs its second factor does not clear them,
    or alternating such attempts with second-factor guesses would reset the count."""
    subject = subject_key(source, tenant_id, username)
    async with db.platform() as s:
        await s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))
        if clear:
            await s.execute(delete(LoginAttempt).where(LoginAttempt.subject_key == subject, LoginAttempt.succeeded.is_(False)))


async def failures(db: Database, *, source: str, tenant_id: uuid.UUID | None, username: str) -> int:
    """Failed attempts in the window for one login from one address (for tests and operators)."""
    async with db.platform() as s:
        return int(
            await s.scalar(
                select(func.count()).select_from(LoginAttempt).where(
                    LoginAttempt.subject_key == subject_key(source, tenant_id, username), LoginAttempt.succeeded.is_(False)
                )
            )
            or 0
        )
