"""Where a login's e-mail address and phone number come from.

The kernel does not import the estate, so this module reads what exists, in this order:

1. ``Account.email`` / ``Account.phone`` — contact fields on the login itself, if the accounts
   table has them (plain columns, or ``email_enc`` / ``phone_enc`` encrypted with the tenant's key);
2. otherwise the estate person linked to the login (the mapped model of the ``persons`` table,
   ``Person.account_id``): its ``email`` if it has one, and its encrypted phone ``phone_enc``.

:func:`account_contacts` answers which kinds of address each login has without decrypting
anything (enough to decide which channels to queue); :meth:`AccountContacts.address` decrypts
the one a channel needs at delivery time, with the tenant's key, inside the delivering worker.
Nothing here is logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import Base


@dataclass(frozen=True)
class AccountContacts:
    email: str | None = None
    email_enc: str | None = None
    phone: str | None = None
    phone_enc: str | None = None

    def has(self, kind: str) -> bool:
        if kind == "email":
            return bool(self.email or self.email_enc)
        if kind == "phone":
            return bool(self.phone or self.phone_enc)
        return kind == "account"

    def address(self, kind: str, vault: Any, tenant_id: uuid.UUID) -> str | None:
        """The plain address of ``kind`` (decrypted with the tenant's key when stored encrypted)."""
        plain, enc = (self.email, self.email_enc) if kind == "email" else (self.phone, self.phone_enc) if kind == "phone" else (None, None)
        if plain:
            return plain
        if enc:
            return str(vault.decrypt(tenant_id, enc))
        return None


def mapped_model(table: str) -> type | None:
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table:
            return mapper.class_  # type: ignore[no-any-return]
    return None


def _columns(model: type, names: Iterable[str]) -> list[str]:
    return [n for n in names if hasattr(model, n)]


async def account_contacts(session: AsyncSession, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountContacts]:
    """Contacts of each login (in the session's tenant); logins without any are left out."""
    from kernel.identity.models import Account

    ids = list(dict.fromkeys(account_ids))
    found: dict[uuid.UUID, dict[str, str | None]] = {}
    if not ids:
        return {}
    fields = ("email", "email_enc", "phone", "phone_enc")
    account_cols = _columns(Account, fields)
    if account_cols:
        rows = await session.execute(select(Account.id, *[getattr(Account, c) for c in account_cols]).where(Account.id.in_(ids)))
        for row in rows:
            values = dict(zip(account_cols, row[1:], strict=True))
            if any(values.values()):
                found[row[0]] = values
    person = mapped_model("persons")
    if person is not None and hasattr(person, "account_id"):
        person_cols = _columns(person, fields)
        missing = [i for i in ids if i not in found]
        if person_cols and missing:
            rows = await session.execute(
                select(person.account_id, *[getattr(person, c) for c in person_cols]).where(person.account_id.in_(missing))  # type: ignore[attr-defined]
            )
            for row in rows:
                values = dict(zip(person_cols, row[1:], strict=True))
                if any(values.values()):
                    merged = found.setdefault(row[0], {})
                    for k, v in values.items():
                        if v:
                            merged.setdefault(k, v)
    return {k: AccountContacts(**{f: v.get(f) for f in fields}) for k, v in found.items()}
