"""Care operations: enrolment, contacts, devices, the plan (check-ins, visits and services) and
what happens on consent changes. Flush, never commit; validate before writing; every change is
audited here (``care.<action>``, never with personal data in the detail). Alerts live in
:mod:`plugins.care.alerts`, monitoring (activity, no-activity, missed check-ins) in
:mod:`plugins.care.monitoring`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select

from kernel.sdk import BadUserInput, Conflict, Event, NotFound, audit, require_consent, utcnow
from kernel.sdk import devices as sdk_devices
from kernel.sdk.estate import Community, Person, Unit
from kernel.sdk.inputs import parse_input
from kernel.sdk.members import invite_member
from kernel.sdk.runtime import Runtime
from plugins.care.baseline import LOCAL
from plugins.care.consent import PURPOSE
from plugins.care.crypto import seal, unseal
from plugins.care.inputs import (
    CheckIn,
    Contact,
    DeviceLink,
    Plan,
    PlannedService,
    ServiceNote,
)
from plugins.care.models import (
    CareActivity,
    CareCheckIn,
    CareContact,
    CareDevice,
    CareRecipient,
    CareService,
)

CONTACT_ROLE = "care_contact"


async def _audit(session: Any, actor: str, action: str, target: uuid.UUID, **detail: Any) -> None:
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"care.{action}",
        target=str(target),
        detail=detail,
    )


async def health_notes(session: Any, vault: Any, row: CareRecipient, *, actor: str) -> str | None:
    """A recipient's health notes in clear, for a care manager; each read of notes is audited as
    ``care.health_notes_read``. ``None`` (and no audit) when there are none."""
    if not row.health_notes_enc:
        return None
    notes = unseal(vault, session.info["tenant_id"], row.health_notes_enc)
    await _audit(session, actor, "health_notes_read", row.id)
    return notes


async def publish(
    session: Any, bus: Any, kind: str, payload: dict[str, Any], actor: str = "system"
) -> None:
    """``care.<kind>`` on the bus, in the change's transaction (ids and facts, no personal data)."""
    await bus.publish(
        session, Event(f"care.{kind}", session.info["tenant_id"], payload, actor=actor)
    )


def local_day(moment: datetime) -> date:
    """The local (Asia/Shanghai) calendar day of ``moment``."""
    return moment.astimezone(LOCAL).date()


async def get_recipient(session: Any, recipient_id: uuid.UUID) -> CareRecipient:
    row = await session.scalar(select(CareRecipient).where(CareRecipient.id == recipient_id))
    if row is None:
        raise NotFound("no care recipient with this id", field="recipientId")
    return row  # type: ignore[no-any-return]


async def enrol(
    session: Any,
    vault: Any,
    *,
    person_id: uuid.UUID,
    community_id: uuid.UUID,
    unit_id: uuid.UUID | None = None,
    lives_alone: bool = True,
    health_notes: str = "",
    check_in_by_minute: int = 600,
    margin_percent: int = 50,
    fallback_hours: int = 12,
    ack_within_seconds: int = 180,
    actor: str = "system",
    now: datetime | None = None,
) -> CareRecipient:
    """Enrol a person of the register in home care. Their consent to ``care.health_monitoring``
    must be recorded first (``FORBIDDEN``, reason ``consent_required``, otherwise)."""
    parse_input(
        Plan,
        check_in_by_minute=check_in_by_minute,
        margin_percent=margin_percent,
        fallback_hours=fallback_hours,
        ack_within_seconds=ack_within_seconds,
        health_notes=health_notes,
    )
    if await session.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise NotFound("no person with this id in the register", field="personId")
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no community with this id", field="communityId")
    if unit_id is not None:
        unit_community = await session.scalar(select(Unit.community_id).where(Unit.id == unit_id))
        if unit_community is None:
            raise NotFound("no unit with this id", field="unitId")
        if unit_community != community_id:
            raise BadUserInput("the unit is not in this community", field="unitId")
    if await session.scalar(select(CareRecipient.id).where(CareRecipient.person_id == person_id)):
        raise Conflict("this person is enrolled already", field="personId")
    await require_consent(session, person_id, PURPOSE)
    row = CareRecipient(
        id=uuid.uuid4(),
        person_id=person_id,
        community_id=community_id,
        unit_id=unit_id,
        lives_alone=lives_alone,
        status="active",
        monitoring_since=now or utcnow(),
        health_notes_enc=seal(vault, session.info["tenant_id"], health_notes.strip()),
        check_in_by_minute=check_in_by_minute,
        margin_percent=margin_percent,
        fallback_hours=fallback_hours,
        ack_within_seconds=ack_within_seconds,
        enrolled_by=actor[:80],
    )
    session.add(row)
    await session.flush()
    await _audit(session, actor, "recipient_enrolled", row.id, lives_alone=lives_alone)
    return row


