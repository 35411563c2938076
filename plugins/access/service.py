"""Access operations: points, grants, credentials, visitor passes, the blacklist, settings, QR
codes, remote opening, consent revocation and retention. Flush, never commit; validate before
writing; every change is audited here (``access.<action>``) and the ones other plugins react to
are published as events (see docs/access.md, "Events").

Device commands (``open``, ``revoke_credential``) go out through the SDK's device service, which
queues them in their own committed transaction; they are sent *before* this session writes, so
the two transactions never wait for each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from kernel.sdk import (
    BadUserInput,
    Conflict,
    Event,
    Forbidden,
    NotFound,
    audit,
    devices,
    mask_name,
    require_consent,
    utcnow,
)
from kernel.sdk.estate import Building, Community, Person
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.access import codes
from plugins.access.decisions import (
    FACE_PURPOSE,
    account_may_pass,
    settings_of,
    units_of_account,
)
from plugins.access.inputs import (
    Blacklisting,
    Card,
    FaceReference,
    GrantRule,
    NewPoint,
    PassTerms,
    SettingsChange,
    normalise_plate,
)
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

OPEN_SECONDS = 5


async def _get(session: Any, model: type, id_: uuid.UUID, what: str) -> Any:
    row = await session.scalar(select(model).where(model.id == id_))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no {what} with this id")
    return row


async def _audit(session: Any, actor: str, action: str, target: Any, **detail: Any) -> None:
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"access.{action}",
        target=str(target),
        detail=detail,
    )


# ------------------------------------------------------------------------------------------------
# Points
# ------------------------------------------------------------------------------------------------


async def create_point(
    runtime: Runtime,
    session: Any,
    *,
    community_id: uuid.UUID,
    name: str,
    kind: str,
    building_id: uuid.UUID | None = None,
    floor: int | None = None,
    device_id: uuid.UUID | None = None,
    anti_passback: bool = False,
    actor: str = "system",
) -> AccessPoint:
    name = parse_input(NewPoint, name=name, kind=kind, building_id=building_id, floor=floor).name
    await _get(session, Community, community_id, "community")
    if building_id is not None:
        building = await _get(session, Building, building_id, "building")
        if building.community_id != community_id:
            raise BadUserInput("the building is in another community", field="buildingId")
        if floor is not None and not (-10 <= floor <= (building.floors or 200)):
            raise BadUserInput("no such floor in this building", field="floor")
    if device_id is not None:
        await _check_reader(runtime, session, device_id)
    if await session.scalar(
        select(AccessPoint.id).where(
            AccessPoint.community_id == community_id, AccessPoint.name == name
        )
    ):
        raise Conflict(f"the community has a point named {name!r}", field="name")
    point = AccessPoint(
        id=uuid.uuid4(),
        community_id=community_id,
        building_id=building_id,
        floor=floor,
        kind=kind,
        name=name,
        device_id=device_id,
        anti_passback=anti_passback,
    )
    session.add(point)
    await session.flush()
    await _audit(
        session,
        actor,
        "point_created",
        point.id,
        kind=kind,
        device_id=str(device_id) if device_id else None,
    )
    return point


async def _check_reader(runtime: Runtime, session: Any, device_id: uuid.UUID) -> None:
    """The device exists in this tenant, takes an ``open`` command and serves no other point."""
    device = await devices.get_device(session, device_id)  # NOT_FOUND for an unknown or foreign id
    profile = devices.profiles(runtime).get(device.type)
    if profile is None or profile.command("open") is None:
        raise BadUserInput(
            "the device takes no `open` command: link a door reader or gate", field="deviceId"
        )
    if await session.scalar(select(AccessPoint.id).where(AccessPoint.device_id == device_id)):
        raise Conflict("the device already serves another point", field="deviceId")


async def set_point_active(
    session: Any, point_id: uuid.UUID, active: bool, *, actor: str = "system"
) -> AccessPoint:
    point = await _get(session, AccessPoint, point_id, "access point")
    point.active = active
    await session.flush()
    await _audit(session, actor, "point_activated" if active else "point_deactivated", point.id)
    return point


async def point_of_device(session: Any, device_id: uuid.UUID) -> AccessPoint | None:
    return await session.scalar(select(AccessPoint).where(AccessPoint.device_id == device_id))  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------
# Grants
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Weekdays (bit 0 = Monday) and local minutes ``[start, end)``."""

    weekdays: int = 0b1111111
    start_minute: int = 0
    end_minute: int = 1440


