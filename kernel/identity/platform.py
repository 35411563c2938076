"""Platform accounts (operators, street-office regulators): global, in no tenant.

The application's database role cannot SELECT ``platform_accounts.password_hash`` on PostgreSQL;
:func:`login_row` reads it through the SECURITY DEFINER function ``linli_platform_login``, which
answers for one username and cannot list (migration k0005, grants in kernel.db.migrate). On
SQLite there are no roles and the same function is a plain select.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import BadUserInput, Conflict
from kernel.identity.models import PlatformAccount
from kernel.identity.passwords import hash_password


@dataclass(frozen=True)
class PlatformLogin:
    id: uuid.UUID
    password_hash: str
    is_platform_admin: bool
    regulator_street_code: str | None
    disabled: bool
    totp_secret_enc: str | None = None
    totp_confirmed: bool = False
    recovery_hashes: tuple[str, ...] = ()


async def login_row(session: AsyncSession, username: str) -> PlatformLogin | None:
    if session.get_bind().dialect.name == "postgresql":
        row = (await session.execute(text("SELECT * FROM linli_platform_login(:u)"), {"u": username})).first()
        if row is None:
            return None
        recovery = row.recovery_hashes if isinstance(row.recovery_hashes, list) else json.loads(row.recovery_hashes or "[]")
        return PlatformLogin(
            uuid.UUID(str(row.id)), row.password_hash, row.is_platform_admin, row.regulator_street_code, row.disabled,
            row.totp_secret_enc, row.totp_confirmed_at is not None, tuple(recovery),
        )
    p = PlatformAccount
    found = (
        await session.execute(
            select(
                p.id, p.password_hash, p.is_platform_admin, p.regulator_street_code, p.disabled,
                p.totp_secret_enc, p.totp_confirmed_at, p.recovery_hashes,
            ).where(p.username == username)
        )
    ).first()
    if found is None:
        return None
    return PlatformLogin(*found[:5], found[5], found[6] is not None, tuple(found[7] or ()))


async def create_platform_account(
    session: AsyncSession,
    username: str,
    password: str,
    display_name: str,
    *,
    platform_admin: bool = False,
    regulator_street_code: str | None = None,
) -> PlatformAccount:
    """A platform operator (``platform_admin``) or a regulator (``regulator_street_code``)."""
    from kernel.identity.service import check_new_credentials

    username = check_new_credentials(username, password)
    if not platform_admin and not regulator_street_code:
        raise BadUserInput("a platform account is a platform admin or a regulator (street code)")
    if await session.scalar(select(PlatformAccount.id).where(PlatformAccount.username == username)):
        raise Conflict(f"the username {username!r} is taken", field="username")
    account = PlatformAccount(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        is_platform_admin=platform_admin,
        regulator_street_code=regulator_street_code,
    )
    session.add(account)
    await session.flush()
    return account
