"""Access decisions: may this credential pass this point now? Every answer is recorded.

Order of checks (the first that fails names the reason):

1. the point is active (``point_inactive``);
2. the credential: a QR code verifies and is not replayed at this point (``code_invalid``,
   ``code_expired``, ``code_replayed``); a card or face is known and active (``unknown_card``,
   ``unknown_face``, ``credential_disabled``) and, for a face, the person's consent to biometric
   processing still stands (``consent_revoked``); a pass code is known (``unknown_pass``), not
   revoked, inside its window, has entries left and names this point (``pass_revoked``,
   ``pass_not_yet_valid``, ``pass_expired``, ``pass_used_up``, ``point_not_on_pass``);
3. the blacklist (``blacklisted``): the account, the card, or a pass's plate (by keyed digest);
4. who may pass: the account lives in or owns a unit the point serves (``resident``), or a grant
   to it or one of its roles covers the point at this time (``grant``); else ``not_permitted``;
5. anti-passback, where the point asks for it: the same direction twice in a row across the
   community's anti-passback points is ``anti_passback``.

Entries are counted on passes only when allowed and going in (leaving is free).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kernel.sdk import Event, Forbidden, require_consent, utcnow
from kernel.sdk.estate import Ownership, Person, Residency, Unit
from kernel.sdk.members import roles_of
from kernel.sdk.runtime import Runtime
from plugins.access import codes
from plugins.access.models import (
    AccessCredential,
    AccessGrant,
    AccessPoint,
    AccessRecord,
    AccessSettings,
    BlacklistEntry,
    UsedCode,
    VisitorPass,
)

LOCAL = ZoneInfo("Asia/Shanghai")
FACE_PURPOSE = "access.face_recognition"
METHODS = ("qr", "card", "face", "pass")
DIRECTIONS = ("in", "out")


@dataclass(frozen=True)
class Scan:
    """What a reader saw: a credential (``kind`` + ``value``), the direction, when, and the
    reader's own id for the event (makes uploads idempotent)."""

    kind: str
    value: str
    direction: str = "in"
    occurred_at: datetime | None = None
    event_id: str | None = None


@dataclass
class Verdict:
    allowed: bool
    reason: str
    account_id: uuid.UUID | None = None
    pass_id: uuid.UUID | None = None
    hint: str = ""
    #: Lift readers: the floors the person may choose (None: every floor).
    floors: list[int] | None = None
    #: What to remember when the decision is recorded (code replay, pass entry).
    used_code: str | None = None
    counted_pass: uuid.UUID | None = field(default=None, repr=False)


_SETTINGS = "access.settings"


def _defaults() -> AccessSettings:
    return AccessSettings(retention_days=90, qr_step_seconds=30, qr_key_version=1)


async def settings_of(session: Any) -> AccessSettings:
    """The tenant's settings: its row, or the defaults (unsaved) while it has none — the decision
    path never writes settings, so concurrent first decisions cannot collide on creating them.
    Read once per transaction when :func:`point_and_settings` loaded them with the point."""
    found = session.info.get(_SETTINGS)
    if found is not None:
        return found  # type: ignore[no-any-return]
    row = await session.scalar(select(AccessSettings))
    return row if row is not None else _defaults()