async def create_grant(
    session: Any,
    *,
    community_id: uuid.UUID,
    point_id: uuid.UUID | None = None,
    role: str | None = None,
    account_id: uuid.UUID | None = None,
    window: Window = Window(),
    valid_until: datetime | None = None,
    note: str = "",
    actor: str = "system",
) -> AccessGrant:
    note = parse_input(
        GrantRule,
        account_id=account_id,
        role=role,
        weekdays=window.weekdays,
        end_minute=window.end_minute,
        start_minute=window.start_minute,
        note=note,
        valid_until=valid_until,
    ).note
    await _get(session, Community, community_id, "community")
    if point_id is not None:
        point = await _get(session, AccessPoint, point_id, "access point")
        if point.community_id != community_id:
            raise BadUserInput("the point is in another community", field="pointId")
    grant = AccessGrant(
        id=uuid.uuid4(),
        community_id=community_id,
        point_id=point_id,
        role=role,
        account_id=account_id,
        weekdays=window.weekdays,
        start_minute=window.start_minute,
        end_minute=window.end_minute,
        valid_until=valid_until,
        note=note,
    )
    session.add(grant)
    await session.flush()
    await _audit(
        session,
        actor,
        "grant_created",
        grant.id,
        role=role,
        account_id=str(account_id) if account_id else None,
    )
    return grant


async def delete_grant(session: Any, grant_id: uuid.UUID, *, actor: str = "system") -> None:
    grant = await _get(session, AccessGrant, grant_id, "access grant")
    await session.delete(grant)
    await session.flush()
    await _audit(session, actor, "grant_deleted", grant_id)


# ------------------------------------------------------------------------------------------------
# Credentials
# ------------------------------------------------------------------------------------------------


async def issue_card(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    *,
    account_id: uuid.UUID,
    number: str,
    actor: str = "system",
) -> AccessCredential:
    number = parse_input(Card, number=number).number
    lookup = codes.digest(runtime.vault, tenant_id, "card", number)
    if await session.scalar(
        select(AccessCredential.id).where(AccessCredential.lookup_digest == lookup)
    ):
        raise Conflict("this card is already issued", field="number")
    cred = AccessCredential(
        id=uuid.uuid4(),
        account_id=account_id,
        kind="card",
        lookup_digest=lookup,
        hint=number[-4:],
        status="active",
    )
    session.add(cred)
    await session.flush()
    await _audit(session, actor, "card_issued", cred.id, account_id=str(account_id), hint=cred.hint)
    return cred


async def register_face(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    *,
    person_id: uuid.UUID,
    reference: str,
    actor: str = "system",
) -> AccessCredential:
    """Store the vendor's reference of a person's face template (never the template) — only
    with the person's separate consent to biometric processing (FORBIDDEN without it)."""
    reference = parse_input(FaceReference, reference=reference).reference
    person = await _get(session, Person, person_id, "person")
    if person.account_id is None:
        raise BadUserInput(
            "the person has no login: link one before registering a face", field="personId"
        )
    await require_consent(session, person_id, FACE_PURPOSE)
    lookup = codes.digest(runtime.vault, tenant_id, "face", reference)
    existing = await session.scalar(
        select(AccessCredential).where(AccessCredential.lookup_digest == lookup)
    )
    if existing is not None:
        if existing.person_id != person_id:
            raise Conflict("this face reference belongs to someone else", field="reference")
        existing.status, existing.status_reason = "active", ""
        await session.flush()
        await _audit(session, actor, "face_reactivated", existing.id)
        return existing  # type: ignore[no-any-return]
    cred = AccessCredential(
        id=uuid.uuid4(),
        account_id=person.account_id,
        person_id=person_id,
        kind="face",
        lookup_digest=lookup,
        hint=reference[-4:],
        reference_enc=runtime.vault.encrypt(tenant_id, reference),
        status="active",
    )
    session.add(cred)
    await session.flush()
    await _audit(session, actor, "face_registered", cred.id, person_id=str(person_id))
    return cred