async def update_plan(
    session: Any,
    vault: Any,
    *,
    recipient_id: uuid.UUID,
    health_notes: str | None = None,
    lives_alone: bool | None = None,
    check_in_by_minute: int | None = None,
    margin_percent: int | None = None,
    fallback_hours: int | None = None,
    ack_within_seconds: int | None = None,
    actor: str = "system",
) -> CareRecipient:
    """Change a recipient's plan settings; health notes need the person's current consent."""
    parse_input(
        Plan,
        check_in_by_minute=check_in_by_minute,
        margin_percent=margin_percent,
        fallback_hours=fallback_hours,
        ack_within_seconds=ack_within_seconds,
        health_notes=health_notes,
    )
    row = await get_recipient(session, recipient_id)
    if row.status == "ended":
        raise Conflict("this recipient's care has ended")
    changed = []
    if health_notes is not None:
        await require_consent(session, row.person_id, PURPOSE)
        row.health_notes_enc = seal(vault, session.info["tenant_id"], health_notes.strip())
        changed.append("health_notes")
    for name, value in (
        ("lives_alone", lives_alone),
        ("check_in_by_minute", check_in_by_minute),
        ("margin_percent", margin_percent),
        ("fallback_hours", fallback_hours),
        ("ack_within_seconds", ack_within_seconds),
    ):
        if value is not None:
            setattr(row, name, value)
            changed.append(name)
    await session.flush()
    await _audit(session, actor, "plan_updated", row.id, fields=changed)
    return row


async def end_care(
    session: Any, *, recipient_id: uuid.UUID, actor: str = "system"
) -> CareRecipient:
    """End a recipient's care: monitoring stops; the activity trail is erased; history stays."""
    row = await get_recipient(session, recipient_id)
    if row.status == "ended":
        raise Conflict("this recipient's care has ended already")
    row.status = "ended"
    await session.execute(delete(CareActivity).where(CareActivity.recipient_id == row.id))
    await session.flush()
    await _audit(session, actor, "care_ended", row.id)
    return row


# -- emergency contacts ---------------------------------------------------------------------------


async def add_contact(
    session: Any,
    runtime: Runtime,
    tenant: Any,
    *,
    recipient_id: uuid.UUID,
    name: str,
    relation: str,
    priority: int,
    phone: str | None = None,
    email: str | None = None,
    invite: bool = True,
    locale: str = "zh-CN",
    created_by: uuid.UUID | None = None,
    actor: str = "system",
) -> tuple[CareContact, str | None]:
    """Add an emergency contact in escalation order; with ``invite`` they get a limited login
    (role ``care_contact``) through the kernel's invitation. Returns the contact and, once, the
    invitation code."""
    spec = parse_input(Contact, name=name, relation=relation, priority=priority, email=email, phone=phone)
    name, relation = spec.name, spec.relation
    row = await get_recipient(session, recipient_id)
    await require_consent(session, row.person_id, PURPOSE)
    if await session.scalar(
        select(CareContact.id).where(
            CareContact.recipient_id == recipient_id, CareContact.priority == priority
        )
    ):
        raise Conflict(f"this recipient has a contact with priority {priority}", field="priority")
    code = None
    invitation_id = None
    if invite:
        invited = await invite_member(
            session,
            runtime,
            tenant,
            roles=[CONTACT_ROLE],
            phone=phone,
            email=email,
            display_name=name,
            locale=locale,
            created_by=created_by,
            actor=actor,
        )
        code, invitation_id, masked = invited.code, invited.invitation_id, invited.contact_masked
    else:
        masked = _masked(phone, email)
    tenant_id = session.info["tenant_id"]
    contact = (
        f"phone:{phone.strip()}"
        if phone and phone.strip()
        else f"email:{(email or '').strip().lower()}"
    )
    row_contact = CareContact(
        id=uuid.uuid4(),
        recipient_id=recipient_id,
        priority=priority,
        relation=relation,
        name_enc=runtime.vault.encrypt(tenant_id, name),
        contact_enc=runtime.vault.encrypt(tenant_id, contact),
        contact_masked=masked,
        invitation_id=invitation_id,
    )
    session.add(row_contact)
    await session.flush()
    await _audit(session, actor, "contact_added", row_contact.id, priority=priority, invited=invite)
    return row_contact, code


