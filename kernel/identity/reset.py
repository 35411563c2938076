"""Password reset by a code sent to the person's own contact (``identity.password_reset``).

Asking never reveals whether the username exists: the answer is the same, and an unknown name
costs the same throttle row. The code (8 digits) is stored as SHA-256, lives
``CODE_MINUTES``, allows ``MAX_TRIES`` wrong entries, and is used once; asks and wrong codes are
throttled like logins. A reset signs the person out everywhere.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from kernel import audit
from kernel.db.base import utcnow
from kernel.errors import Unauthenticated
from kernel.identity import throttle
from kernel.identity.models import Account, PasswordReset
from kernel.identity.passwords import hash_password
from kernel.identity.revocation import revoke_sessions
from kernel.identity.tokens import digest
from kernel.tenancy import Tenant

CODE_MINUTES = 15
MAX_TRIES = 5


async def _tenant(runtime: Any, slug: str) -> Tenant:
    async with runtime.db.platform() as s:
        tenant = await s.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise Unauthenticated(f"there is no property firm (tenant) {slug!r}; check its code", reason="unknown_tenant")
    return tenant


async def request(runtime: Any, tenant_slug: str, username: str, *, source: str = "", locale: str = "zh-CN") -> None:
    """Send a reset code to the account's contact, if there is such an account with a contact."""
    from kernel.notifications import Recipient, install, notify

    tenant = await _tenant(runtime, tenant_slug)
    await throttle.admit(runtime.db, runtime.settings, source=source, tenant_id=tenant.id, username=f"reset-ask:{username}")
    install(runtime)
    async with runtime.db.tenant(tenant.id) as ts:
        account = await ts.scalar(select(Account).where(Account.username == username))
        if account is None or account.disabled or not (account.phone_enc or account.email_enc):
            return
        code = f"{secrets.randbelow(10**8):08d}"
        await ts.execute(
            update(PasswordReset)
            .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        row = PasswordReset(account_id=account.id, code_hash=digest(code), expires_at=utcnow() + timedelta(minutes=CODE_MINUTES))
        ts.add(row)
        await ts.flush()
        await notify(
            ts, tenant_id=tenant.id, recipients=[Recipient(account_id=account.id, locale=locale)], template="identity.password_reset",
            data={"code": code, "minutes": CODE_MINUTES}, urgency="urgent", key=f"password-reset:{row.id}",
        )
        await audit.record(ts, tenant_id=tenant.id, actor=f"account:{account.id}", action="auth.password_reset_requested")


async def reset(runtime: Any, tenant_slug: str, username: str, code: str, new_password: str, *, source: str = "") -> None:
    """Set a new password with the code; every session of the person ends."""
    from kernel.identity.service import check_new_credentials

    tenant = await _tenant(runtime, tenant_slug)
    check_new_credentials(username, new_password)
    attempt = await throttle.admit(runtime.db, runtime.settings, source=source, tenant_id=tenant.id, username=f"reset:{username}")
    wrong = Unauthenticated("the code is wrong or has expired; ask for a new one", reason="bad_reset_code")
    error: Exception | None = None
    async with runtime.db.tenant(tenant.id) as ts:
        account = await ts.scalar(select(Account).where(Account.username == username))
        row = None
        if account is not None:
            row = await ts.scalar(
                select(PasswordReset)
                .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > utcnow())
                .order_by(PasswordReset.created_at.desc())
                .limit(1)
            )
        if account is None or row is None or row.attempts >= MAX_TRIES:
            error = wrong
        elif not secrets.compare_digest(row.code_hash, digest(code.strip())):
            row.attempts += 1  # committed: the wrong try counts
            error = wrong
        else:
            won = await ts.execute(
                update(PasswordReset)
                .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not won.rowcount:  # type: ignore[attr-defined]
                error = wrong
            else:
                check_new_credentials(username, new_password)
                account.password_hash = hash_password(new_password)
                await revoke_sessions(ts, tenant.id, account_id=account.id)
                await audit.record(ts, tenant_id=tenant.id, actor=f"account:{account.id}", action="auth.password_reset")
    if error is not None:
        raise error
    await throttle.succeeded(runtime.db, attempt, source=source, tenant_id=tenant.id, username=f"reset:{username}")