async def tell_readers(
    runtime: Runtime, tenant_id: uuid.UUID, credential_id: uuid.UUID, *, actor: str = "access"
) -> int:
    """Handle ``access.credential_disabled`` for a face: send ``revoke_credential`` with its
    reference to every linked reader whose profile takes that command. Returns the number of
    commands queued.

    Reads in a session of its own and leaves the handler's untouched: each command is queued in
    its own committed transaction, and on SQLite a handler's transaction that had read before
    another connection committed could no longer write."""
    async with runtime.db.tenant(tenant_id) as s:
        cred = await s.scalar(select(AccessCredential).where(AccessCredential.id == credential_id))
        if cred is None or cred.kind != "face" or not cred.reference_enc:
            return 0
        reference = runtime.vault.decrypt(tenant_id, cred.reference_enc)
        readers = []
        for device_id in await s.scalars(
            select(AccessPoint.device_id).where(AccessPoint.device_id.is_not(None))
        ):
            device = await devices.get_device(s, device_id)
            profile = devices.profiles(runtime).get(device.type)
            if (
                device.revoked_at is None
                and profile is not None
                and profile.command("revoke_credential") is not None
            ):
                readers.append(device_id)
    for device_id in readers:
        await devices.send_command(
            runtime,
            tenant_id,
            device_id,
            "revoke_credential",
            {"kind": "face", "reference": reference},
            actor=actor,
        )
    return len(readers)


async def _disabled(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    cred: AccessCredential,
    status: str,
    reason: str,
    actor: str,
) -> None:
    cred.status, cred.status_reason = status, reason
    await session.flush()
    await _audit(session, actor, f"credential_{status}", cred.id, reason=reason)
    await runtime.bus.publish(
        session,
        Event(
            "access.credential_disabled",
            tenant_id,
            {
                "credential_id": str(cred.id),
                "kind": cred.kind,
                "account_id": str(cred.account_id),
                "person_id": str(cred.person_id) if cred.person_id else None,
                "status": status,
                "reason": reason,
            },
            actor=actor,
        ),
    )


async def disable_faces(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    reason: str,
    actor: str = "system",
) -> list[AccessCredential]:
    """Disable a person's face credentials at once; ``access.credential_disabled`` (handled by
    this plugin too) tells the readers to forget them."""
    faces = list(
        await session.scalars(
            select(AccessCredential).where(
                AccessCredential.person_id == person_id,
                AccessCredential.kind == "face",
                AccessCredential.status == "active",
            )
        )
    )
    for cred in faces:
        await _disabled(runtime, session, tenant_id, cred, "disabled", reason, actor)
    return faces


async def on_consent_revoked(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, payload: dict[str, Any]
) -> int:
    """``consent.revoked`` for face recognition: disable the person's faces (readers are told)."""
    if payload.get("purpose") != FACE_PURPOSE:
        return 0
    try:
        person_id = uuid.UUID(str(payload.get("person_id")))
    except ValueError:
        return 0
    return len(
        await disable_faces(
            runtime, session, tenant_id, person_id, reason="consent_revoked", actor="consent"
        )
    )


async def revoke_credential(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    credential_id: uuid.UUID,
    *,
    actor: str = "system",
) -> AccessCredential:
    cred = await _get(session, AccessCredential, credential_id, "credential")
    if cred.status == "revoked":
        raise Conflict("the credential is already revoked")
    await _disabled(runtime, session, tenant_id, cred, "revoked", "revoked", actor)
    return cred  # type: ignore[no-any-return]


async def issue_qr(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    now: datetime | None = None,
) -> tuple[str, datetime, int]:
    """The account's rotating QR code now: (code, valid until, step seconds)."""
    settings = await settings_of(session)
    now = now or utcnow()
    step = int(now.timestamp()) // settings.qr_step_seconds
    code = codes.issue_qr(runtime.vault, tenant_id, settings.qr_key_version, account_id, step)
    until = datetime.fromtimestamp((step + 2) * settings.qr_step_seconds, tz=now.tzinfo)
    return code, until, settings.qr_step_seconds


