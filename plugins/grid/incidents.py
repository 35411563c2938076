"""Incident reports (事件上报) from grid workers and residents, and their follow-up.

``reported`` → ``work_order`` (published as ``inspection.finding_reported``, which the work
orders plugin turns into an order of the property firm; its ``workorder.*`` events come back and
are written into the incident's follow-up) or ``referred`` (the street office sees it through its
audited cross-tenant read) → ``closed``. Every step is an :class:`IncidentUpdate` the reporter
reads, and the reporter is told of each routing and the closure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kernel.sdk import BadUserInput, Conflict, NotFound, notify, utcnow
from kernel.sdk.estate import Building, Community
from kernel.sdk.inputs import parse_input
from kernel.sdk.notifications import NotificationTemplate
from kernel.sdk.repository import Viewer
from plugins.grid.common import publish, record
from plugins.grid.grids import grid_of_building
from plugins.grid.inputs import Closing, IncidentNote, NewIncident, Routing
from plugins.grid.models import Incident, IncidentUpdate
from plugins.grid.vocabulary import FACILITY

UPDATE_TEMPLATE = NotificationTemplate(
    key="grid.incident_update",
    category="grid",
    subject={"zh-CN": "您上报的事件有新进展", "en": "News on the incident you reported"},
    body={
        "zh-CN": "您上报的“{place}”事件：{step}。{note}",
        "en": 'The incident you reported at "{place}": {step}. {note}',
    },
)
STEP_ZH = {
    "work_order": "已转物业工单处理",
    "referred": "已转街道办处理",
    "closed": "已办结",
    "note": "有新的跟进记录",
    "work_order_closed": "物业工单已完成",
}
#: The work order states written into the follow-up (``workorder.<state>`` events).
WORK_ORDER_EVENTS = ("reported", "dispatched", "resolved", "closed", "cancelled")


async def _step(
    session: Any,
    incident: Incident,
    kind: str,
    by: str,
    note: str = "",
    *,
    now: datetime | None = None,
) -> IncidentUpdate:
    row = IncidentUpdate(
        id=uuid.uuid4(),
        incident_id=incident.id,
        at=now or utcnow(),
        by=by[:80],
        kind=kind,
        note=note,
    )
    session.add(row)
    await session.flush()
    return row


async def _tell_reporter(session: Any, incident: Incident, step: str, note: str = "") -> None:
    if incident.reporter_account_id is None:
        return
    await notify(
        session,
        tenant_id=session.info["tenant_id"],
        recipients=[incident.reporter_account_id],
        template=UPDATE_TEMPLATE.key,
        data={"place": incident.place, "step": STEP_ZH.get(step, step), "note": note},
        key=f"grid.incident_update:{incident.id}:{step}:{uuid.uuid4().hex[:8]}",
    )


async def report(
    session: Any,
    bus: Any,
    *,
    actor: Viewer,
    community_id: uuid.UUID,
    place: str,
    category: str,
    description: str = "",
    photo_ref: str | None = None,
    building_id: uuid.UUID | None = None,
) -> Incident:
    """A report by anyone allowed to report (a grid worker, a resident…); it lands in the grid
    of its building, if the building is in one."""
    spec = parse_input(
        NewIncident, place=place, description=description, photo_ref=photo_ref, category=category
    )
    place, description, photo = spec.place, spec.description, spec.photo_ref or None
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        raise NotFound("no community with this id", field="communityId")
    if building_id is not None:
        in_community = await session.scalar(
            select(Building.community_id).where(Building.id == building_id)
        )
        if in_community is None:
            raise NotFound("no building with this id", field="buildingId")
        if in_community != community_id:
            raise BadUserInput("the building is not in this community", field="buildingId")
    row = Incident(
        id=uuid.uuid4(),
        community_id=community_id,
        grid_id=await grid_of_building(session, building_id),
        building_id=building_id,
        place=place,
        category=category,
        description=description,
        photo_ref=photo,
        reporter_account_id=actor.account_id,
        reported_by=actor.label[:80],
        status="reported",
    )
    session.add(row)
    await session.flush()
    await _step(session, row, "reported", actor.label)
    await record(session, actor.label, "incident_reported", row.id, category=category)
    await publish(session, bus, "grid.incident_reported", payload(row), actor=actor.label)
    return row


def payload(row: Incident) -> dict[str, Any]:
    """The event payload of an incident (ids and facts; no reporter, no description)."""
    return {
        "incident_id": str(row.id),
        "community_id": str(row.community_id),
        "grid_id": str(row.grid_id) if row.grid_id else None,
        "category": row.category,
        "status": row.status,
    }


async def route(
    session: Any, bus: Any, *, incident: Incident, to: str, note: str = "", actor: str = "system"
) -> Incident:
    """Send a reported incident to the property firm (a work order) or the street office."""
    note = parse_input(Routing, note=note, to=to).note
    if incident.status != "reported":
        raise Conflict(f"the incident is {incident.status} already; only a reported one is routed")
    now = utcnow()
    if to == "work_order":
        incident.status = "work_order"
        # a re-route after a cancelled order needs a fresh reference: the work orders plugin opens
        # one order per reference
        before = await session.scalar(
            select(func.count())
            .select_from(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id, IncidentUpdate.kind == "work_order")
        )
        finding = str(incident.id) if not before else f"{incident.id}.{before + 1}"
        await publish(
            session,
            bus,
            "inspection.finding_reported",
            {
                "finding_id": finding,
                "community_id": str(incident.community_id),
                "checkpoint": incident.place,
                "location": incident.place,
                "category": incident.category if incident.category in FACILITY else "other",
                "severity": "normal",
                "note": incident.description,
                "origin": "grid",
            },
            actor=actor,
        )
    else:  # street_office
        incident.status = "referred"
        incident.referred_at = now
    await session.flush()
    await _step(session, incident, incident.status, actor, note, now=now)
    await record(session, actor, "incident_routed", incident.id, to=to)
    await publish(session, bus, "grid.incident_routed", payload(incident), actor=actor)
    await _tell_reporter(session, incident, incident.status, note)
    return incident


async def add_note(
    session: Any, *, incident: Incident, note: str, actor: str = "system"
) -> IncidentUpdate:
    """A follow-up note the reporter reads (a call made, the street office's answer…)."""
    note = parse_input(IncidentNote, note=note).note
    if incident.status == "closed":
        raise Conflict("the incident is closed")
    row = await _step(session, incident, "note", actor, note)
    await record(session, actor, "incident_noted", incident.id)
    await _tell_reporter(session, incident, "note", note)
    return row


async def close(
    session: Any, bus: Any, *, incident: Incident, resolution: str, actor: str = "system"
) -> Incident:
    """Close a reported or referred incident with its resolution. One routed to a work order
    closes when the order does."""
    resolution = parse_input(Closing, resolution=resolution).resolution
    if incident.status == "closed":
        raise Conflict("the incident is closed already")
    if incident.status == "work_order":
        raise Conflict("this incident closes when its work order is closed")
    await _closed(session, bus, incident, resolution, actor)
    return incident


async def _closed(session: Any, bus: Any, incident: Incident, resolution: str, actor: str) -> None:
    incident.status = "closed"
    incident.closed_at = utcnow()
    incident.resolution = resolution
    await session.flush()
    await _step(session, incident, "closed", actor, resolution)
    await record(session, actor, "incident_closed", incident.id)
    await publish(session, bus, "grid.incident_closed", payload(incident), actor=actor)
    await _tell_reporter(session, incident, "closed", resolution)


async def on_work_order_event(session: Any, bus: Any, event_type: str, p: dict[str, Any]) -> bool:
    """``workorder.*`` about an order opened for an incident (``source_ref`` ``finding:<id>``, or
    ``finding:<id>.<n>`` for the n-th routing):
    written into the incident's follow-up; a closed order closes the incident, a cancelled one
    sends it back to ``reported`` to be routed again. Returns whether it concerned an incident."""
    state = event_type.removeprefix("workorder.")
    ref = str(p.get("source_ref") or "")
    if state not in WORK_ORDER_EVENTS or not ref.startswith("finding:"):
        return False
    try:
        incident_id = uuid.UUID(ref.removeprefix("finding:")[:36])
    except ValueError:
        return False
    incident = await session.scalar(select(Incident).where(Incident.id == incident_id))
    if incident is None or incident.status != "work_order":
        return False
    try:
        incident.work_order_id = uuid.UUID(str(p.get("work_order_id")))
    except ValueError:
        pass
    incident.work_order_status = state
    if state == "closed":
        await _closed(session, bus, incident, "物业工单已完成", "system:workorders")
    elif state == "cancelled":
        incident.status = "reported"
        await session.flush()
        await _step(session, incident, "work_order_cancelled", "system:workorders")
    else:
        await session.flush()
        await _step(session, incident, f"work_order_{state}", "system:workorders")
    return True