def _masked(phone: str | None, email: str | None) -> str:
    if phone and phone.strip():
        p = phone.strip()
        return f"{p[:3]}****{p[-4:]}"
    name, _, domain = (email or "").strip().partition("@")
    return f"{name[:1]}***@{domain}"


async def remove_contact(
    session: Any, *, contact_id: uuid.UUID, actor: str = "system"
) -> uuid.UUID:
    row = await session.scalar(select(CareContact).where(CareContact.id == contact_id))
    if row is None:
        raise NotFound("no care contact with this id", field="contactId")
    await session.delete(row)
    await session.flush()
    await _audit(session, actor, "contact_removed", contact_id)
    return row.recipient_id  # type: ignore[no-any-return]


async def link_joined_member(session: Any, payload: dict[str, Any]) -> int:
    """Handle ``member.joined``: the contact invited with this invitation gets its login."""
    try:
        invitation_id, account_id = (
            uuid.UUID(str(payload.get("invitation_id"))),
            uuid.UUID(str(payload.get("account_id"))),
        )
    except ValueError:
        return 0
    rows = (
        await session.scalars(select(CareContact).where(CareContact.invitation_id == invitation_id))
    ).all()
    for row in rows:
        row.account_id = account_id
    await session.flush()
    return len(rows)


# -- devices ---------------------------------------------------------------------------------------


async def link_device(
    session: Any, *, recipient_id: uuid.UUID, device_id: uuid.UUID, kind: str, actor: str = "system"
) -> CareDevice:
    """Assign a registered device to a recipient (a device serves one recipient)."""
    parse_input(DeviceLink, kind=kind)
    row = await get_recipient(session, recipient_id)
    await require_consent(session, row.person_id, PURPOSE)
    await sdk_devices.get_device(session, device_id)
    if await session.scalar(select(CareDevice.id).where(CareDevice.device_id == device_id)):
        raise Conflict("this device is assigned to a care recipient already", field="deviceId")
    link = CareDevice(id=uuid.uuid4(), recipient_id=recipient_id, device_id=device_id, kind=kind)
    session.add(link)
    await session.flush()
    await _audit(session, actor, "device_linked", link.id, kind=kind)
    return link


# -- the plan: check-ins, visits and services ------------------------------------------------------


async def recipient_of_account(session: Any, account_id: uuid.UUID | None) -> CareRecipient:
    """The care recipient whose register person is this login (the one-tap check-in)."""
    if account_id is not None:
        row = await session.scalar(
            select(CareRecipient)
            .join(
                Person,
                (Person.id == CareRecipient.person_id)
                & (Person.tenant_id == CareRecipient.tenant_id),
            )
            .where(Person.account_id == account_id)
        )
        if row is not None:
            return row  # type: ignore[no-any-return]
    raise NotFound("this login is not a care recipient")