# ------------------------------------------------------------------------------------------------
# Visitor passes
# ------------------------------------------------------------------------------------------------


def mask_plate(plate: str) -> str:
    """沪A***45: province and office letter, the last two characters (脱敏 in lists)."""
    return plate[:2] + "***" + plate[-2:]


@dataclass(frozen=True)
class SealedPlate:
    """What a row keeps of a plate: the keyed digest (blacklist matching), the ciphertext under
    the tenant's key and the masked form — never the plate in clear."""

    digest: str
    enc: str
    masked: str


def seal_plate(vault: Any, tenant_id: uuid.UUID, plate: str | None) -> SealedPlate | None:
    if plate is None:
        return None
    return SealedPlate(
        codes.digest(vault, tenant_id, "plate", plate),
        vault.encrypt(tenant_id, plate),
        mask_plate(plate),
    )


async def seal_legacy_plates(vault: Any, session: Any, tenant_id: uuid.UUID) -> int:
    """Seal the plates stored in clear before migration ac0002 (``plate_unsealed``) and clear
    them; run by the retention job. Returns how many rows were sealed."""
    sealed = 0
    for model in (VisitorPass, BlacklistEntry):
        for row in await session.scalars(select(model).where(model.plate_unsealed.is_not(None))):
            found = seal_plate(vault, tenant_id, normalise_plate(row.plate_unsealed))
            row.plate_digest = found.digest if found else None
            row.plate_masked = found.masked if found else None
            if model is VisitorPass:
                row.plate_enc = found.enc if found else None
            row.plate_unsealed = None
            sealed += 1
    await session.flush()
    return sealed


async def points_of_account(
    session: Any, tenant_id: uuid.UUID, account_id: uuid.UUID, at: datetime | None = None
) -> list[AccessPoint]:
    """The active points the account may pass now (residence or grant), by name."""
    at = at or utcnow()
    units = await units_of_account(session, account_id)
    found = []
    for point in await session.scalars(
        select(AccessPoint).where(AccessPoint.active.is_(True)).order_by(AccessPoint.name)
    ):
        basis, _ = await account_may_pass(session, tenant_id, account_id, point, at, units)
        if basis is not None:
            found.append(point)
    return found


@dataclass(frozen=True)
class PassSpec:
    visitor_name: str
    valid_from: datetime
    valid_until: datetime
    max_entries: int = 1
    plate: str | None = None
    point_ids: Sequence[uuid.UUID] = ()
    kind: str = "visitor"


async def create_pass(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    spec: PassSpec,
    *,
    host_account_id: uuid.UUID | None,
    staff: bool,
    actor: str = "system",
) -> tuple[VisitorPass, str]:
    """A pass and its code. A resident's visitor pass covers only points the resident may pass
    (all of them by default) for at most 7 days; staff create courier and service passes for at
    most 24 hours at any points of one community. Publishes ``access.pass_created``."""
    if spec.kind != "visitor" and not staff:
        raise Forbidden("courier and service passes are created by staff")
    terms = parse_input(
        PassTerms,
        visitor_name=spec.visitor_name,
        kind=spec.kind,
        now=utcnow(),
        valid_from=spec.valid_from,
        valid_until=spec.valid_until,
        max_entries=spec.max_entries,
        plate=spec.plate,
    )
    name, start, end = terms.visitor_name, terms.valid_from, terms.valid_until
    plate = seal_plate(runtime.vault, tenant_id, terms.plate)
    wanted = list(dict.fromkeys(spec.point_ids))
    if staff:
        if not wanted:
            raise BadUserInput("name the points the pass opens", field="pointIds")
        points = [await _get(session, AccessPoint, p, "access point") for p in wanted]
    else:
        assert host_account_id is not None
        mine = {
            p.id: p for p in await points_of_account(session, tenant_id, host_account_id, start)
        }
        if not mine:
            raise Forbidden("you may pass no access point, so you cannot invite a visitor")
        if any(p not in mine for p in wanted):
            raise NotFound("no access point with this id that you may pass")
        points = [mine[p] for p in wanted] if wanted else list(mine.values())
    communities = {p.community_id for p in points}
    if len(communities) != 1:
        raise BadUserInput("a pass is for the points of one community", field="pointIds")
    code = codes.new_pass_code()
    vp = VisitorPass(
        id=uuid.uuid4(),
        community_id=communities.pop(),
        host_account_id=host_account_id,
        kind=spec.kind,
        visitor_name_enc=runtime.vault.encrypt(tenant_id, name),
        visitor_name_masked=mask_name(name) or "",
        plate_digest=plate.digest if plate else None,
        plate_enc=plate.enc if plate else None,
        plate_masked=plate.masked if plate else None,
        valid_from=start,
        valid_until=end,
        max_entries=spec.max_entries,
        entries_used=0,
        point_ids=[str(p.id) for p in points],
        code_digest=codes.digest(runtime.vault, tenant_id, "pass", code),
        code_enc=runtime.vault.encrypt(tenant_id, code),
    )
    session.add(vp)
    await session.flush()
    await _audit(session, actor, "pass_created", vp.id, kind=spec.kind, points=len(points))
    await runtime.bus.publish(
        session, Event("access.pass_created", tenant_id, pass_payload(vp), actor=actor)
    )
    return vp, code