async def point_and_settings(session: Any, device_id: uuid.UUID) -> AccessPoint | None:
    """The reader's access point and the tenant's settings in one round trip (a decision needs
    both); the settings are kept for the transaction (:func:`settings_of`)."""
    row = (
        await session.execute(
            select(AccessPoint, AccessSettings)
            .outerjoin(AccessSettings, true())
            .where(AccessPoint.device_id == device_id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    point, settings = row
    session.info[_SETTINGS] = settings if settings is not None else _defaults()
    return point  # type: ignore[no-any-return]


def _step(at: datetime, settings: AccessSettings) -> int:
    return int(at.timestamp()) // settings.qr_step_seconds


async def units_of_account(
    session: Any, account_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID, int | None]]:
    """``(community, building, floor)`` of every unit the account's register persons own or live
    in (owners, family, renters)."""
    persons = select(Person.id).where(Person.account_id == account_id)
    unit_ids = (
        select(Ownership.unit_id)
        .where(Ownership.person_id.in_(persons))
        .union(select(Residency.unit_id).where(Residency.person_id.in_(persons)))
    )
    rows = await session.execute(
        select(Unit.community_id, Unit.building_id, Unit.floor).where(Unit.id.in_(unit_ids))
    )
    return [(c, b, f) for c, b, f in rows]


def _serves(
    point: AccessPoint, units: list[tuple[uuid.UUID, uuid.UUID, int | None]]
) -> tuple[bool, list[int] | None]:
    """Whether the point is one of the units' default points, and (lifts) the floors they live on."""
    if point.building_id is None:
        return any(c == point.community_id for c, _, _ in units), None
    here = [f for _, b, f in units if b == point.building_id]
    if point.floor is not None:
        return point.floor in here, None
    return bool(here), sorted({f for f in here if f is not None}) if point.kind == "lift" else None


def _in_window(grant: AccessGrant, at: datetime) -> bool:
    local = at.astimezone(LOCAL)
    minute = local.hour * 60 + local.minute
    return (
        bool(grant.weekdays >> local.weekday() & 1)
        and grant.start_minute <= minute < grant.end_minute
    )


async def account_may_pass(
    session: Any,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    point: AccessPoint,
    at: datetime,
    units: list[tuple[uuid.UUID, uuid.UUID, int | None]] | None = None,
) -> tuple[str | None, list[int] | None]:
    """(``resident`` | ``grant`` | None, lift floors): the basis on which the account may pass.
    ``units``: the account's units when the caller already has them (:func:`units_of_account`)."""
    if units is None:
        units = await units_of_account(session, account_id)
    ok, floors = _serves(point, units)
    if ok:
        return "resident", floors
    grants = list(
        await session.scalars(
            select(AccessGrant).where(
                AccessGrant.community_id == point.community_id,
                or_(AccessGrant.point_id.is_(None), AccessGrant.point_id == point.id),
                or_(AccessGrant.account_id == account_id, AccessGrant.role.is_not(None)),
                or_(AccessGrant.valid_until.is_(None), AccessGrant.valid_until > at),
            )
        )
    )
    roles: set[str] | None = None
    for g in grants:
        if not _in_window(g, at):
            continue
        if g.account_id == account_id:
            return "grant", None
        if g.role is not None:
            if roles is None:
                roles = set(await roles_of(session, tenant_id, account_id))
            if g.role in roles:
                return "grant", None
    return None, None


async def _blacklisted(
    session: Any,
    point: AccessPoint,
    at: datetime,
    *,
    account_id: uuid.UUID | None = None,
    card_digest: str | None = None,
    plate_digest: str | None = None,
) -> bool:
    subject = []
    if account_id is not None:
        subject.append(BlacklistEntry.account_id == account_id)
    if card_digest is not None:
        subject.append(BlacklistEntry.card_digest == card_digest)
    if plate_digest:
        subject.append(BlacklistEntry.plate_digest == plate_digest)
    if not subject:
        return False
    found = await session.scalar(
        select(BlacklistEntry.id)
        .where(
            or_(*subject),
            or_(
                BlacklistEntry.community_id.is_(None),
                BlacklistEntry.community_id == point.community_id,
            ),
            or_(BlacklistEntry.expires_at.is_(None), BlacklistEntry.expires_at > at),
        )
        .limit(1)
    )
    return found is not None


async def _passback(
    session: Any, point: AccessPoint, verdict: Verdict, direction: str, at: datetime
) -> bool:
    """Whether the subject's last allowed passage through the community's anti-passback points
    (before ``at``) went the same way."""
    if not point.anti_passback or (verdict.account_id is None and verdict.pass_id is None):
        return False
    apb_points = select(AccessPoint.id).where(
        AccessPoint.community_id == point.community_id, AccessPoint.anti_passback.is_(True)
    )
    who = (
        AccessRecord.account_id == verdict.account_id
        if verdict.account_id is not None
        else AccessRecord.pass_id == verdict.pass_id
    )
    last = await session.scalar(
        select(AccessRecord.direction)
        .where(
            who,
            AccessRecord.allowed.is_(True),
            AccessRecord.point_id.in_(apb_points),
            AccessRecord.occurred_at <= at,
        )
        .order_by(AccessRecord.occurred_at.desc())
        .limit(1)
    )
    return last == direction


async def _check_account(
    session: Any,
    tenant_id: uuid.UUID,
    point: AccessPoint,
    verdict: Verdict,
    at: datetime,
    card_digest: str | None = None,
) -> Verdict:
    assert verdict.account_id is not None
    if await _blacklisted(
        session, point, at, account_id=verdict.account_id, card_digest=card_digest
    ):
        verdict.allowed, verdict.reason = False, "blacklisted"
        return verdict
    basis, floors = await account_may_pass(session, tenant_id, verdict.account_id, point, at)
    if basis is None:
        verdict.allowed, verdict.reason = False, "not_permitted"
    else:
        verdict.allowed, verdict.reason, verdict.floors = True, basis, floors
    return verdict


async def evaluate(
    session: Any, vault: Any, tenant_id: uuid.UUID, point: AccessPoint, scan: Scan, at: datetime
) -> Verdict:
    """The decision for ``scan`` at ``point`` at time ``at`` — read-only: nothing is written."""
    if not point.active:
        return Verdict(False, "point_inactive")
    settings = await settings_of(session)
    if scan.kind == "qr":
        check = codes.check_qr(
            vault, tenant_id, settings.qr_key_version, scan.value, _step(at, settings)
        )
        verdict = Verdict(False, check.reason, account_id=check.account_id, hint="qr")
        if check.reason != "ok":
            return verdict
        # a replay is found by remembering the code (``decide``: the unique key answers it, in
        # the same statement) rather than by looking it up first: one round trip fewer per scan
        verdict.used_code = codes.digest(vault, tenant_id, "qr", scan.value.strip())
        verdict = await _check_account(session, tenant_id, point, verdict, at)
    elif scan.kind in ("card", "face"):
        value = codes.normalise_card(scan.value) if scan.kind == "card" else scan.value.strip()
        lookup = codes.digest(vault, tenant_id, scan.kind, value)
        cred = await session.scalar(
            select(AccessCredential).where(
                AccessCredential.lookup_digest == lookup, AccessCredential.kind == scan.kind
            )
        )
        if cred is None:
            if scan.kind == "card" and await _blacklisted(session, point, at, card_digest=lookup):
                return Verdict(False, "blacklisted", hint=value[-4:])
            return Verdict(
                False, f"unknown_{scan.kind}", hint=value[-4:] if scan.kind == "card" else ""
            )
        verdict = Verdict(False, "credential_disabled", account_id=cred.account_id, hint=cred.hint)
        if cred.status != "active":
            return verdict
        if cred.kind == "face":
            try:
                await require_consent(session, cred.person_id, FACE_PURPOSE)
            except Forbidden:
                verdict.reason = "consent_revoked"
                return verdict
        verdict = await _check_account(session, tenant_id, point, verdict, at, card_digest=lookup)
    elif scan.kind == "pass":
        lookup = codes.digest(vault, tenant_id, "pass", codes.normalise_pass_code(scan.value))
        vp = await session.scalar(select(VisitorPass).where(VisitorPass.code_digest == lookup))
        if vp is None:
            return Verdict(False, "unknown_pass")
        verdict = Verdict(False, "visitor_pass", pass_id=vp.id, hint=vp.visitor_name_masked[:16])
        if vp.revoked_at is not None:
            verdict.reason = "pass_revoked"
        elif at < vp.valid_from:
            verdict.reason = "pass_not_yet_valid"
        elif at >= vp.valid_until:
            verdict.reason = "pass_expired"
        elif str(point.id) not in vp.point_ids:
            verdict.reason = "point_not_on_pass"
        elif scan.direction == "in" and vp.entries_used >= vp.max_entries:
            verdict.reason = "pass_used_up"
        elif await _blacklisted(session, point, at, plate_digest=vp.plate_digest):
            verdict.reason = "blacklisted"
        else:
            verdict.allowed = True
            verdict.reason = f"{vp.kind}_pass"
            if scan.direction == "in":
                verdict.counted_pass = vp.id
        if not verdict.allowed:
            return verdict
    else:
        return Verdict(False, "unknown_method")
    if verdict.allowed and await _passback(session, point, verdict, scan.direction, at):
        verdict.allowed, verdict.reason = False, "anti_passback"
    return verdict


async def _count_entry(session: Any, pass_id: uuid.UUID, *, strict: bool) -> bool:
    """Use one entry of a pass; ``strict``: only while entries are left (concurrent scans of the
    last entry: one wins). Offline decisions are counted as they happened (``strict=False``)."""
    stmt = update(VisitorPass).where(VisitorPass.id == pass_id)
    if strict:
        stmt = stmt.where(VisitorPass.entries_used < VisitorPass.max_entries)
    result = await session.execute(
        stmt.values(entries_used=VisitorPass.entries_used + 1).execution_options(
            synchronize_session=False
        )
    )
    return bool(result.rowcount)


async def _used(session: Any, point: AccessPoint, code_digest: str) -> bool:
    """Whether a QR code was used at the point already (the offline review's question; online,
    :func:`_remember_code` answers it while remembering)."""
    found = await session.scalar(
        select(UsedCode.id).where(
            UsedCode.code_digest == code_digest, UsedCode.point_id == point.id
        )
    )
    return found is not None


async def _remember_code(session: Any, point: AccessPoint, code_digest: str) -> bool:
    """Remember a QR code used at the point; False when it already was (a concurrent replay:
    the unique key decides, without aborting the transaction)."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(UsedCode)
        .values(
            tenant_id=session.info["tenant_id"],
            id=uuid.uuid4(),
            code_digest=code_digest,
            point_id=point.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "code_digest", "point_id"])
    )
    return bool(result.rowcount)


async def decide(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, point: AccessPoint, scan: Scan
) -> tuple[Verdict, AccessRecord]:
    """Decide a scan online (now), record it and publish ``access.denied`` for a refusal.

    A repeated ``event_id`` from the same point answers the recorded decision again and
    records nothing (a reader retrying after a lost answer)."""
    if scan.event_id:
        earlier = await session.scalar(
            select(AccessRecord).where(
                AccessRecord.point_id == point.id, AccessRecord.device_event_id == scan.event_id
            )
        )
        if earlier is not None:
            return Verdict(
                earlier.allowed,
                earlier.reason,
                earlier.account_id,
                earlier.pass_id,
                earlier.credential_hint,
            ), earlier
    now = utcnow()
    verdict = await evaluate(session, runtime.vault, tenant_id, point, scan, now)
    if (
        verdict.allowed
        and verdict.used_code
        and not await _remember_code(session, point, verdict.used_code)
    ):
        verdict.allowed, verdict.reason = False, "code_replayed"
    if (
        verdict.allowed
        and verdict.counted_pass
        and not await _count_entry(session, verdict.counted_pass, strict=True)
    ):
        verdict.allowed, verdict.reason = False, "pass_used_up"
    record = await _record(session, point, scan, verdict, now)
    if not verdict.allowed:
        await publish_denied(runtime, session, tenant_id, point, record)
    return verdict, record


async def _record(
    session: Any,
    point: AccessPoint,
    scan: Scan,
    verdict: Verdict,
    at: datetime,
    *,
    offline: bool = False,
    platform_reason: str | None = None,
) -> AccessRecord:
    record = AccessRecord(
        id=uuid.uuid4(),
        point_id=point.id,
        community_id=point.community_id,
        occurred_at=at,
        method=scan.kind if scan.kind in (*METHODS, "remote") else "unknown",
        direction=scan.direction,
        allowed=verdict.allowed,
        reason=verdict.reason[:32],
        account_id=verdict.account_id,
        pass_id=verdict.pass_id,
        credential_hint=verdict.hint[:16],
        device_event_id=scan.event_id,
        offline=offline,
        platform_reason=platform_reason,
        detail={"floors": verdict.floors} if verdict.floors else {},
    )
    session.add(record)
    await session.flush()
    return record


async def publish_denied(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, point: AccessPoint, record: AccessRecord
) -> None:
    await runtime.bus.publish(
        session,
        Event(
            "access.denied",
            tenant_id,
            {
                "record_id": str(record.id),
                "point_id": str(point.id),
                "community_id": str(point.community_id),
                "method": record.method,
                "reason": record.reason,
                "occurred_at": record.occurred_at.isoformat(),
                "offline": record.offline,
            },
        ),
    )


@dataclass(frozen=True)
class OfflineEvent:
    """A decision a reader made on its own while offline: the scan and what the reader did."""

    scan: Scan
    allowed: bool


@dataclass
class UploadResult:
    recorded: int = 0
    duplicates: int = 0
    disagreements: list[str] = field(default_factory=list)


async def record_offline(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, point: AccessPoint, events: list[OfflineEvent]
) -> UploadResult:
    """Record decisions a reader made while offline, uploaded late.

    Events are taken in event-time order (whatever order they arrive in); one already recorded
    (same point and ``event_id``) is skipped, so a re-upload counts nothing twice. The reader's
    decision stands — a door that opened did open — and is recorded as it was made; what the
    platform would have answered at that time is kept beside it (``platform_reason``) for review.
    An allowed entry on a pass uses one of its entries (even past the last); an allowed QR code
    is remembered, so the same code shown again online is a replay."""
    result = UploadResult()
    now = utcnow()
    for ev in sorted(events, key=lambda e: (e.scan.occurred_at or now, e.scan.event_id or "")):
        at = ev.scan.occurred_at or now
        if await session.scalar(
            select(AccessRecord.id).where(
                AccessRecord.point_id == point.id, AccessRecord.device_event_id == ev.scan.event_id
            )
        ):
            result.duplicates += 1
            continue
        verdict = await evaluate(session, runtime.vault, tenant_id, point, ev.scan, at)
        if verdict.allowed and verdict.used_code and await _used(session, point, verdict.used_code):
            verdict.allowed, verdict.reason = False, "code_replayed"
        platform_reason = verdict.reason
        would_allow = verdict.allowed
        verdict.allowed = ev.allowed
        verdict.reason = "offline_allowed" if ev.allowed else "offline_denied"
        if ev.allowed and verdict.used_code:
            await _remember_code(session, point, verdict.used_code)
        if (
            ev.allowed
            and ev.scan.kind == "pass"
            and verdict.pass_id is not None
            and ev.scan.direction == "in"
        ):
            await _count_entry(session, verdict.pass_id, strict=False)
        record = await _record(
            session, point, ev.scan, verdict, at, offline=True, platform_reason=platform_reason
        )
        if would_allow != ev.allowed:
            result.disagreements.append(str(ev.scan.event_id))
        if not ev.allowed:
            await publish_denied(runtime, session, tenant_id, point, record)
        result.recorded += 1
    return result


__all__ = [
    "DIRECTIONS",
    "FACE_PURPOSE",
    "METHODS",
    "OfflineEvent",
    "Scan",
    "UploadResult",
    "Verdict",
    "account_may_pass",
    "decide",
    "evaluate",
    "record_offline",
    "point_and_settings",
    "settings_of",
    "units_of_account",
]
