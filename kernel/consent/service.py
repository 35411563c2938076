"""Consent records: who agreed to what, when, under which wording; and the check plugins make
before they process sensitive data.

Purposes are declared by plugins (``register_consent_purposes``) with the data categories they
use. A grant or revocation updates the person's current state (``consents``) and appends a
record (``consent_records``: time, actor, wording version) in the caller's transaction; a
revocation also publishes ``consent.revoked`` ({person_id, purpose}) so every plugin that
processes that data stops. :func:`require_consent` answers FORBIDDEN (reason
``consent_required``) unless a current grant exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.consent.models import Consent, ConsentRecord
from kernel.db.base import utcnow
from kernel.db.catalogue import CATEGORIES
from kernel.errors import BadUserInput, Conflict, Forbidden, NotFound

EVENT_REVOKED = "consent.revoked"
EVENT_GRANTED = "consent.granted"
SERVICE = "consent.purposes"
#: Catalogue categories that are sensitive personal information (PIPL Art. 28): a purpose using
#: one must be declared ``sensitive`` and is granted on its own, never bundled with another.
SENSITIVE_CATEGORIES = frozenset({"biometric_reference", "health", "location", "financial"})


@dataclass(frozen=True)
class ConsentPurpose:
    """Why a plugin processes a person's data, as the person is asked about it.

    :param key: stable name, ``<plugin>.<purpose>`` (``access.face_recognition``).
    :param description: what the person agrees to, in the words shown (zh-CN).
    :param categories: the data catalogue's categories used (``kernel.db.catalogue.CATEGORIES``:
        ``biometric_reference``, ``health``, ``location``, ``contact``…).
    :param sensitive: sensitive personal information under PIPL Art. 28 (separate consent); a
        purpose using a sensitive category (biometric reference, health, location, financial)
        must say so.
    :param wording_version: the version of the wording currently shown; a grant records it, and
        a grant for an older version is refused (the person must see the current text).
    :param title_zh: the purpose's short title in the privacy centre (zh-CN; the key if empty).
    :param title_en: the same in English (the zh-CN title if empty).
    """

    key: str
    description: str
    categories: tuple[str, ...]
    sensitive: bool = True
    wording_version: str = "1"
    title_zh: str = ""
    title_en: str = ""

    def title(self, locale: str = "zh-CN") -> str:
        """The title shown in ``locale`` (``en`` or zh-CN), falling back to zh-CN, then the key."""
        if locale.startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh or self.key


class PurposeRegistry:
    def __init__(self) -> None:
        self._by_key: dict[str, tuple[str, ConsentPurpose]] = {}

    def add(self, owner: str, purposes: Iterable[ConsentPurpose]) -> None:
        for p in purposes:
            if not isinstance(p, ConsentPurpose):
                raise TypeError(f"{owner}: register_consent_purposes must return ConsentPurpose objects")
            unknown = [c for c in p.categories if c not in CATEGORIES]
            if unknown or not p.categories:
                raise ValueError(
                    f"{owner}: consent purpose {p.key!r} names categories {unknown or '()'}; "
                    f"use the data catalogue's: {', '.join(CATEGORIES)}"
                )
            if not p.sensitive and SENSITIVE_CATEGORIES.intersection(p.categories):
                raise ValueError(
                    f"{owner}: consent purpose {p.key!r} uses sensitive categories "
                    f"{sorted(SENSITIVE_CATEGORIES.intersection(p.categories))}: declare it sensitive=True"
                )
            found = self._by_key.get(p.key)
            if found is not None and found[1] != p:
                raise ValueError(f"consent purpose {p.key!r} is declared by both {found[0]!r} and {owner!r}")
            self._by_key[p.key] = (owner, p)

    def get(self, key: str) -> ConsentPurpose:
        found = self._by_key.get(key)
        if found is None:
            raise BadUserInput(f"no consent purpose {key!r}", field="purpose")
        return found[1]

    def find(self, key: str) -> ConsentPurpose | None:
        found = self._by_key.get(key)
        return found[1] if found else None

    def owner(self, key: str) -> str | None:
        """The plugin that declared ``key``."""
        found = self._by_key.get(key)
        return found[0] if found else None

    def all(self) -> list[ConsentPurpose]:
        return sorted((p for _, p in self._by_key.values()), key=lambda p: p.key)


def purposes(runtime: Any) -> PurposeRegistry:
    """The runtime's declared purposes (collected once)."""
    found = runtime.services.get(SERVICE)
    if found is None:
        found = PurposeRegistry()
        for plugin, declared in runtime.host.consent_purposes():
            found.add(plugin, declared or ())
        runtime.services[SERVICE] = found
    return found  # type: ignore[no-any-return]


def _runtime(session: AsyncSession, runtime: Any | None) -> Any:
    if runtime is not None:
        return runtime
    from kernel.notifications.service import runtime_for

    found = runtime_for(session)
    if found is None:
        raise RuntimeError("no Linli runtime owns this session; pass runtime=")
    return found


