"""Telemetry and attribute ingestion: parse ThingsBoard-shaped payloads, validate them against
the device's profile, and store a batch atomically (time series + latest values + activity +
alarm evaluation in one transaction: a batch is never half-written).

Accepted telemetry forms (as the ThingsBoard device API)::

    {"temperature": 21.5, "humidity": 40}
    {"ts": 1700000000000, "values": {"temperature": 21.5}}
    [{"ts": 1700000000000, "values": {...}}, {"temperature": 22}]

``ts`` is epoch milliseconds; without one the server's receive time is used.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.db.sql import in_ids
from kernel.devices.config import DeviceSettings
from kernel.devices.models import Device, LatestTelemetry, TelemetryPoint
from kernel.devices.profiles import DeviceProfile, ProfileCatalog
from kernel.errors import BadUserInput, LinliError

MIN_TS = 946_684_800_000  # 2000-01-01
KEY_MAX = 64


class PayloadTooLarge(LinliError):
    code = "PAYLOAD_TOO_LARGE"


class Reading(NamedTuple):
    """One validated data point (a tuple: there are many of them)."""

    key: str
    ts: int
    num: float | None
    text: str | None

    @property
    def value(self) -> float | bool | str | None:
        return self.text if self.text is not None else self.num


def now_ms() -> int:
    return int(time.time() * 1000)


def ms_to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / 1000, tz=UTC)


def decode(raw: bytes | str, settings: DeviceSettings) -> Any:
    """Size check, then JSON. Errors are coded (PAYLOAD_TOO_LARGE, BAD_USER_INPUT)."""
    if len(raw) > settings.max_payload_bytes:
        raise PayloadTooLarge(f"the message is over {settings.max_payload_bytes} bytes")
    return parse_json(raw)


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON a database can store: orjson refuses NaN, Infinity and lone surrogates; a NUL
    character (PostgreSQL's text and jsonb refuse it) is refused here. BAD_USER_INPUT."""
    try:
        value = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput("the message is not valid JSON", reason="bad_json") from exc
    # orjson refuses a raw control character in a string, so a NUL can only come from a
    # ``\u0000`` escape: the walk (a third of the bridge's parsing time) runs only then
    escape = "\\u0000" if isinstance(raw, str) else b"\\u0000"
    if escape in raw and _has_nul(value):  # type: ignore[operator]
        raise BadUserInput("the message contains a NUL character", reason="bad_json")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _groups(payload: Any, received_ms: int) -> list[tuple[int, dict[str, Any]]]:
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise BadUserInput("the message holds no values", reason="empty")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise BadUserInput("each entry must be a JSON object", reason="bad_shape")
        if "values" in item and set(item) <= {"ts", "values"}:
            ts = item.get("ts", received_ms)
            values = item["values"]
            if isinstance(ts, bool) or not isinstance(ts, int):
                raise BadUserInput("ts must be an integer of epoch milliseconds", reason="bad_ts")
            if not isinstance(values, dict):
                raise BadUserInput("values must be a JSON object", reason="bad_shape")
            out.append((ts, values))
        else:
            out.append((received_ms, item))
    return out


def parse_telemetry(
    payload: Any, profile: DeviceProfile, settings: DeviceSettings, received_ms: int | None = None
) -> list[Reading]:
    """Validate a decoded telemetry payload against ``profile``; all or nothing."""
    received_ms = now_ms() if received_ms is None else received_ms
    latest_allowed = received_ms + settings.max_future_skew_seconds * 1000
    earliest_allowed = max(MIN_TS, received_ms - settings.max_age_days * 86_400_000)
    readings: list[Reading] = []
    for ts, values in _groups(payload, received_ms):
        if ts > latest_allowed:
            raise BadUserInput(
                f"ts {ts} is more than {settings.max_future_skew_seconds} s in the future", reason="future_ts"
            )
        if ts < earliest_allowed:
            raise BadUserInput(f"ts {ts} is too old (over {settings.max_age_days} days)", reason="old_ts")
        for key, value in values.items():
            if not key or len(key) > KEY_MAX:
                raise BadUserInput(f"a telemetry key is 1–{KEY_MAX} characters", reason="bad_key")
            spec = profile.keys.get(key)
            bounds = profile.number_bounds.get(key)
            if bounds is not None and (type(value) is float or type(value) is int) and bounds[0] <= value <= bounds[1]:
                readings.append(Reading(key, ts, float(value), None))  # the common case, checked in full below otherwise
                continue
            if spec is None:
                if not profile.allow_undeclared_keys:
                    raise BadUserInput(f"{key!r} is not a telemetry key of {profile.type}", reason="unknown_key", key=key)
                if isinstance(value, bool) or isinstance(value, int | float):
                    readings.append(Reading(key, ts, float(value), None))
                elif isinstance(value, str) and len(value) <= 256:
                    readings.append(Reading(key, ts, None, value))
                else:
                    raise BadUserInput(f"{key} must be a number, boolean or short string", reason="bad_type", key=key)
                continue
            problem = spec.check(value)
            if problem:
                reason = "out_of_range" if "valid m" in problem else "bad_type"
                raise BadUserInput(problem, reason=reason, key=key)
            if spec.kind == "string":
                readings.append(Reading(key, ts, None, value))
            else:
                readings.append(Reading(key, ts, float(value), None))
        if len(readings) > settings.max_points_per_message:
            raise PayloadTooLarge(f"the message holds over {settings.max_points_per_message} data points", reason="too_many_points")
    return readings


