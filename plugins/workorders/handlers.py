"""Event handlers and the SLA job: other components open work orders by publishing events.

* ``device.alarm_raised`` ``{device_id, alarm_id?, alarm_type, severity, work_order_category?, place?,
  community_id?, unit_id?}`` — the category is the alarm rule's own (``AlarmRule.work_order_category``
  in the device profile, or the publishing plugin's), ``other`` when none is given
* ``governance.proposal_passed`` ``{proposal_id, community_id, title, matter}`` — only matters
  ``repair``, ``USE_FUND`` (the maintenance fund is spent on repairs) and ``REBUILD``
* ``inspection.finding_reported`` ``{finding_id, community_id, checkpoint, category, severity, note}``

Payloads come from other plugins: every field is read defensively; an unusable id is dropped
rather than failing delivery. The originating id is the order's ``source_ref``, so a redelivered
event opens no second order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from kernel.sdk import Event, HandlerContext
from kernel.sdk.jobs import for_each_enabled_tenant
from kernel.sdk.runtime import Runtime
from plugins.workorders import service

log = structlog.get_logger("linli.plugins.workorders")

SEVERITY_PRIORITY = {
    "critical": "urgent",
    "urgent": "urgent",
    "major": "high",
    "high": "high",
    "minor": "normal",
    "normal": "normal",
    "medium": "normal",
    "warning": "low",
    "low": "low",
    "info": "low",
}


def _category(value: Any) -> str:
    """The work-order category an alarm declares (its rule's ``work_order_category``: the
    publisher knows what it is, this plugin does not keep a list of other plugins' rules), or
    ``other`` when it names none this plugin files under."""
    return value if isinstance(value, str) and value in service.CATEGORIES else "other"


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if value is not None else ""


async def _exists(session: Any, model: type, id_: uuid.UUID | None) -> uuid.UUID | None:
    from sqlalchemy import select

    if id_ is None:
        return None
    return await session.scalar(select(model.id).where(model.id == id_))  # type: ignore[attr-defined]


async def _open(session: Any, runtime: Runtime, actor: str, **fields: Any) -> uuid.UUID:
    """Open the order (or find the one opened already for its ``source_ref``); its id."""
    from sqlalchemy import select

    from kernel.sdk.estate import Unit, community_exists
    from plugins.workorders.models import WorkOrder

    found = await session.scalar(
        select(WorkOrder.id).where(WorkOrder.source_ref == fields["source_ref"])
    )
    if found is not None:
        return found  # type: ignore[no-any-return]  # redelivered, or sent twice: one order
    unit_id = await _exists(session, Unit, fields.pop("unit_id", None))
    community_id = fields.pop("community_id", None)
    if unit_id is not None or not await community_exists(session, community_id):
        community_id = None
    order = await service.report(
        session,
        runtime,
        unit_id=unit_id,
        community_id=community_id,
        actor=actor,
        source_ref_checked=True,  # looked up above, in this transaction
        **fields,
    )  # audited and announced (``workorder.reported``) by the service
    if order.priority in ("urgent", "high") or order.source in ("device_alarm", "inspection"):
        await service.try_auto_dispatch(session, runtime, order, actor="system")
    return order.id


async def _device_place(session: Any, device_id: Any) -> dict[str, Any]:
    """Where the device is, from the device registry (SDK ``devices``), or {} if unknown."""
    did = _uuid(device_id)
    if did is None:
        return {}
    try:
        from kernel.sdk import devices

        device = await devices.registry.get_device(session, did)
    except Exception:  # not registered in this tenant, or no registry: the payload is all we have
        return {}
    place: dict[str, Any] = {
        "community_id": getattr(device, "community_id", None),
        "label": getattr(device, "name", ""),
    }
    if getattr(device, "place_kind", None) == "unit":
        place["unit_id"] = getattr(device, "place_id", None)
    return place


async def on_device_alarm(ctx: HandlerContext, event: Event) -> None:
    """The kernel's device alarms publish ``{alarm_id, device_id, rule, severity, status, count,
    details, device_name, work_order_category}``; the place comes from the device registry.
    ``alarm_type`` and ``place``/``community_id``/``unit_id`` in the payload are honoured too."""
    p = event.payload if isinstance(event.payload, dict) else {}
    await open_from_alarm(ctx.session, ctx.runtime, p, actor=f"event:{event.type}", ref=event.id)


async def open_from_alarm(
    session: Any, runtime: Runtime, p: dict[str, Any], *, actor: str, ref: Any = None
) -> uuid.UUID:
    """The work order of an alarm, opened in the caller's transaction (the service
    ``workorders.open_from_alarm``: the safety plugin opens its alarm's order in the alarm's own
    transaction instead of one outbox hop later), or the order it opened already. ``p`` is a
    ``device.alarm_raised`` payload; ``ref`` stands in for a missing ``alarm_id``."""
    place = p.get("place")
    place = place if isinstance(place, dict) else {"label": place} if place else {}
    if not (
        place.get("community_id")
        or p.get("community_id")
        or place.get("unit_id")
        or p.get("unit_id")
    ):
        found = await _device_place(session, p.get("device_id"))
        place = {**found, **{k: v for k, v in place.items() if v}}
    if not place.get("label") and p.get("device_name"):
        place["label"] = p.get("device_name")
    alarm_type = _text(p.get("alarm_type") or p.get("rule"), 60) or "alarm"
    severity = _text(p.get("severity"), 20).lower()
    ref = p.get("alarm_id") or ref
    return await _open(
        session,
        runtime,
        actor,
        kind="incident",
        source="device_alarm",
        source_ref=f"alarm:{ref}",
        title=f"设备告警 {alarm_type}"[:200],
        description=f"device {_text(p.get('device_id'), 64)} raised {alarm_type} ({severity or 'unknown severity'})",
        location=_text(place.get("label") or place.get("name") or p.get("location"), 200),
        category=_category(p.get("work_order_category")),
        priority=SEVERITY_PRIORITY.get(severity, "high"),
        community_id=_uuid(p.get("community_id") or place.get("community_id")),
        unit_id=_uuid(p.get("unit_id") or place.get("unit_id")),
    )


async def on_proposal_passed(ctx: HandlerContext, event: Event) -> None:
    p = event.payload if isinstance(event.payload, dict) else {}
    if str(p.get("matter", "")).lower() not in REPAIR_MATTERS:
        return
    title = _text(p.get("title"), 180) or "业主大会决议维修"
    await _open(
        ctx.session,
        ctx.runtime,
        f"event:{event.type}",
        kind="repair",
        source="governance",
        source_ref=f"proposal:{p.get('proposal_id') or event.id}",
        title=f"决议维修：{title}"[:200],
        description=_text(p.get("description"), 5000),
        category=_text(p.get("category"), 24)
        if p.get("category") in service.CATEGORIES
        else "public_facility",
        priority="normal",
        community_id=_uuid(p.get("community_id")),
    )


async def on_inspection_finding(ctx: HandlerContext, event: Event) -> None:
    p = event.payload if isinstance(event.payload, dict) else {}
    category = p.get("category") if p.get("category") in service.CATEGORIES else "other"
    await _open(
        ctx.session,
        ctx.runtime,
        f"event:{event.type}",
        kind="incident",
        source="inspection",
        source_ref=f"finding:{p.get('finding_id') or event.id}",
        title=f"巡检发现：{_text(p.get('checkpoint'), 150) or '检查点'}"[:200],
        description=_text(p.get("note"), 5000),
        location=_text(p.get("location"), 200),
        category=category,
        priority=SEVERITY_PRIORITY.get(_text(p.get("severity"), 20).lower(), "normal"),
        community_id=_uuid(p.get("community_id")),
    )


#: Owners' decisions that order work: an explicit ``repair``, and the Art. 278 matters that spend
#: the maintenance fund on common parts (``USE_FUND``) or rebuild (``REBUILD``).
REPAIR_MATTERS = frozenset({"repair", "use_fund", "rebuild"})

HANDLERS = {
    "device.alarm_raised": on_device_alarm,
    "governance.proposal_passed": on_proposal_passed,
    "inspection.finding_reported": on_inspection_finding,
}


async def escalate_all(
    runtime: Runtime, *, now: datetime | None = None, only: set[uuid.UUID] | None = None
) -> int:
    """The SLA job: escalate overdue orders in every active tenant that enabled the plugin
    (or only in the tenants given). Returns how many orders were escalated."""

    async def escalate(session: Any, tenant: Any) -> int:
        return len(await service.escalate_overdue(session, runtime, tenant.id, now=now))

    counts = await for_each_enabled_tenant(
        runtime, "workorders", escalate, only=only, failure_event="workorder_escalation_failed"
    )
    return sum(counts)