async def check_in(
    session: Any,
    *,
    recipient: CareRecipient,
    method: str,
    actor: str = "system",
    now: datetime | None = None,
) -> tuple[CareCheckIn, bool]:
    """Record today's check-in ("I'm fine", or a staff call or visit). A second one the same day
    changes nothing. Returns the check-in and whether it is new. It is also a sign of life."""
    parse_input(CheckIn, method=method)
    if recipient.status != "active":
        raise Conflict(f"this recipient's care is {recipient.status}", reason=recipient.status)
    await require_consent(session, recipient.person_id, PURPOSE)
    now = now or utcnow()
    day = local_day(now)
    existing = await session.scalar(
        select(CareCheckIn).where(CareCheckIn.recipient_id == recipient.id, CareCheckIn.day == day)
    )
    if existing is not None:
        return existing, False
    row = CareCheckIn(
        id=uuid.uuid4(),
        recipient_id=recipient.id,
        day=day,
        method=method,
        checked_at=now,
        by=actor[:80],
    )
    session.add(row)
    await session.flush()
    from plugins.care.monitoring import record_activity

    await record_activity(session, recipient, now, "check_in")
    await _audit(session, actor, "checked_in", recipient.id, method=method)
    return row, True


async def schedule_service(
    session: Any,
    *,
    recipient_id: uuid.UUID,
    kind: str,
    scheduled_for: datetime,
    provider_account_id: uuid.UUID | None = None,
    actor: str = "system",
) -> CareService:
    """Plan a visit or service (meal help, housekeeping, health check, visit): who and when."""
    parse_input(PlannedService, kind=kind, scheduled_for=scheduled_for)
    row = await get_recipient(session, recipient_id)
    if row.status != "active":
        raise Conflict(f"this recipient's care is {row.status}", reason=row.status)
    service = CareService(
        id=uuid.uuid4(),
        recipient_id=recipient_id,
        kind=kind,
        scheduled_for=scheduled_for,
        provider_account_id=provider_account_id,
    )
    session.add(service)
    await session.flush()
    await _audit(session, actor, "service_scheduled", service.id, kind=kind)
    return service


async def complete_service(
    session: Any,
    vault: Any,
    *,
    service_id: uuid.UUID,
    note: str = "",
    done: bool = True,
    actor: str = "system",
    now: datetime | None = None,
) -> CareService:
    """Record a planned service as done (with an encrypted note: a health check's findings) or
    cancelled."""
    parse_input(ServiceNote, note=note)
    service = await session.scalar(select(CareService).where(CareService.id == service_id))
    if service is None:
        raise NotFound("no care service with this id", field="serviceId")
    if service.status != "planned":
        raise Conflict(f"the service is {service.status} already", reason=service.status)
    recipient = await get_recipient(session, service.recipient_id)
    if note.strip():
        await require_consent(session, recipient.person_id, PURPOSE)
    service.status = "done" if done else "cancelled"
    service.done_at = (now or utcnow()) if done else None
    service.note_enc = seal(vault, session.info["tenant_id"], note.strip())
    await session.flush()
    await _audit(
        session,
        actor,
        "service_completed" if done else "service_cancelled",
        service.id,
        kind=service.kind,
    )
    return service


# -- consent ---------------------------------------------------------------------------------------


async def on_consent_changed(
    session: Any, payload: dict[str, Any], *, granted: bool, now: datetime | None = None
) -> int:
    """``consent.revoked`` pauses the person's care and erases the activity trail (the checks in
    every processing path have stopped processing already, at the revocation's commit);
    ``consent.granted`` resumes it, learning the baseline afresh from then on."""
    if payload.get("purpose") != PURPOSE:
        return 0
    try:
        person_id = uuid.UUID(str(payload.get("person_id")))
    except ValueError:
        return 0
    row = await session.scalar(select(CareRecipient).where(CareRecipient.person_id == person_id))
    if row is None or row.status == "ended":
        return 0
    if granted:
        if row.status != "paused":
            return 0
        row.status, row.monitoring_since = "active", now or utcnow()
        await _audit(session, "system", "care_resumed", row.id)
    else:
        row.status = "paused"
        await session.execute(delete(CareActivity).where(CareActivity.recipient_id == row.id))
        await _audit(session, "system", "care_paused", row.id, reason="consent_revoked")
    await session.flush()
    return 1