def parse_attributes(payload: Any, settings: DeviceSettings) -> dict[str, Any]:
    """Client attributes: flat JSON objects (also in the array and ``ts``/``values`` forms)."""
    merged: dict[str, Any] = {}
    for _, values in _groups(payload, 0):
        for key, value in values.items():
            if not key or len(key) > KEY_MAX:
                raise BadUserInput(f"an attribute key is 1–{KEY_MAX} characters", reason="bad_key")
            if not (value is None or isinstance(value, bool | int | float | str)):
                raise BadUserInput(f"attribute {key} must be a scalar", reason="bad_type", key=key)
            if isinstance(value, str) and len(value) > 1024:
                raise BadUserInput(f"attribute {key} is over 1024 characters", reason="bad_type", key=key)
            merged[key] = value
    if len(merged) > 200:
        raise PayloadTooLarge("over 200 attributes in one message", reason="too_many_points")
    return merged


# ------------------------------------------------------------------------------------------------
# Storage
# ------------------------------------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, model: type) -> Any:
    if _dialect(session) == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(model)


def _latest(batch: dict[uuid.UUID, list[Reading]]) -> list[tuple[uuid.UUID, Reading]]:
    """The newest reading per (device, key), in (device, key) order — the one lock order every
    writer of ``telemetry_latest`` uses, so concurrent writers cannot deadlock."""
    latest: dict[tuple[uuid.UUID, str], Reading] = {}
    for device_id, readings in batch.items():
        for r in readings:
            k = (device_id, r.key)
            cur = latest.get(k)
            if cur is None or cur.ts <= r.ts:
                latest[k] = r
    return [(k[0], r) for k, r in sorted(latest.items(), key=lambda item: (item[0][0].int, item[0][1]))]


async def write_points(
    session: AsyncSession, tenant_id: uuid.UUID, batch: dict[uuid.UUID, list[Reading]]
) -> tuple[int, set[tuple[uuid.UUID, str]]]:
    """Insert readings (a repeated (device, key, ts) — a QoS 1 redelivery — is ignored) and
    move the latest values forward. Returns the number of rows offered and the (device, key)
    pairs whose latest value this batch set: the newest reading of each other pair is older
    than one another transaction committed (two bridges, or a redelivery), and alarm rules are
    evaluated on the newest data only."""
    count = sum(len(readings) for readings in batch.values())
    if not count:
        return 0, set()
    if _dialect(session) == "postgresql":
        return count, await _write_points_pg(session, tenant_id, batch)
    latest = _latest(batch)
    rows = [
        {"tenant_id": tenant_id, "device_id": d, "key": r.key, "ts": r.ts, "num": r.num, "text": r.text}
        for d, readings in batch.items()
        for r in readings
    ]
    await session.execute(_insert(session, TelemetryPoint).on_conflict_do_nothing(), rows)
    ins = _insert(session, LatestTelemetry)
    upsert = ins.on_conflict_do_update(
        index_elements=["tenant_id", "device_id", "key"],
        set_={"ts": ins.excluded.ts, "num": ins.excluded.num, "text": ins.excluded.text},
        where=ins.excluded.ts >= LatestTelemetry.__table__.c.ts,
    )
    # SQLite has one writer at a time: what is stored now is what this upsert competes with
    stored = {
        (d, k): ts
        for d, k, ts in await session.execute(
            select(LatestTelemetry.device_id, LatestTelemetry.key, LatestTelemetry.ts).where(
                in_ids(session, LatestTelemetry.device_id, list(batch))
            )
        )
    }
    advanced = {(d, r.key) for d, r in latest if stored.get((d, r.key), r.ts) <= r.ts}
    await session.execute(
        upsert, [{"tenant_id": tenant_id, "device_id": d, "key": r.key, "ts": r.ts, "num": r.num, "text": r.text} for d, r in latest]
    )
    return count, advanced


