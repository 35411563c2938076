"""GraphQL for devices: profiles, devices with filters, latest telemetry (DataLoader), aggregated
time-series ranges, alarms with acknowledge/clear, provisioning (single and CSV), token rotation
and revocation, commands (RPC)."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from kernel.sdk import BadUserInput, NotFound, audit, devices
from kernel.sdk.graphql import Allowed, Connection, decode_id, paginate, requested_page_size, to_gid
from plugins.devices import places

_first = requested_page_size


def _ms(value: datetime) -> int:
    if value.tzinfo is None:
        raise BadUserInput("times must carry a time zone (e.g. 2026-11-21T08:00:00+08:00)")
    return int(value.timestamp() * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@strawberry.type
class TelemetryKeySpec:
    key: str
    kind: str
    unit: str
    minimum: float | None
    maximum: float | None
    description: str


@strawberry.type
class AlarmRuleSpec:
    name: str
    kind: str
    severity: str
    key: str | None
    op: str
    value: str | None
    duration_seconds: int
    description: str


@strawberry.type
class CommandSpec:
    method: str
    description: str
    params: list[str]
    timeout_seconds: int


@strawberry.type
class DeviceProfileInfo:
    type: str
    name: str
    description: str
    inactivity_timeout_seconds: int
    telemetry: list[TelemetryKeySpec]
    alarms: list[AlarmRuleSpec]
    commands: list[CommandSpec]

    @classmethod
    def of(cls, p: Any) -> DeviceProfileInfo:
        return cls(
            type=p.type, name=p.name, description=p.description, inactivity_timeout_seconds=p.inactivity_timeout_seconds,
            telemetry=[TelemetryKeySpec(key=k.key, kind=k.kind, unit=k.unit, minimum=k.minimum, maximum=k.maximum, description=k.description) for k in p.telemetry],
            alarms=[
                AlarmRuleSpec(name=r.name, kind=r.kind, severity=r.severity, key=r.key, op=r.op,
                              value=None if r.value is None else str(r.value).lower() if isinstance(r.value, bool) else str(r.value),
                              duration_seconds=r.duration_seconds, description=r.description)
                for r in p.alarms
            ],
            commands=[CommandSpec(method=c.method, description=c.description, params=[x.name for x in c.params], timeout_seconds=c.timeout_seconds) for c in p.commands],
        )


@strawberry.type
class TelemetryValue:
    key: str
    ts: datetime
    value: JSON
    unit: str


@strawberry.type
class SeriesBucket:
    start: datetime
    avg: float | None
    min: float | None
    max: float | None
    count: int


def _latest_loader(info: strawberry.Info) -> DataLoader[uuid.UUID, list[Any]]:
    async def load(ids: list[uuid.UUID]) -> list[list[Any]]:
        found = await devices.latest_values(info.context.session, ids)
        return [found.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


def _device_loader(info: strawberry.Info) -> DataLoader[uuid.UUID, Any]:
    async def load(ids: list[uuid.UUID]) -> list[Any]:
        rows = {d.id: d for d in await info.context.session.scalars(devices.devices_query().where(devices.Device.id.in_(ids)))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


@strawberry.type
class Device(relay.Node):
    id: relay.NodeID[str]
    name: str
    type: str
    place_kind: str
    serial: str
    token_hint: str | None = strawberry.field(description="First characters of the current token; null when revoked")
    revoked: bool
    online: bool
    last_activity_at: datetime | None
    attributes: JSON
    place_uuid: strawberry.Private[uuid.UUID]
    community_uuid: strawberry.Private[uuid.UUID | None]
    profile_type: strawberry.Private[str]

    @strawberry.field(description="Global id of the community, building or unit the device is at")
    def place_id(self) -> relay.GlobalID:
        return to_gid(self.place_kind.capitalize(), self.place_uuid)

    @strawberry.field
    def community_id(self) -> relay.GlobalID | None:
        return to_gid("Community", self.community_uuid) if self.community_uuid else None

    @strawberry.field(permission_classes=[Allowed("devices", "read")], description="Latest value of every key")
    async def latest(self, info: strawberry.Info) -> list[TelemetryValue]:
        rows = await info.context.loader("devices.latest", lambda: _latest_loader(info)).load(uuid.UUID(self.id))
        profile = devices.profiles(info.context.runtime).get(self.profile_type)
        out = []
        for r in rows:
            spec = profile.keys.get(r.key) if profile else None
            value: Any = r.text if r.text is not None else r.num
            if spec is not None and spec.kind == "boolean" and r.num is not None:
                value = bool(r.num)
            elif spec is not None and spec.kind == "integer" and r.num is not None:
                value = int(r.num)
            out.append(TelemetryValue(key=r.key, ts=_dt(r.ts), value=value, unit=spec.unit if spec else ""))
        return out

    @strawberry.field(permission_classes=[Allowed("devices", "read")], description="avg/min/max/count of a numeric key per interval over [from, to)")
    async def series(self, info: strawberry.Info, key: str, from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime, interval_seconds: int = 3600) -> list[SeriesBucket]:
        buckets = await devices.series(info.context.session, uuid.UUID(self.id), key, _ms(from_), _ms(to), interval_seconds * 1000)
        return [SeriesBucket(start=_dt(b.start_ms), avg=b.avg, min=b.min, max=b.max, count=b.count) for b in buckets]

    @classmethod
    def from_row(cls, row: Any) -> Device:
        return cls(
            id=str(row.id), name=row.name, type=row.type, place_kind=row.place_kind, serial=row.serial,
            token_hint=row.token_hint, revoked=row.revoked_at is not None, online=row.online,
            last_activity_at=row.last_activity_at, attributes=row.attributes or {}, place_uuid=row.place_id,
            community_uuid=row.community_id, profile_type=row.type,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        ctx = info.context
        ctx.require_tenant()
        ctx.require_plugin("devices")
        if not ctx.allowed("devices", "read"):
            from kernel.sdk import Forbidden

            raise Forbidden("you lack the permission devices:read")
        loader = ctx.loader("devices.by_id", lambda: _device_loader(info))
        out = []
        for n in node_ids:
            try:
                row = await loader.load(uuid.UUID(n))
            except ValueError:
                row = None
            out.append(cls.from_row(row) if row else None)
        return out


@strawberry.type
class Alarm(relay.Node):
    id: relay.NodeID[str]
    rule: str
    severity: str
    status: str
    count: int = strawberry.field(description="How many times the condition was seen while open (deduplicated repeats)")
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    cleared_at: datetime | None
    cleared_by: str | None
    details: JSON
    device_uuid: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def device(self, info: strawberry.Info) -> Device | None:
        row = await info.context.loader("devices.by_id", lambda: _device_loader(info)).load(self.device_uuid)
        return Device.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> Alarm:
        return cls(
            id=str(row.id), rule=row.rule, severity=row.severity, status=row.status, count=row.count,
            raised_at=row.raised_at, last_seen_at=row.last_seen_at, acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by, cleared_at=row.cleared_at, cleared_by=row.cleared_by,
            details=row.details or {}, device_uuid=row.device_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        ctx = info.context
        ctx.require_tenant()
        ctx.require_plugin("devices")
        if not ctx.allowed("alarms", "read"):
            from kernel.sdk import Forbidden

            raise Forbidden("you lack the permission alarms:read")
        out = []
        for n in node_ids:
            try:
                row = await ctx.session.scalar(devices.alarms_query().where(devices.DeviceAlarm.id == uuid.UUID(n)))
            except ValueError:
                row = None
            out.append(cls.from_row(row) if row else None)
        return out


@strawberry.type
class ProvisionedDevice:
    device: Device
    token: str = strawberry.field(description="The device token. Shown once: only its digest is stored.")


@strawberry.type
class DeviceCommandCall:
    id: strawberry.ID
    request_id: int
    method: str
    params: JSON
    status: str = strawberry.field(description="queued | sent | answered | timed_out")
    response: JSON | None
    expires_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> DeviceCommandCall:
        return cls(id=strawberry.ID(str(row.id)), request_id=row.request_id, method=row.method, params=row.params,
                   status=row.status, response=row.response, expires_at=row.expires_at)


@strawberry.type
class DevicesQuery:
    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    def device_profiles(self, info: strawberry.Info) -> list[DeviceProfileInfo]:
        return [DeviceProfileInfo.of(p) for p in devices.profiles(info.context.runtime).all()]

    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    async def devices(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, type: str | None = None,
        place_id: relay.GlobalID | None = None, community_id: relay.GlobalID | None = None, online: bool | None = None,
        revoked: bool | None = None, search: str | None = None,
    ) -> Connection[Device]:
        stmt = devices.devices_query(
            type=type,
            place_id=decode_id(place_id, ("Community", "Building", "Unit")) if place_id else None,
            community_id=decode_id(community_id, "Community") if community_id else None,
            online=online, revoked=revoked, search=search,
        )
        return await paginate(
            info.context.session, stmt, order_by=[devices.Device.name, devices.Device.id], first=_first(info, first),
            after=after, to_node=Device.from_row, key_types=[str, uuid.UUID],
        )

    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    async def device(self, info: strawberry.Info, id: relay.GlobalID) -> Device | None:
        row = await info.context.session.scalar(devices.devices_query().where(devices.Device.id == decode_id(id, "Device")))
        return Device.from_row(row) if row else None

    @strawberry.field(permission_classes=[Allowed("alarms", "read")])
    async def alarms(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, status: str | None = None,
        severity: str | None = None, device_id: relay.GlobalID | None = None, open_only: bool = False,
    ) -> Connection[Alarm]:
        stmt = devices.alarms_query(
            status=status, severity=severity, device_id=decode_id(device_id, "Device") if device_id else None, open_only=open_only,
        )
        return await paginate(
            info.context.session, stmt, order_by=[devices.DeviceAlarm.raised_at, devices.DeviceAlarm.id], first=_first(info, first),
            after=after, to_node=Alarm.from_row, key_types=[datetime.fromisoformat, uuid.UUID],
        )


@strawberry.input
class ProvisionDeviceInput:
    name: str
    type: str
    place_id: relay.GlobalID = strawberry.field(description="A Community, Building or Unit id")
    serial: str = ""
    inactivity_timeout_seconds: int | None = None


async def _provision(info: strawberry.Info, name: str, type: str, place_gid: relay.GlobalID, serial: str, inactivity_timeout: int | None) -> ProvisionedDevice:
    ctx = info.context
    kind, place_id, community_id = await places.resolve(ctx.session, place_gid)
    row, token = await devices.provision(
        ctx.session, devices.profiles(ctx.runtime), tenant_id=ctx.tenant.id, name=name, type=type, place_kind=kind,
        place_id=place_id, community_id=community_id, serial=serial, inactivity_timeout_seconds=inactivity_timeout,
    )
    await devices.broker_credentials_changed(ctx.runtime, added=[devices.token_digest(token)], session=ctx.session)
    await audit(ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="device.provisioned", target=str(row.id))
    return ProvisionedDevice(device=Device.from_row(row), token=token)


@strawberry.type
class DevicesMutation:
    @strawberry.mutation(permission_classes=[Allowed("devices", "write")], description="Register a device; its token is returned once.")
    async def provision_device(self, info: strawberry.Info, input: ProvisionDeviceInput) -> ProvisionedDevice:
        return await _provision(info, input.name, input.type, input.place_id, input.serial, input.inactivity_timeout_seconds)

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "write")],
        description="Bulk provisioning from CSV with a header `name,type,place_id[,serial]` (at most 1,000 rows; all or nothing).",
    )
    async def provision_devices_csv(self, info: strawberry.Info, csv_text: str) -> list[ProvisionedDevice]:
        reader = csv.DictReader(io.StringIO(csv_text.strip()))
        if not reader.fieldnames or not {"name", "type", "place_id"} <= set(reader.fieldnames):
            raise BadUserInput("the CSV needs a header with name,type,place_id (and optionally serial)")
        rows = list(reader)
        if not rows or len(rows) > 1000:
            raise BadUserInput("the CSV holds 1 to 1,000 devices")
        out = []
        for n, r in enumerate(rows, start=2):
            try:
                gid = relay.GlobalID.from_id(r["place_id"])
            except Exception as exc:
                raise BadUserInput(f"line {n}: place_id is not an id", line=n) from exc
            try:
                out.append(await _provision(info, r["name"] or "", r["type"] or "", gid, r.get("serial") or "", None))
            except BadUserInput as exc:
                raise BadUserInput(f"line {n}: {exc.message}", line=n) from exc
            except NotFound as exc:
                raise NotFound(f"line {n}: {exc.message}", line=n) from exc
        return out

    @strawberry.mutation(permission_classes=[Allowed("devices", "write")], description="Replace the token; the old one stops working at once.")
    async def rotate_device_token(self, info: strawberry.Info, id: relay.GlobalID) -> ProvisionedDevice:
        ctx = info.context
        row, token, old = await devices.rotate(ctx.session, decode_id(id, "Device"))
        await devices.broker_credentials_changed(ctx.runtime, added=[devices.token_digest(token)], removed=old, session=ctx.session)
        await audit(ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="device.token_rotated", target=str(row.id))
        return ProvisionedDevice(device=Device.from_row(row), token=token)

    @strawberry.mutation(permission_classes=[Allowed("devices", "write")], description="Revoke the token: HTTP and MQTT refuse it at once.")
    async def revoke_device_token(self, info: strawberry.Info, id: relay.GlobalID) -> Device:
        ctx = info.context
        row, old = await devices.revoke(ctx.session, decode_id(id, "Device"))
        await devices.broker_credentials_changed(ctx.runtime, removed=old, session=ctx.session)
        await audit(ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="device.token_revoked", target=str(row.id))
        return Device.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("alarms", "manage")])
    async def acknowledge_alarm(self, info: strawberry.Info, id: relay.GlobalID) -> Alarm:
        ctx = info.context
        row = await devices.acknowledge_alarm(ctx.session, ctx.runtime, decode_id(id, "Alarm"), ctx.actor.label)
        await audit(ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="device.alarm_acknowledged", target=str(row.id))
        return Alarm.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("alarms", "manage")])
    async def clear_alarm(self, info: strawberry.Info, id: relay.GlobalID) -> Alarm:
        ctx = info.context
        row = await devices.clear_alarm(ctx.session, ctx.runtime, decode_id(id, "Alarm"), ctx.actor.label)
        await audit(ctx.session, tenant_id=ctx.tenant.id, actor=ctx.actor.label, action="device.alarm_cleared", target=str(row.id))
        return Alarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "command")],
        description="Send a command (RPC) to a device. It is committed at once (not with this request); with wait=true the response is awaited up to the timeout.",
    )
    async def send_device_command(
        self, info: strawberry.Info, device_id: relay.GlobalID, method: str, params: JSON | None = None,
        timeout_seconds: int | None = None, wait: bool = False,
    ) -> DeviceCommandCall:
        ctx = info.context
        if params is not None and not isinstance(params, dict):
            raise BadUserInput("params must be a JSON object")
        # the request's own session must see the device first (tenant scope + RLS), so a
        # foreign id is NOT_FOUND before anything is queued
        await devices.get_device(ctx.session, decode_id(device_id, "Device"))
        # a wait holds no pooled connection (the command is queued in a session of its own)
        # and a tenant has a bounded number of them at once
        async with ctx.waiting() if wait else contextlib.nullcontext():
            call = await devices.send_command(
                ctx.runtime, ctx.tenant.id, decode_id(device_id, "Device"), method, params, timeout_seconds=timeout_seconds, actor=ctx.actor.label,
            )
            if wait:
                call = await devices.wait_command(ctx.runtime, ctx.tenant.id, call.id, (call.expires_at - datetime.now(UTC)).total_seconds())
        return DeviceCommandCall.from_row(call)


@strawberry.type
class AlarmChange:
    """A committed alarm change, live (raised, acknowledged, cleared)."""

    change: str = strawberry.field(description="raised | acknowledged | cleared")
    alarm_id: relay.GlobalID
    device_id: relay.GlobalID
    rule: str
    severity: str
    status: str
    count: int
    at: datetime


@strawberry.type
class DeviceStatusChange:
    """A device went online or offline."""

    device_id: relay.GlobalID
    name: str
    online: bool
    at: datetime


_ALARM_TYPES = frozenset({"device.alarm_raised", "device.alarm_acknowledged", "device.alarm_cleared"})
_STATUS_TYPES = frozenset({"device.online", "device.offline"})


@strawberry.type
class DevicesSubscription:
    @strawberry.subscription(permission_classes=[Allowed("alarms", "read")], description="Alarm changes of the tenant as they commit (WebSocket, graphql-transport-ws).")
    async def alarm_changes(self, info: strawberry.Info, severity: str | None = None) -> AsyncGenerator[AlarmChange, None]:
        ctx = info.context
        async with devices.event_hub(ctx.runtime).subscribe(ctx.tenant.id, _ALARM_TYPES) as queue:
            while True:
                event = await queue.get()
                p = event.payload
                if severity is not None and p["severity"] != severity:
                    continue
                yield AlarmChange(
                    change=event.type.removeprefix("device.alarm_"), alarm_id=to_gid("Alarm", p["alarm_id"]),
                    device_id=to_gid("Device", p["device_id"]), rule=p["rule"], severity=p["severity"],
                    status=p["status"], count=p["count"], at=event.occurred_at,
                )

    @strawberry.subscription(permission_classes=[Allowed("devices", "read")], description="Devices going online or offline, as they commit.")
    async def device_status_changes(self, info: strawberry.Info) -> AsyncGenerator[DeviceStatusChange, None]:
        ctx = info.context
        async with devices.event_hub(ctx.runtime).subscribe(ctx.tenant.id, _STATUS_TYPES) as queue:
            while True:
                event = await queue.get()
                yield DeviceStatusChange(
                    device_id=to_gid("Device", event.payload["device_id"]), name=event.payload["name"],
                    online=event.type == "device.online", at=event.occurred_at,
                )
