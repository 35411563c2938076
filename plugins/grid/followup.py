"""Follow-up of vulnerable residents (关爱对象: elderly living alone, disabled, children left
behind): enrolment with the person's consent (``grid.vulnerable_follow_up``), the visit schedule,
visit notes (encrypted) and the overdue check of the job, which tells the grid's workers once per
missed due time. Revoking the consent pauses the follow-up; granting it again resumes it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kernel.sdk import Conflict, NotFound, notify, require_consent, utcnow
from kernel.sdk.estate import Person
from kernel.sdk.inputs import parse_input
from kernel.sdk.notifications import NotificationTemplate
from kernel.sdk.privacy import mask_name
from plugins.grid.common import publish, record, seal
from plugins.grid.consent import VULNERABLE_FOLLOW_UP, consents
from plugins.grid.grids import worker_accounts
from plugins.grid.inputs import Enrolment, VisitRecord
from plugins.grid.models import Grid, Visit, VulnerableResident

OVERDUE_TEMPLATE = NotificationTemplate(
    key="grid.visit_overdue",
    category="grid",
    subject={"zh-CN": "【关爱走访】{name} 走访已逾期", "en": "Visit overdue: {name}"},
    body={
        "zh-CN": "网格“{grid}”的关爱对象 {name} 应于 {due} 前走访，至今未走访，请尽快上门。",
        "en": 'Grid "{grid}": {name} was due a visit by {due} and has had none. Please visit soon.',
    },
)


async def enrol(
    session: Any,
    vault: Any,
    *,
    grid: Grid,
    person_id: uuid.UUID,
    tags: list[str],
    visit_every_days: int = 7,
    actor: str = "system",
    now: datetime | None = None,
) -> VulnerableResident:
    """Follow up a register person in ``grid``; needs their consent first (FORBIDDEN, reason
    ``consent_required``). The first visit is due ``visit_every_days`` from now."""
    spec = parse_input(Enrolment, tags=tags, visit_every_days=visit_every_days)
    joined, every = ",".join(spec.tags), spec.visit_every_days
    if await session.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise NotFound("no person with this id in the register", field="personId")
    if await session.scalar(
        select(VulnerableResident.id).where(VulnerableResident.person_id == person_id)
    ):
        raise Conflict("this person is followed up already", field="personId")
    await require_consent(session, person_id, VULNERABLE_FOLLOW_UP)
    now = now or utcnow()
    row = VulnerableResident(
        id=uuid.uuid4(),
        grid_id=grid.id,
        person_id=person_id,
        tags_enc=seal(vault, session.info["tenant_id"], joined),
        visit_every_days=every,
        next_visit_due=now + timedelta(days=every),
        status="active",
    )
    session.add(row)
    await session.flush()
    await record(session, actor, "resident_enrolled", row.id, grid_id=str(grid.id))
    return row


async def audit_read(session: Any, *, resident: VulnerableResident, actor: str) -> None:
    """Reading a resident's full record (their tags and visit notes) is audited as
    ``grid.vulnerable_resident_read``."""
    await record(session, actor, "vulnerable_resident_read", resident.id)


async def record_visit(
    session: Any,
    vault: Any,
    *,
    resident: VulnerableResident,
    note: str = "",
    visited_at: datetime | None = None,
    actor: str = "system",
    now: datetime | None = None,
) -> Visit:
    """A visit happened: its note (encrypted) and the next due time."""
    now = now or utcnow()
    spec = parse_input(VisitRecord, note=note, now=now, visited_at=visited_at)
    note, at = spec.note, spec.visited_at or now
    if resident.status != "active":
        raise Conflict(f"the follow-up is {resident.status}; visits are recorded while active")
    await require_consent(session, resident.person_id, VULNERABLE_FOLLOW_UP)
    row = Visit(
        id=uuid.uuid4(),
        resident_id=resident.id,
        visited_at=at,
        by=actor[:80],
        note_enc=seal(vault, session.info["tenant_id"], note),
    )
    session.add(row)
    if resident.last_visit_at is None or at > resident.last_visit_at:
        resident.last_visit_at = at
        resident.next_visit_due = at + timedelta(days=resident.visit_every_days)
    await session.flush()
    await record(session, actor, "visit_recorded", resident.id)
    return row


async def end(session: Any, *, resident: VulnerableResident, actor: str = "system") -> None:
    """End a follow-up (moved away, no longer vulnerable): no more visits or alerts; history stays."""
    if resident.status == "ended":
        raise Conflict("this follow-up has ended already")
    resident.status = "ended"
    await session.flush()
    await record(session, actor, "follow_up_ended", resident.id)


async def flag_overdue(
    session: Any, bus: Any, *, now: datetime | None = None
) -> list[VulnerableResident]:
    """Tell the grid's workers about every active follow-up past its due time — once per due
    time; skipped while the person's consent is not current."""
    now = now or utcnow()
    rows = await session.scalars(
        select(VulnerableResident).where(
            VulnerableResident.status == "active", VulnerableResident.next_visit_due < now
        )
    )
    alerted = []
    for row in list(rows):
        if row.overdue_alerted_for == row.next_visit_due:
            continue
        if not await consents(session, row.person_id, VULNERABLE_FOLLOW_UP):
            continue
        row.overdue_alerted_for = row.next_visit_due
        await session.flush()
        alerted.append(row)
        grid_name = await session.scalar(select(Grid.name).where(Grid.id == row.grid_id)) or ""
        name = await session.scalar(select(Person.name).where(Person.id == row.person_id)) or ""
        workers = await worker_accounts(session, row.grid_id)
        if workers:
            await notify(
                session,
                tenant_id=session.info["tenant_id"],
                recipients=workers,
                template=OVERDUE_TEMPLATE.key,
                data={
                    "grid": grid_name,
                    "name": mask_name(name) or "",
                    "due": row.next_visit_due.isoformat(timespec="minutes"),
                },
                key=f"grid.visit_overdue:{row.id}:{row.next_visit_due.isoformat()}",
            )
        await publish(
            session,
            bus,
            "grid.visit_overdue",
            {
                "resident_id": str(row.id),
                "grid_id": str(row.grid_id),
                "due": row.next_visit_due.isoformat(),
            },
        )
    return alerted


async def on_consent_changed(session: Any, payload: dict[str, Any], *, granted: bool) -> bool:
    """``consent.revoked`` pauses the person's follow-up; ``consent.granted`` resumes it."""
    if payload.get("purpose") != VULNERABLE_FOLLOW_UP:
        return False
    try:
        person_id = uuid.UUID(str(payload.get("person_id")))
    except ValueError:
        return False
    row = await session.scalar(
        select(VulnerableResident).where(VulnerableResident.person_id == person_id)
    )
    if row is None or row.status == "ended":
        return False
    row.status = "active" if granted else "paused"
    await session.flush()
    await record(session, "system", "follow_up_resumed" if granted else "follow_up_paused", row.id)
    return True