async def pass_code(session: Any, vault: Any, vp: VisitorPass, *, actor: str) -> str:
    """A pass's code in clear, for its host or staff to share again; audited as
    ``access.pass_code_read``."""
    await _audit(session, actor, "pass_code_read", vp.id)
    return str(vault.decrypt(session.info["tenant_id"], vp.code_enc))


def pass_payload(vp: VisitorPass) -> dict[str, Any]:
    """What other plugins learn of a pass (no visitor name: parking needs the plate and window).
    The plate is never published in clear: ``plate_enc`` is it encrypted with the tenant's key
    (``runtime.vault.decrypt(tenant_id, plate_enc)`` in the receiving plugin), ``plate_masked``
    the list form."""
    return {
        "pass_id": str(vp.id),
        "community_id": str(vp.community_id),
        "kind": vp.kind,
        "plate_enc": vp.plate_enc,
        "plate_masked": vp.plate_masked,
        "valid_from": vp.valid_from.isoformat(),
        "valid_until": vp.valid_until.isoformat(),
        "max_entries": vp.max_entries,
        "point_ids": list(vp.point_ids),
        "host_account_id": str(vp.host_account_id) if vp.host_account_id else None,
    }


async def revoke_pass(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    pass_id: uuid.UUID,
    *,
    by_account: uuid.UUID | None,
    staff: bool,
    actor: str = "system",
) -> VisitorPass:
    vp = await session.scalar(select(VisitorPass).where(VisitorPass.id == pass_id))
    if vp is None or (not staff and vp.host_account_id != by_account):
        raise NotFound("no visitor pass with this id")
    if vp.revoked_at is not None:
        raise Conflict("the pass is already revoked")
    vp.revoked_at = utcnow()
    await session.flush()
    await _audit(session, actor, "pass_revoked", vp.id)
    await runtime.bus.publish(
        session, Event("access.pass_revoked", tenant_id, pass_payload(vp), actor=actor)
    )
    return vp  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------
# Remote opening, blacklist, settings, retention
# ------------------------------------------------------------------------------------------------


