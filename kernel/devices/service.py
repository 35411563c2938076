"""The device API the gateway, the MQTT bridge and plugins use (re-exported by ``kernel.sdk``
as ``devices``): ingestion by token, registry operations, reads (devices, latest values,
aggregated series, alarms), alarm lifecycle."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel import notify
from kernel.devices import alarms, ingest, registry
from kernel.devices import rpc as _rpc
from kernel.devices.config import DeviceSettings, get_device_settings  # noqa: F401 (re-exported)
from kernel.devices.events import hub as event_hub  # noqa: F401 (re-exported)
from kernel.devices.metrics import device_messages, device_points
from kernel.devices.models import Device, DeviceAlarm, LatestTelemetry, TelemetryPoint
from kernel.devices.profiles import ProfileCatalog, catalog
from kernel.devices.ratelimit import DeviceRateLimiter
from kernel.errors import BadUserInput, LinliError, RateLimited, TenantSuspended, Unauthenticated
from kernel.identity.tokens import digest as token_digest  # noqa: F401 (re-exported)
from kernel.metrics import rate_limited
from kernel.ratelimit import buckets_for

acknowledge_alarm = alarms.acknowledge
clear_alarm = alarms.clear
provision = registry.provision
rotate = registry.rotate
revoke = registry.revoke
get_device = registry.get_device
identify = registry.identify
MAX_BUCKETS = 1000


def settings_of(runtime: Any) -> DeviceSettings:
    found = runtime.services.get("device_settings")
    if found is None:
        found = runtime.services["device_settings"] = get_device_settings()
    return found  # type: ignore[no-any-return]


def limiter_of(runtime: Any) -> DeviceRateLimiter:
    found = runtime.services.get("device_rate_limiter")
    if found is None:
        s = settings_of(runtime)
        found = runtime.services["device_rate_limiter"] = DeviceRateLimiter(
            s.device_rate_per_second, s.device_burst, s.tenant_rate_per_second, s.tenant_burst, buckets_for(runtime)
        )
    return found  # type: ignore[no-any-return]


def profiles(runtime: Any) -> ProfileCatalog:
    return catalog(runtime)


async def admit(runtime: Any, identity: registry.DeviceIdentity, transport: str) -> None:
    """Refuse a message over the device's or the tenant's rate (RATE_LIMITED)."""
    refused = await limiter_of(runtime).admit(identity.tenant_id, identity.device_id)
    if refused is not None:
        rate_limited.labels(f"device_{refused}").inc()
        device_messages.labels(transport, "rate_limited").inc()
        raise RateLimited(f"the {refused}'s message rate is exceeded; slow down", scope=refused)


async def authenticate(runtime: Any, token: str, transport: str) -> registry.DeviceIdentity:
    identity = await registry.identify(runtime.db, token)
    if identity is None:
        device_messages.labels(transport, "unknown_token").inc()
        raise Unauthenticated("unknown or revoked device token")
    if not identity.tenant_active:
        device_messages.labels(transport, "tenant_suspended").inc()
        raise TenantSuspended("the device's tenant is suspended")
    return identity


async def ingest_message(
    runtime: Any, identity: registry.DeviceIdentity, kind: str, raw: bytes, transport: str = "http"
) -> int:
    """Validate and store one message (``kind`` = ``telemetry`` | ``attributes``) for an
    authenticated device in its own transaction. Raises a coded error and writes nothing if
    anything in it is wrong. Returns the number of points stored."""
    settings = settings_of(runtime)
    try:
        payload = ingest.decode(raw, settings)
        await admit(runtime, identity, transport)
        async with runtime.db.tenant(identity.tenant_id) as s:
            device = await s.get(Device, {"tenant_id": identity.tenant_id, "id": identity.device_id})
            if device is None:  # pragma: no cover - credential rows go with their device
                raise Unauthenticated("unknown or revoked device token")
            message = await parse_for(runtime, device, kind, payload, settings)
            n = await ingest.store_batch(s, runtime, profiles(runtime), identity.tenant_id, [message])
    except RateLimited:
        raise
    except LinliError as exc:
        device_messages.labels(transport, f"rejected_{exc.code.lower()}").inc()
        raise
    device_messages.labels(transport, "stored").inc()
    device_points.labels(transport).inc(n)
    return n


async def parse_for(runtime: Any, device: Device, kind: str, payload: Any, settings: DeviceSettings) -> ingest.DeviceMessage:
    profile = profiles(runtime).get(device.type)
    if profile is None:
        raise BadUserInput(f"the device's profile {device.type!r} is not installed")
    if kind == "telemetry":
        return ingest.DeviceMessage(device.id, ingest.parse_telemetry(payload, profile, settings))
    if kind == "attributes":
        return ingest.DeviceMessage(device.id, [], ingest.parse_attributes(payload, settings))
    raise BadUserInput(f"unknown message kind {kind!r}")


# ------------------------------------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------------------------------------


def devices_query(
    *,
    type: str | None = None,
    place_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    online: bool | None = None,
    revoked: bool | None = None,
    search: str | None = None,
) -> Select[Any]:
    stmt = select(Device)
    if type is not None:
        stmt = stmt.where(Device.type == type)
    if place_id is not None:
        stmt = stmt.where(Device.place_id == place_id)
    if community_id is not None:
        stmt = stmt.where(Device.community_id == community_id)
    if online is not None:
        stmt = stmt.where(Device.online == online)
    if revoked is not None:
        stmt = stmt.where(Device.revoked_at.is_not(None) if revoked else Device.revoked_at.is_(None))
    if search:
        stmt = stmt.where(Device.name.contains(search, autoescape=True))
    return stmt


async def latest_values(session: AsyncSession, device_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LatestTelemetry]]:
    rows = await session.scalars(
        select(LatestTelemetry).where(LatestTelemetry.device_id.in_(device_ids)).order_by(LatestTelemetry.key)
    )
    out: dict[uuid.UUID, list[LatestTelemetry]] = defaultdict(list)
    for row in rows:
        out[row.device_id].append(row)
    return out


@dataclass(frozen=True)
class Bucket:
    start_ms: int
    avg: float | None
    min: float | None
    max: float | None
    count: int


async def series(
    session: AsyncSession, device_id: uuid.UUID, key: str, from_ms: int, to_ms: int, interval_ms: int
) -> list[Bucket]:
    """avg/min/max/count of ``key`` per ``interval_ms`` over ``[from_ms, to_ms)``; empty
    intervals are left out. At most 1,000 intervals per call."""
    if to_ms <= from_ms:
        raise BadUserInput("`to` must be after `from`")
    if interval_ms < 1000:
        raise BadUserInput("the interval is at least one second")
    if (to_ms - from_ms) // interval_ms > MAX_BUCKETS:
        raise BadUserInput(f"at most {MAX_BUCKETS} intervals per query: widen the interval or narrow the range")
    await registry.get_device(session, device_id)
    bucket = (TelemetryPoint.ts - from_ms) // interval_ms
    rows = await session.execute(
        select(
            bucket.label("b"),
            func.avg(TelemetryPoint.num),
            func.min(TelemetryPoint.num),
            func.max(TelemetryPoint.num),
            func.count(),
        )
        .where(
            TelemetryPoint.device_id == device_id,
            TelemetryPoint.key == key,
            TelemetryPoint.ts >= from_ms,
            TelemetryPoint.ts < to_ms,
        )
        .group_by("b")
        .order_by("b")
    )
    return [
        Bucket(from_ms + int(b) * interval_ms, float(a) if a is not None else None, mn, mx, int(c))
        for b, a, mn, mx, c in rows
    ]


def alarms_query(
    *, status: str | None = None, severity: str | None = None, device_id: uuid.UUID | None = None, open_only: bool = False
) -> Select[Any]:
    stmt = select(DeviceAlarm)
    if status is not None:
        stmt = stmt.where(DeviceAlarm.status == status)
    if open_only:
        stmt = stmt.where(DeviceAlarm.status != alarms.CLEARED)
    if severity is not None:
        stmt = stmt.where(DeviceAlarm.severity == severity)
    if device_id is not None:
        stmt = stmt.where(DeviceAlarm.device_id == device_id)
    return stmt


# ------------------------------------------------------------------------------------------------
# Commands, broker credentials, workers
# ------------------------------------------------------------------------------------------------

send_command = _rpc.send
queue_command = _rpc.queue_in_transaction
wait_command = _rpc.wait_answer


CREDENTIALS_CHANNEL = "linli_broker_credentials"


async def broker_credentials_changed(
    runtime: Any, *, added: list[str] = (), removed: list[str] = (), session: AsyncSession | None = None,  # type: ignore[assignment]
) -> None:
    """Tell the MQTT broker about token digests added or removed, so a revoked device is refused
    and disconnected at once — through whichever process runs the bridge: a notification (in
    ``session``'s transaction when given, so only a committed change is announced; split when
    the lists are long) that :func:`listen_broker_credentials` hands to the bridge's
    ``credentials_changed``. A no-op where no process runs a bridge; the bridge also syncs every
    digest when it (re)connects, and again when its notifications may have been lost."""
    if not added and not removed:
        return
    if runtime.services.get("mqtt_bridge") is not None:  # the bridge here hears its own notification
        await listen_broker_credentials(runtime)
    n = notify.notifier(runtime)
    # removals first: a rotation's old digest goes before its new one arrives
    await n.publish_chunked(CREDENTIALS_CHANNEL, "removed", list(removed), session, added=[])
    await n.publish_chunked(CREDENTIALS_CHANNEL, "added", list(added), session, removed=[])


async def listen_broker_credentials(runtime: Any) -> None:
    """Hand credential notifications from any process to this process's bridge (once)."""

    async def changed(payload: dict[str, Any]) -> None:
        bridge = runtime.services.get("mqtt_bridge")
        if bridge is not None:
            await bridge.credentials_changed(list(payload.get("added", [])), list(payload.get("removed", [])))

    async def resync() -> None:
        bridge = runtime.services.get("mqtt_bridge")
        sync = getattr(bridge, "sync_credentials", None)
        if sync is not None:
            await sync()

    await notify.notifier(runtime).subscribe_once("broker_credentials", CREDENTIALS_CHANNEL, changed, on_reconnect=resync)


async def run_activity_checks(runtime: Any) -> None:
    """Scheduled job: offline detection, missing-data alarms, command expiry."""
    from kernel.devices import activity

    await activity.run(runtime)


async def run_mqtt_bridge(runtime: Any) -> None:
    """Scheduled job that runs the MQTT bridge until the workers stop (no-op without
    ``LINLI_MQTT_URL``). If the bridge fails, the scheduler starts it again."""
    if not runtime.settings.mqtt_url:
        return
    from kernel.devices.mqtt import MqttBridge

    bridge = runtime.services.get("mqtt_bridge")
    if bridge is None:
        bridge = runtime.services["mqtt_bridge"] = MqttBridge(runtime, runtime.settings.mqtt_url)
    # commands and credential changes committed in any process reach this bridge
    await _rpc.listen(runtime)
    await listen_broker_credentials(runtime)
    await bridge.run()