#: The batch's readings go first into this per-connection temporary table by binary ``COPY``
#: (asyncpg's ``copy_records_to_table``): ``COPY FROM`` into ``telemetry`` itself is refused under
#: row-level security, and binding five arrays for ``unnest`` cost the bridge 3–5× the CPU of the
#: ``COPY`` (asyncpg checks every array element against the iterable ABCs). From the stage, one
#: ``INSERT … SELECT`` stores the points (row-level security checks each row as before) and one
#: more moves the latest values (newest per (device, key), chosen by PostgreSQL). ``ON COMMIT
#: DELETE ROWS``: the stage is empty at the start of every transaction.
STAGE = "linli_telemetry_stage"
_PG_STAGE = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} "
    "(device_id uuid NOT NULL, key text NOT NULL, ts bigint NOT NULL, num float8, text text, newest boolean NOT NULL) "
    "ON COMMIT DELETE ROWS"
)
_STAGE_COLUMNS = ("device_id", "key", "ts", "num", "text", "newest")
_PG_POINTS_PLAIN = text(
    "INSERT INTO telemetry (tenant_id, device_id, key, ts, num, text) "  # noqa: S608 - a constant table name
    f"SELECT CAST(:tenant AS uuid), device_id, key, ts, num, text FROM {STAGE}"
)
_PG_POINTS = text(_PG_POINTS_PLAIN.text + " ON CONFLICT DO NOTHING")
#: The newest reading per (device, key) (marked by :func:`_stage_records`), written in (device,
#: key) order with ``key`` compared bytewise (``COLLATE "C"``, Python's order for ``str``): the
#: one lock order of every writer of ``telemetry_latest`` (:func:`_latest`).
_PG_LATEST = text(
    "INSERT INTO telemetry_latest (tenant_id, device_id, key, ts, num, text) "  # noqa: S608 - a constant table name
    f"SELECT CAST(:tenant AS uuid), device_id, key, ts, num, text FROM {STAGE} WHERE newest "
    'ORDER BY device_id, key COLLATE "C" '
    "ON CONFLICT (tenant_id, device_id, key) DO UPDATE SET ts = excluded.ts, num = excluded.num, text = excluded.text "
    "WHERE excluded.ts >= telemetry_latest.ts "
    "RETURNING device_id, key"
)


def _stage_records(batch: dict[uuid.UUID, list[Reading]]) -> list[list[Any]]:
    """The stage's rows: each reading, ``newest`` set on the newest of its (device, key) (of two
    with one ``ts``, the later — as :func:`_latest`)."""
    records: list[list[Any]] = []
    append = records.append
    for device_id, readings in batch.items():
        newest: dict[str, list[Any]] = {}
        for key, ts, num, txt in readings:
            row = [device_id, key, ts, num, txt, False]
            append(row)
            cur = newest.get(key)
            if cur is None or cur[2] <= ts:
                newest[key] = row
        for row in newest.values():
            row[5] = True
    return records


async def _write_points_pg(session: AsyncSession, tenant_id: uuid.UUID, batch: dict[uuid.UUID, list[Reading]]) -> set[tuple[uuid.UUID, str]]:
    """PostgreSQL: the readings are copied into the stage (:data:`STAGE`), then stored from it
    with one statement per table.

    Points go in with a plain INSERT inside a savepoint; only when it meets a duplicate (a QoS 1
    redelivery, rare) is it redone with ``ON CONFLICT DO NOTHING``, which costs about a third
    more per row."""
    await session.execute(_PG_STAGE)  # also begins the transaction the COPY joins
    driver = (await (await session.connection()).get_raw_connection()).driver_connection  # asyncpg's
    assert driver is not None
    await driver.copy_records_to_table(STAGE, records=_stage_records(batch), columns=_STAGE_COLUMNS)
    tenant = {"tenant": str(tenant_id)}
    try:
        async with session.begin_nested():
            await session.execute(_PG_POINTS_PLAIN, tenant)
    except IntegrityError:
        await session.execute(_PG_POINTS, tenant)
    moved = await session.execute(_PG_LATEST, tenant)
    return {(d, k) for d, k in moved}