async def require_consent(session: AsyncSession, person_id: uuid.UUID, purpose: str) -> None:
    """Raise FORBIDDEN (reason ``consent_required``) unless ``person_id`` currently consents to
    ``purpose``. Call it before processing the data the purpose covers."""
    row = await session.get(Consent, {"tenant_id": session.info["tenant_id"], "person_id": person_id, "purpose": purpose})
    if row is None or not row.granted:
        raise Forbidden(f"the person has not consented to {purpose!r}", reason="consent_required", purpose=purpose)


async def person_exists(session: AsyncSession, person_id: uuid.UUID) -> bool:
    from kernel.notifications.contacts import mapped_model

    person = mapped_model("persons")
    if person is None:
        return True  # no estate in this process: the caller vouches for the id
    return await session.scalar(select(person.id).where(person.id == person_id)) is not None  # type: ignore[attr-defined]


async def person_of_account(session: AsyncSession, account_id: uuid.UUID) -> uuid.UUID | None:
    """The estate person linked to a login in the session's tenant (``Person.account_id``)."""
    from kernel.notifications.contacts import mapped_model

    person = mapped_model("persons")
    if person is None or not hasattr(person, "account_id"):
        return None
    return await session.scalar(select(person.id).where(person.account_id == account_id).limit(1))  # type: ignore[attr-defined, no-any-return]


async def grant_consent(
    session: AsyncSession, *, person_id: uuid.UUID, purpose: str, actor: str, wording_version: str, runtime: Any | None = None
) -> Consent:
    """Record that ``person_id`` consents to ``purpose`` under ``wording_version`` (which must be
    the purpose's current one). Granting again under the same version changes nothing."""
    rt = _runtime(session, runtime)
    declared = purposes(rt).get(purpose)
    if wording_version != declared.wording_version:
        raise Conflict(
            f"the wording of {purpose!r} is now version {declared.wording_version}; show it and ask again",
            field="wordingVersion", current=declared.wording_version,
        )
    if not await person_exists(session, person_id):
        raise NotFound("no such person")
    tenant_id = session.info["tenant_id"]
    now = utcnow()
    row = await session.get(Consent, {"tenant_id": tenant_id, "person_id": person_id, "purpose": purpose})
    if row is not None and row.granted and row.wording_version == wording_version:
        return row
    if row is None:
        row = Consent(person_id=person_id, purpose=purpose, granted=True, wording_version=wording_version, granted_at=now)
        try:
            async with session.begin_nested():  # a grant at the same moment (a double tap) inserted it first
                session.add(row)
        except IntegrityError:
            row = await session.get(Consent, {"tenant_id": tenant_id, "person_id": person_id, "purpose": purpose}, populate_existing=True)
            if row is not None and row.granted and row.wording_version == wording_version:
                return row
            raise Conflict(f"your answer on {purpose!r} changed meanwhile; ask again", reason="concurrent_change") from None
    else:
        row.granted, row.wording_version, row.granted_at, row.revoked_at = True, wording_version, now, None
    session.add(ConsentRecord(person_id=person_id, purpose=purpose, action="granted", wording_version=wording_version, actor=actor))
    await session.flush()
    await _publish(rt, session, tenant_id, EVENT_GRANTED, person_id, purpose, actor)
    return row


async def revoke_consent(session: AsyncSession, *, person_id: uuid.UUID, purpose: str, actor: str, runtime: Any | None = None) -> Consent:
    """Record the revocation and publish ``consent.revoked``. NOT_FOUND (reason ``not_granted``)
    when there is no current grant: never given, or already revoked (revoking twice)."""
    rt = _runtime(session, runtime)
    purposes(rt).get(purpose)
    tenant_id = session.info["tenant_id"]
    # one conditional update: of two revocations at once, only one finds the grant (the other waits
    # for its commit and answers NOT_FOUND, as revoking twice does)
    won = await session.execute(
        update(Consent)
        .where(Consent.tenant_id == tenant_id, Consent.person_id == person_id, Consent.purpose == purpose, Consent.granted.is_(True))
        .values(granted=False, revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no current consent to {purpose!r} to revoke", reason="not_granted", purpose=purpose)
    row = await session.get(Consent, {"tenant_id": tenant_id, "person_id": person_id, "purpose": purpose}, populate_existing=True)
    assert row is not None
    session.add(ConsentRecord(person_id=person_id, purpose=purpose, action="revoked", wording_version=row.wording_version, actor=actor))
    await session.flush()
    await _publish(rt, session, tenant_id, EVENT_REVOKED, person_id, purpose, actor)
    return row


async def _publish(runtime: Any, session: AsyncSession, tenant_id: uuid.UUID, kind: str, person_id: uuid.UUID, purpose: str, actor: str) -> None:
    from kernel.events import Event

    await runtime.bus.publish(session, Event(type=kind, tenant_id=tenant_id, payload={"person_id": str(person_id), "purpose": purpose}, actor=actor))


async def consents_of(session: AsyncSession, person_id: uuid.UUID) -> dict[str, Consent]:
    rows = await session.scalars(select(Consent).where(Consent.person_id == person_id))
    return {r.purpose: r for r in rows}


async def history_of(session: AsyncSession, person_id: uuid.UUID) -> list[ConsentRecord]:
    rows = await session.scalars(
        select(ConsentRecord).where(ConsentRecord.person_id == person_id).order_by(ConsentRecord.created_at, ConsentRecord.id)
    )
    return list(rows)