async def open_remotely(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    point_id: uuid.UUID,
    *,
    account_id: uuid.UUID,
    actor: str,
) -> AccessRecord:
    """Open a point for the person asking from the app (远程开门) — only a point they may pass
    now (NOT_FOUND otherwise, as for an unknown id); the reader gets the ``open`` command."""
    point = await session.scalar(select(AccessPoint).where(AccessPoint.id == point_id))
    now = utcnow()
    basis = None
    if point is not None and point.active:
        basis, _ = await account_may_pass(session, tenant_id, account_id, point, now)
    if point is None or basis is None:
        raise NotFound("no access point with this id that you may pass")
    from plugins.access.decisions import _blacklisted

    if await _blacklisted(session, point, now, account_id=account_id):
        raise Forbidden(
            "you are refused at this point; ask the property office", reason="blacklisted"
        )
    if point.device_id is None:
        raise Conflict("this point has no reader linked; it cannot be opened remotely")
    call = await devices.send_command(
        runtime, tenant_id, point.device_id, "open", {"seconds": OPEN_SECONDS}, actor=actor
    )
    record = AccessRecord(
        id=uuid.uuid4(),
        point_id=point.id,
        community_id=point.community_id,
        occurred_at=now,
        method="remote",
        direction="in",
        allowed=True,
        reason=basis,
        account_id=account_id,
        credential_hint="app",
        detail={"command_id": str(call.id)},
    )
    session.add(record)
    await session.flush()
    await _audit(
        session, actor, "remote_opened", point.id, record_id=str(record.id), command_id=str(call.id)
    )
    await runtime.bus.publish(
        session,
        Event(
            "access.remote_opened",
            tenant_id,
            {
                "record_id": str(record.id),
                "point_id": str(point.id),
                "community_id": str(point.community_id),
                "account_id": str(account_id),
            },
            actor=actor,
        ),
    )
    return record


async def add_to_blacklist(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    *,
    reason: str,
    community_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    card_number: str | None = None,
    plate: str | None = None,
    expires_at: datetime | None = None,
    actor: str = "system",
) -> BlacklistEntry:
    spec = parse_input(
        Blacklisting,
        reason=reason,
        card_number=card_number,
        plate=plate,
        account_id=account_id,
        expires_at=expires_at,
    )
    reason = spec.reason
    if community_id is not None:
        await _get(session, Community, community_id, "community")
    card = codes.normalise_card(card_number) if card_number else None
    sealed = seal_plate(runtime.vault, tenant_id, spec.plate)
    entry = BlacklistEntry(
        id=uuid.uuid4(),
        community_id=community_id,
        account_id=account_id,
        card_digest=codes.digest(runtime.vault, tenant_id, "card", card) if card else None,
        plate_digest=sealed.digest if sealed else None,
        plate_masked=sealed.masked if sealed else None,
        reason=reason,
        expires_at=expires_at,
    )
    session.add(entry)
    await session.flush()
    await _audit(
        session, actor, "blacklisted", entry.id, account_id=str(account_id) if account_id else None
    )
    return entry


async def remove_from_blacklist(
    session: Any, entry_id: uuid.UUID, *, actor: str = "system"
) -> None:
    entry = await _get(session, BlacklistEntry, entry_id, "blacklist entry")
    await session.delete(entry)
    await session.flush()
    await _audit(session, actor, "unblacklisted", entry_id)


async def update_settings(
    session: Any,
    *,
    retention_days: int | None = None,
    qr_step_seconds: int | None = None,
    rotate_qr_key: bool = False,
    actor: str = "system",
) -> AccessSettings:
    parse_input(SettingsChange, retention_days=retention_days, qr_step_seconds=qr_step_seconds)
    settings = await settings_of(session)
    if settings not in session:  # the defaults until now: this is the firm's first change
        session.add(settings)
    if retention_days is not None:
        settings.retention_days = retention_days
    if qr_step_seconds is not None:
        settings.qr_step_seconds = qr_step_seconds
    if rotate_qr_key:
        settings.qr_key_version += 1
    await session.flush()
    await _audit(
        session,
        actor,
        "settings_updated",
        session.info["tenant_id"],
        retention_days=settings.retention_days,
        qr_step_seconds=settings.qr_step_seconds,
        qr_key_version=settings.qr_key_version,
    )
    return settings


async def purge_expired(session: Any, *, now: datetime | None = None) -> int:
    """Delete the records older than the tenant's retention, and remembered QR codes older than a
    day (a code is long expired by then). Returns the number of records deleted."""
    now = now or utcnow()
    settings = await settings_of(session)
    cutoff = now - timedelta(days=settings.retention_days)
    result = await session.execute(
        delete(AccessRecord)
        .where(AccessRecord.occurred_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(UsedCode)
        .where(UsedCode.created_at < now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    deleted = int(result.rowcount or 0)
    if deleted:
        await _audit(
            session,
            "system",
            "records_purged",
            session.info["tenant_id"],
            deleted=deleted,
            before=cutoff.isoformat(),
        )
    return deleted