@dataclass
class DeviceMessage:
    """A validated message for one device, ready to store."""

    device_id: uuid.UUID
    readings: list[Reading]
    attributes: dict[str, Any] | None = None


#: A device's ``last_activity_at`` is written at most this often while it stays online (its
#: inactivity timeouts are minutes; writing every device's row on every batch would double the
#: rows a busy store writes).
ACTIVITY_RESOLUTION = timedelta(seconds=10)


async def load_devices(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Device]:
    return {d.id: d for d in await session.scalars(select(Device).where(in_ids(session, Device.id, ids)))}


async def store_batch(
    session: AsyncSession,
    runtime: Any,
    catalog: ProfileCatalog,
    tenant_id: uuid.UUID,
    messages: list[DeviceMessage],
    devices: dict[uuid.UUID, Device] | None = None,
) -> int:
    """Store a batch of one tenant's messages in the caller's transaction: points, latest values,
    attributes, activity (with ``device.online`` events) and alarm evaluation. Returns points.
    ``devices`` are the messages' devices if the caller loaded them already."""
    from kernel.devices import alarms, events

    by_device: dict[uuid.UUID, list[Reading]] = {}
    attrs: dict[uuid.UUID, dict[str, Any]] = {}
    for m in messages:
        by_device.setdefault(m.device_id, []).extend(m.readings)
        if m.attributes:
            attrs.setdefault(m.device_id, {}).update(m.attributes)
    n, advanced = await write_points(session, tenant_id, by_device)
    ids = list(by_device)
    if devices is None:
        devices = await load_devices(session, ids)
    now = utcnow()
    woke = [d for d in devices.values() if not d.online]
    due = [
        d.id for d in devices.values()
        if not d.online or d.last_activity_at is None or now - d.last_activity_at >= ACTIVITY_RESOLUTION
    ]
    if due:
        await session.execute(
            update(Device)
            .where(in_ids(session, Device.id, due))
            .values(last_activity_at=now, online=True)
            .execution_options(synchronize_session=False)
        )
    for device_id, values in attrs.items():
        device = devices.get(device_id)
        if device is not None:
            device.attributes = {**(device.attributes or {}), **values}
    for device in woke:
        await events.publish(runtime, session, "device.online", tenant_id, {"device_id": str(device.id), "name": device.name})
    with_rules = [
        d for d in ids
        if d in devices and by_device[d] and (p := catalog.get(devices[d].type)) is not None and p.alarms
    ]
    state = await alarms.AlarmState.load(session, with_rules)
    for device_id in with_rules:
        device = devices[device_id]
        profile = catalog.get(device.type)
        assert profile is not None
        newest = [r for r in by_device[device_id] if (device_id, r.key) in advanced]
        await alarms.evaluate(session, runtime, profile, device, newest, state)
    await _publish_telemetry_events(session, runtime, catalog, tenant_id, by_device, devices)
    await session.flush()
    return n


async def _publish_telemetry_events(
    session: AsyncSession,
    runtime: Any,
    catalog: ProfileCatalog,
    tenant_id: uuid.UUID,
    by_device: dict[uuid.UUID, list[Reading]],
    devices: dict[uuid.UUID, Device],
) -> None:
    """``device.telemetry_event`` for each timestamp of a device's readings that carries one of
    its profile's ``event_keys`` (values of that timestamp together: a deposit's compartment and
    recipient arrive as one message)."""
    from kernel.devices import events

    for device_id, readings in by_device.items():
        device = devices.get(device_id)
        profile = catalog.get(device.type) if device is not None else None
        if device is None or profile is None or not profile.event_keys:
            continue
        by_ts: dict[int, dict[str, Any]] = {}
        for r in readings:
            by_ts.setdefault(r.ts, {})[r.key] = r.value
        for ts, values in sorted(by_ts.items()):
            if any(k in values for k in profile.event_keys):
                await events.publish(
                    runtime, session, "device.telemetry_event", tenant_id,
                    {"device_id": str(device_id), "device_type": device.type, "ts": ts, "values": values},
                )
