"""Scans reported as telemetry (``device.telemetry_event`` of an ``access_reader``): decide,
record, and send the reader ``open`` when allowed.

The decision is taken and committed in its own transaction, then the command is queued (in
another): the handler's session has only read, so on SQLite no transaction waits for another.
A redelivered event (same reader and ``event_id``) records nothing and opens nothing again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select

from kernel.sdk import LinliError, devices
from kernel.sdk.runtime import Runtime
from plugins.access import decisions, service
from plugins.access.models import AccessRecord
from plugins.access.profile import TYPE

log = structlog.get_logger("linli.plugins.access")


def scan_of(payload: dict[str, Any]) -> decisions.Scan | None:
    values = payload.get("values") or {}
    raw = values.get("scan")
    if not isinstance(raw, str) or ":" not in raw:
        return None
    kind, value = raw.split(":", 1)
    direction = str(values["direction"]) if values.get("direction") in decisions.DIRECTIONS else "in"
    event_id = (
        values.get("event_id")
        if isinstance(values.get("event_id"), str)
        else f"ts:{payload.get('ts')}"
    )
    ts = payload.get("ts")
    at = datetime.fromtimestamp(ts / 1000, tz=UTC) if isinstance(ts, int) else None
    return decisions.Scan(
        kind=kind, value=value, direction=direction, occurred_at=at, event_id=event_id
    )


async def on_scan_reported(
    runtime: Runtime, session: Any, tenant_id: uuid.UUID, payload: dict[str, Any]
) -> bool:
    """Returns whether the reader was told to open."""
    if payload.get("device_type") != TYPE:
        return False
    scan = scan_of(payload)
    if scan is None:
        return False
    try:
        device_id = uuid.UUID(str(payload.get("device_id")))
    except ValueError:
        return False
    async with runtime.db.tenant(tenant_id) as s:
        point = await service.point_of_device(s, device_id)
        if point is None:
            return False
        if await s.scalar(
            select(AccessRecord.id).where(
                AccessRecord.point_id == point.id, AccessRecord.device_event_id == scan.event_id
            )
        ):
            return False  # already decided: at-least-once delivery, once in effect
        verdict, record = await decisions.decide(runtime, s, tenant_id, point, scan)
    if not verdict.allowed:
        return False
    try:
        await devices.send_command(
            runtime,
            tenant_id,
            device_id,
            "open",
            {"seconds": service.OPEN_SECONDS, "record_id": str(record.id)},
            actor="access",
        )
    except LinliError:
        log.warning("access_open_not_sent", record_id=str(record.id))
        return False
    return True
