"""The readers' HTTP API, authenticated by the device token of the device registry (the same
token a reader uses for the ThingsBoard-shaped telemetry API)::

    POST /plugins/access/devices/{token}/decisions   ask: may this credential pass?
    POST /plugins/access/devices/{token}/events      upload decisions made while offline

A decision request is ``{"kind": "qr"|"card"|"face"|"pass", "value": "...", "direction": "in",
"event_id": "optional"}``; the answer ``{"allow": bool, "reason": "...", "record_id": "...",
"open_seconds": 5, "floors": [..]?}``. An upload is ``{"events": [{"event_id", "ts" (epoch ms),
"kind", "value", "direction", "allowed"}]}`` (at most 500); the answer
``{"recorded": n, "duplicates": m, "disagreements": [event ids]}``. Errors as the device API:
``{"error": {"code", "message"}}`` with 401 (unknown token), 400, 404 (the device serves no
access point, or the tenant has not enabled the plugin), 429. See docs/access.md.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kernel.sdk import BadUserInput, NotFound, devices, enabled_plugins
from kernel.sdk.runtime import Runtime
from plugins.access import decisions, service
from plugins.access.models import AccessPoint

router = APIRouter(prefix="/plugins/access/devices", tags=["access"])
MAX_BODY = 256 * 1024
MAX_EVENTS = 500
#: Earliest and latest event times an upload may carry, relative to now (ms).
MAX_AGE_MS = 30 * 86_400_000
MAX_AHEAD_MS = 300_000


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadUserInput(f"the body is over {MAX_BODY} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadUserInput("the body is not JSON") from None


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    # printable only: no NUL or control characters (PostgreSQL text refuses NUL; a reader sends
    # what it scanned, never those)
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise BadUserInput(f"{key} is a string of 1–{limit} printable characters", field=key)
    return value


def parse_scan(data: Any, *, with_time: bool = False) -> decisions.Scan:
    """A scan from a reader's JSON object (BAD_USER_INPUT naming the field when malformed)."""
    if not isinstance(data, dict):
        raise BadUserInput("a scan is a JSON object")
    kind = _text(data, "kind", 8)
    if kind not in decisions.METHODS:
        raise BadUserInput(f"kind is one of {', '.join(decisions.METHODS)}", field="kind")
    direction = data.get("direction", "in")
    if direction not in decisions.DIRECTIONS:
        raise BadUserInput("direction is in or out", field="direction")
    occurred_at = None
    if with_time:
        ts = data.get("ts")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        if (
            isinstance(ts, bool)
            or not isinstance(ts, int)
            or not (now_ms - MAX_AGE_MS <= ts <= now_ms + MAX_AHEAD_MS)
        ):
            raise BadUserInput(
                "ts is the event's epoch milliseconds, within the last 30 days", field="ts"
            )
        occurred_at = datetime.fromtimestamp(ts / 1000, tz=UTC)
    return decisions.Scan(
        kind=str(kind),
        value=str(_text(data, "value", 160)),
        direction=direction,
        occurred_at=occurred_at,
        event_id=_text(data, "event_id", 64, required=with_time),
    )


async def _point(runtime: Runtime, session: Any, device_id: uuid.UUID) -> AccessPoint:
    if "access" not in await enabled_plugins(session):
        raise NotFound("the device serves no access point")
    point = await decisions.point_and_settings(session, device_id)
    if point is None:
        raise NotFound("the device serves no access point")
    return point


@router.post("/{token}/decisions")
async def ask(token: str, request: Request) -> Response:
    runtime = request.app.state.runtime
    identity = await devices.authenticate(runtime, token, "http")
    await devices.admit(runtime, identity, "http")
    scan = parse_scan(await _body(request))
    async with runtime.db.tenant(identity.tenant_id) as session:
        point = await _point(runtime, session, identity.device_id)
        verdict, record = await decisions.decide(runtime, session, identity.tenant_id, point, scan)
    answer: dict[str, Any] = {
        "allow": verdict.allowed,
        "reason": verdict.reason,
        "record_id": str(record.id),
    }
    if verdict.allowed:
        answer["open_seconds"] = service.OPEN_SECONDS
        if verdict.floors is not None:
            answer["floors"] = verdict.floors
    return _json(answer)


@router.post("/{token}/events")
async def upload(token: str, request: Request) -> Response:
    runtime = request.app.state.runtime
    identity = await devices.authenticate(runtime, token, "http")
    await devices.admit(runtime, identity, "http")
    body = await _body(request)
    items = body.get("events") if isinstance(body, dict) else None
    if not isinstance(items, list) or not (1 <= len(items) <= MAX_EVENTS):
        raise BadUserInput(f"events is a list of 1–{MAX_EVENTS} decisions", field="events")
    events = []
    for item in items:
        scan = parse_scan(item, with_time=True)
        if not isinstance(item.get("allowed"), bool):
            raise BadUserInput("allowed is what the reader decided: true or false", field="allowed")
        events.append(decisions.OfflineEvent(scan, item["allowed"]))
    if len({e.scan.event_id for e in events}) != len(events):
        raise BadUserInput("event ids repeat within the upload", field="event_id")
    async with runtime.db.tenant(identity.tenant_id) as session:
        point = await _point(runtime, session, identity.device_id)
        result = await decisions.record_offline(runtime, session, identity.tenant_id, point, events)
    return _json(
        {
            "recorded": result.recorded,
            "duplicates": result.duplicates,
            "disagreements": result.disagreements,
        }
    )
