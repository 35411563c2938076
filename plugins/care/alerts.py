"""The alert flow: an SOS, a fall, an abnormal heart rate, no activity or a missed check-in becomes
a care alert that the on-duty staff and the first emergency contact hear of at once (urgent,
ignoring quiet hours); unacknowledged within the recipient's ``ack_within_seconds`` (default
3 min) the kernel's escalation (:mod:`kernel.sdk.escalation`) tells the next level — the next
contact and the grid workers — and so on. Acknowledgement, arrival and resolution are recorded
here and in the escalation (whose events and statistics the kernel keeps).

The plugin does not escalate by itself: it opens one escalation per alert with the contact chain
and follows it; contacts without a login yet (invitation not accepted) are reached on their
phone or e-mail at their level (at once for level 1, on ``escalation.escalated`` after)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.sdk import Conflict, NotFound, Recipient, accounts_with_roles, audit, notify, utcnow
from kernel.sdk import escalation as sdk_escalation
from kernel.sdk.estate import Community, Person
from kernel.sdk.notifications import NotificationTemplate
from kernel.sdk.privacy import mask_name
from kernel.sdk.runtime import Runtime
from kernel.sdk.services import service
from plugins.care.consent import consents
from plugins.care.crypto import seal
from plugins.care.models import CareAlert, CareContact, CareRecipient
from plugins.care.service import publish

SOURCE = "care"
TEMPLATE = "care.alert"
GRID_ROLE = "grid_worker"
GRID_WORKERS_SERVICE = "grid.workers_for_place"
SEVERITY = {
    "sos": "critical",
    "fall": "critical",
    "heart_rate": "major",
    "no_activity": "major",
    "missed_check_in": "major",
}
KIND_LABEL = {
    "sos": ("紧急呼叫", "SOS call"),
    "fall": ("跌倒", "fall"),
    "heart_rate": ("心率异常", "abnormal heart rate"),
    "no_activity": ("长时间无活动", "no activity"),
    "missed_check_in": ("未报平安", "missed check-in"),
}

ALERT_TEMPLATE = NotificationTemplate(
    key=TEMPLATE,
    category="care",
    subject={"zh-CN": "【居家养老告警】{name}：{kind_zh}", "en": "Care alert: {name} — {kind_en}"},
    body={
        "zh-CN": "{community} 的 {name} 触发“{kind_zh}”告警（第 {escalation_level} 级）。请立即确认并联系或上门查看。告警编号 {alert_id}。",
        "en": '{name} in {community} raised a "{kind_en}" alert (level {escalation_level}). Acknowledge it and call or visit now. Alert {alert_id}.',
    },
)


async def _contacts(session: Any, recipient_id: uuid.UUID) -> list[CareContact]:
    rows = await session.scalars(
        select(CareContact)
        .where(CareContact.recipient_id == recipient_id)
        .order_by(CareContact.priority)
    )
    return list(rows)


async def grid_workers(session: Any, runtime: Runtime, recipient: CareRecipient) -> list[uuid.UUID]:
    """The grid workers an unanswered alert escalates to: those of the grid holding the elder's
    building, else of the community's grids (the grid plugin's service ``grid.workers_for_place``);
    only when the community has no grid worker (or the grid plugin is not installed), every login
    with the ``grid_worker`` role of the firm — an emergency must reach someone."""
    lookup = service(runtime, GRID_WORKERS_SERVICE)
    if lookup is not None:
        found = list(await lookup(session, recipient.community_id, recipient.unit_id))
        if found:
            return found
    return list(await accounts_with_roles(session, recipient.tenant_id, [GRID_ROLE]))


def contact_chain(
    contacts: list[CareContact], grid_workers: list[uuid.UUID]
) -> list[list[uuid.UUID]]:
    """The extra people per escalation level: level 1 the first contact; level n (n ≥ 2) the n-th
    contact and the grid workers. At least three levels (the kernel's default depth)."""
    chain: list[list[uuid.UUID]] = []
    for level in range(max(3, len(contacts))):
        group: list[uuid.UUID] = []
        if level < len(contacts) and contacts[level].account_id is not None:
            group.append(contacts[level].account_id)  # type: ignore[arg-type]
        if level >= 1:
            group.extend(a for a in grid_workers if a not in group)
        chain.append(group)
    return chain


async def _template_data(
    session: Any, alert: CareAlert, recipient: CareRecipient
) -> dict[str, Any]:
    name = await session.scalar(select(Person.name).where(Person.id == recipient.person_id))
    community = await session.scalar(
        select(Community.name).where(Community.id == recipient.community_id)
    )
    zh, en = KIND_LABEL[alert.kind]
    # the recipient's name is masked: messages end up in inboxes, SMS gateways and phones
    return {
        "name": mask_name(name) or "",
        "community": community or "",
        "kind_zh": zh,
        "kind_en": en,
        "alert_id": str(alert.id),
    }


async def _tell_unlinked_contact(
    session: Any,
    runtime: Runtime,
    alert: CareAlert,
    contact: CareContact,
    data: dict[str, Any],
    level: int,
) -> None:
    """A contact without a login hears of the alert on their phone (SMS gateway) or e-mail."""
    if contact.account_id is not None:
        return
    channel, _, value = runtime.vault.decrypt(alert.tenant_id, contact.contact_enc).partition(":")
    recipient = Recipient(phone=value) if channel == "phone" else Recipient(email=value)
    await notify(
        session,
        tenant_id=alert.tenant_id,
        recipients=[recipient],
        template=TEMPLATE,
        data={**data, "escalation_level": level},
        urgency="urgent",
        key=f"care-alert:{alert.id}:contact:{contact.id}",
    )


async def raise_alert(
    session: Any,
    runtime: Runtime,
    recipient: CareRecipient,
    *,
    kind: str,
    source_ref: str,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> CareAlert | None:
    """Raise an alert for ``recipient`` unless one exists for this cause, the care is not active
    or the person does not (any more) consent. Opens its escalation; returns it, or ``None``."""
    if recipient.status != "active" or not await consents(session, recipient.person_id):
        return None
    if await session.scalar(
        select(CareAlert.id).where(
            CareAlert.recipient_id == recipient.id,
            CareAlert.kind == kind,
            CareAlert.source_ref == source_ref,
        )
    ):
        return None
    now = now or utcnow()
    alert = CareAlert(
        id=uuid.uuid4(),
        recipient_id=recipient.id,
        community_id=recipient.community_id,
        kind=kind,
        source_ref=source_ref[:80],
        status="open",
        raised_at=now,
        detail=dict(detail or {}),
    )
    try:
        async with session.begin_nested():
            session.add(alert)
            await session.flush()
    except IntegrityError:  # the same cause delivered twice at once: the other one stands
        return None
    contacts = await _contacts(session, recipient.id)
    grid = await grid_workers(session, runtime, recipient)
    data = await _template_data(session, alert, recipient)
    escalation = await sdk_escalation.open_escalation(
        session,
        tenant_id=alert.tenant_id,
        source=SOURCE,
        subject_id=str(alert.id),
        community_id=recipient.community_id,
        severity=SEVERITY[kind],
        template=TEMPLATE,
        data=data,
        contacts=contact_chain(contacts, grid),
        ack_within=recipient.ack_within_seconds,
        now=now,
    )
    alert.escalation_id = escalation.id
    if contacts:
        await _tell_unlinked_contact(session, runtime, alert, contacts[0], data, 1)
    await session.flush()
    await publish(
        session,
        runtime.bus,
        "alert_raised",
        {
            "alert_id": str(alert.id),
            "recipient_id": str(recipient.id),
            "community_id": str(recipient.community_id),
            "kind": kind,
        },
    )
    await audit(
        session,
        tenant_id=alert.tenant_id,
        actor="system",
        action="care.alert_raised",
        target=str(alert.id),
        detail={"kind": kind},
    )
    return alert


async def on_escalated(session: Any, runtime: Runtime, payload: dict[str, Any]) -> bool:
    """``escalation.escalated`` of a care alert: the contact of the new level who has no login
    yet is told on their phone or e-mail (those with a login were told by the kernel)."""
    if payload.get("source") != SOURCE:
        return False
    try:
        alert_id, level = uuid.UUID(str(payload.get("subject_id"))), int(payload.get("level") or 0)
    except ValueError:
        return False
    alert = await session.scalar(select(CareAlert).where(CareAlert.id == alert_id))
    if alert is None or alert.status != "open" or level < 2:
        return False
    recipient = await session.scalar(
        select(CareRecipient).where(CareRecipient.id == alert.recipient_id)
    )
    if recipient is None or not await consents(session, recipient.person_id):
        return False
    contacts = await _contacts(session, recipient.id)
    if level - 1 < len(contacts):
        await _tell_unlinked_contact(
            session,
            runtime,
            alert,
            contacts[level - 1],
            await _template_data(session, alert, recipient),
            level,
        )
    return True


async def _get(session: Any, alert_id: uuid.UUID) -> CareAlert:
    alert = await session.scalar(select(CareAlert).where(CareAlert.id == alert_id))
    if alert is None:
        raise NotFound("no care alert with this id", field="alertId")
    return alert  # type: ignore[no-any-return]


async def acknowledge(
    session: Any,
    runtime: Runtime,
    *,
    alert: CareAlert,
    account_id: uuid.UUID | None,
    actor: str,
    now: datetime | None = None,
) -> CareAlert:
    """Someone took the alert: escalation stops."""
    if alert.status != "open":
        raise Conflict(f"the alert is {alert.status} already", reason=alert.status)
    now = now or utcnow()
    alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, actor[:80]
    await sdk_escalation.acknowledge(
        session,
        tenant_id=alert.tenant_id,
        source=SOURCE,
        subject_id=str(alert.id),
        account_id=account_id,
        at=now,
    )
    await _changed(session, runtime, alert, "alert_acknowledged", actor)
    return alert


async def mark_arrived(
    session: Any,
    runtime: Runtime,
    *,
    alert: CareAlert,
    account_id: uuid.UUID | None,
    actor: str,
    now: datetime | None = None,
) -> CareAlert:
    """Someone is with the person (acknowledging the alert too, if nobody had)."""
    if alert.status not in ("open", "acknowledged"):
        raise Conflict(f"the alert is {alert.status} already", reason=alert.status)
    now = now or utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor[:80]
    alert.status, alert.arrived_at, alert.arrived_by = "arrived", now, actor[:80]
    await sdk_escalation.mark_arrived(
        session,
        tenant_id=alert.tenant_id,
        source=SOURCE,
        subject_id=str(alert.id),
        account_id=account_id,
        at=now,
    )
    await _changed(session, runtime, alert, "alert_arrived", actor)
    return alert


async def resolve(
    session: Any,
    runtime: Runtime,
    *,
    alert: CareAlert,
    account_id: uuid.UUID | None,
    actor: str,
    resolution: str = "",
    now: datetime | None = None,
) -> CareAlert:
    """It is over (handled, or a false alarm); the resolution note is encrypted."""
    if alert.status == "resolved":
        raise Conflict("the alert is resolved already", reason="resolved")
    now = now or utcnow()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor[:80]
    alert.status, alert.resolved_at, alert.resolved_by = "resolved", now, actor[:80]
    alert.resolution_enc = seal(runtime.vault, alert.tenant_id, resolution.strip()[:2000])
    await sdk_escalation.resolve(
        session,
        tenant_id=alert.tenant_id,
        source=SOURCE,
        subject_id=str(alert.id),
        account_id=account_id,
        at=now,
    )
    await _changed(session, runtime, alert, "alert_resolved", actor)
    return alert


async def _changed(session: Any, runtime: Runtime, alert: CareAlert, what: str, actor: str) -> None:
    await session.flush()
    await publish(
        session,
        runtime.bus,
        what,
        {"alert_id": str(alert.id), "recipient_id": str(alert.recipient_id), "kind": alert.kind},
        actor,
    )
    await audit(
        session, tenant_id=alert.tenant_id, actor=actor, action=f"care.{what}", target=str(alert.id)
    )


get_alert = _get
