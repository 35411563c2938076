"""The device plugin's GraphQL types: profiles (telemetry keys, alarm rules, commands), devices
with their latest values and aggregated series, alarms, provisioning answers, command calls, and
the live changes of the subscriptions. Rows are read through :mod:`plugins.devices.repository`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from kernel.sdk import BadUserInput, Forbidden, devices, estate
from kernel.sdk.graphql import Allowed, to_gid
from kernel.sdk.repository import Viewer
from kernel.sdk.vocabulary import AlarmSeverity, AlarmStatus
from plugins.devices.repository import AlarmRepository, DeviceRepository


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
            type=p.type,
            name=p.name,
            description=p.description,
            inactivity_timeout_seconds=p.inactivity_timeout_seconds,
            telemetry=[
                TelemetryKeySpec(
                    key=k.key,
                    kind=k.kind,
                    unit=k.unit,
                    minimum=k.minimum,
                    maximum=k.maximum,
                    description=k.description,
                )
                for k in p.telemetry
            ],
            alarms=[
                AlarmRuleSpec(
                    name=r.name,
                    kind=r.kind,
                    severity=r.severity,
                    key=r.key,
                    op=r.op,
                    value=None
                    if r.value is None
                    else str(r.value).lower()
                    if isinstance(r.value, bool)
                    else str(r.value),
                    duration_seconds=r.duration_seconds,
                    description=r.description,
                )
                for r in p.alarms
            ],
            commands=[
                CommandSpec(
                    method=c.method,
                    description=c.description,
                    params=[x.name for x in c.params],
                    timeout_seconds=c.timeout_seconds,
                )
                for c in p.commands
            ],
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


def _unit_building_loader(info: strawberry.Info) -> DataLoader[uuid.UUID, uuid.UUID | None]:
    async def load(ids: list[uuid.UUID]) -> list[uuid.UUID | None]:
        rows = await info.context.session.execute(
            select(estate.Unit.id, estate.Unit.building_id).where(estate.Unit.id.in_(ids))
        )
        found = {unit: building for unit, building in rows.all()}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def device_loader(info: strawberry.Info) -> Any:
    """The request's DataLoader of devices by id (one query for a list's devices)."""
    return DeviceRepository(info.context.session).loader(info.context, "devices.by_id")


@strawberry.type
class Device(relay.Node):
    id: relay.NodeID[str]
    name: str
    type: str
    place_kind: str
    serial: str
    token_hint: str | None = strawberry.field(
        description="First characters of the current token; null when revoked"
    )
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

    @strawberry.field(
        description="Global id of the building the device is in (its own place, or its unit's building); null for a device placed on the community"
    )
    async def building_id(self, info: strawberry.Info) -> relay.GlobalID | None:
        if self.place_kind == "building":
            return to_gid("Building", self.place_uuid)
        if self.place_kind != "unit":
            return None
        building = await info.context.loader(
            "devices.unit_building", lambda: _unit_building_loader(info)
        ).load(self.place_uuid)
        return to_gid("Building", building) if building else None

    @strawberry.field(
        permission_classes=[Allowed("devices", "read")], description="Latest value of every key"
    )
    async def latest(self, info: strawberry.Info) -> list[TelemetryValue]:
        rows = await info.context.loader("devices.latest", lambda: _latest_loader(info)).load(
            uuid.UUID(self.id)
        )
        profile = devices.profiles(info.context.runtime).get(self.profile_type)
        out = []
        for r in rows:
            spec = profile.keys.get(r.key) if profile else None
            value: Any = r.text if r.text is not None else r.num
            if spec is not None and spec.kind == "boolean" and r.num is not None:
                value = bool(r.num)
            elif spec is not None and spec.kind == "integer" and r.num is not None:
                value = int(r.num)
            out.append(
                TelemetryValue(key=r.key, ts=_dt(r.ts), value=value, unit=spec.unit if spec else "")
            )
        return out

    @strawberry.field(
        permission_classes=[Allowed("devices", "read")],
        description="avg/min/max/count of a numeric key per interval over [from, to)",
    )
    async def series(
        self,
        info: strawberry.Info,
        key: str,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        interval_seconds: int = 3600,
    ) -> list[SeriesBucket]:
        buckets = await devices.series(
            info.context.session,
            uuid.UUID(self.id),
            key,
            _ms(from_),
            _ms(to),
            interval_seconds * 1000,
        )
        return [
            SeriesBucket(start=_dt(b.start_ms), avg=b.avg, min=b.min, max=b.max, count=b.count)
            for b in buckets
        ]

    @classmethod
    def from_row(cls, row: Any) -> Device:
        return cls(
            id=str(row.id),
            name=row.name,
            type=row.type,
            place_kind=row.place_kind,
            serial=row.serial,
            token_hint=row.token_hint,
            revoked=row.revoked_at is not None,
            online=row.online,
            last_activity_at=row.last_activity_at,
            attributes=row.attributes or {},
            place_uuid=row.place_id,
            community_uuid=row.community_id,
            profile_type=row.type,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        ctx = info.context
        ctx.require_tenant()
        ctx.require_plugin("devices")
        if not ctx.allowed("devices", "read"):
            raise Forbidden("you lack the permission devices:read")
        loader = device_loader(info)
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
    severity: AlarmSeverity
    status: AlarmStatus
    count: int = strawberry.field(
        description="How many times the condition was seen while open (deduplicated repeats)"
    )
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
        row = await device_loader(info).load(self.device_uuid)
        return Device.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> Alarm:
        return cls(
            id=str(row.id),
            rule=row.rule,
            severity=AlarmSeverity(row.severity),
            status=AlarmStatus(row.status),
            count=row.count,
            raised_at=row.raised_at,
            last_seen_at=row.last_seen_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            cleared_at=row.cleared_at,
            cleared_by=row.cleared_by,
            details=row.details or {},
            device_uuid=row.device_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        ctx = info.context
        ctx.require_tenant()
        ctx.require_plugin("devices")
        if not ctx.allowed("alarms", "read"):
            raise Forbidden("you lack the permission alarms:read")
        alarms = AlarmRepository(ctx.session)
        viewer = Viewer.of(ctx)
        out = []
        for n in node_ids:
            try:
                row = await alarms.get_by_id(uuid.UUID(n), actor=viewer)
            except ValueError:
                row = None
            out.append(cls.from_row(row) if row else None)
        return out


@strawberry.type
class ProvisionedDevice:
    device: Device
    token: str = strawberry.field(
        description="The device token. Shown once: only its digest is stored."
    )


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
        return cls(
            id=strawberry.ID(str(row.id)),
            request_id=row.request_id,
            method=row.method,
            params=row.params,
            status=row.status,
            response=row.response,
            expires_at=row.expires_at,
        )


@strawberry.input
class ProvisionDeviceInput:
    name: str
    type: str
    place_id: relay.GlobalID = strawberry.field(description="A Community, Building or Unit id")
    serial: str = ""
    inactivity_timeout_seconds: int | None = None


@strawberry.type
class AlarmChange:
    """A committed alarm change, live (raised, acknowledged, cleared)."""

    change: str = strawberry.field(description="raised | acknowledged | cleared")
    alarm_id: relay.GlobalID
    device_id: relay.GlobalID
    rule: str
    severity: AlarmSeverity
    status: AlarmStatus
    count: int
    at: datetime


@strawberry.type
class DeviceStatusChange:
    """A device went online or offline."""

    device_id: relay.GlobalID
    name: str
    online: bool
    at: datetime
