"""The device plugin's query and subscription roots; which rows a caller sees is decided in
:mod:`plugins.devices.repository`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import devices
from kernel.sdk.graphql import Allowed, Connection, decode_id, paginate, requested_page_size, to_gid
from kernel.sdk.repository import Viewer
from kernel.sdk.vocabulary import AlarmSeverity, AlarmStatus
from plugins.devices.repository import AlarmRepository, DeviceRepository
from plugins.devices.types import (
    Alarm,
    AlarmChange,
    Device,
    DeviceProfileInfo,
    DeviceStatusChange,
)

_first = requested_page_size


@strawberry.type
class DevicesQuery:
    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    def device_profiles(self, info: strawberry.Info) -> list[DeviceProfileInfo]:
        return [DeviceProfileInfo.of(p) for p in devices.profiles(info.context.runtime).all()]

    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    async def devices(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        type: str | None = None,
        place_id: relay.GlobalID | None = None,
        community_id: relay.GlobalID | None = None,
        online: bool | None = None,
        revoked: bool | None = None,
        search: str | None = None,
    ) -> Connection[Device]:
        ctx = info.context
        stmt = DeviceRepository(ctx.session).filtered(
            Viewer.of(ctx),
            type=type,
            place_id=decode_id(place_id, ("Community", "Building", "Unit")) if place_id else None,
            community_id=decode_id(community_id, "Community") if community_id else None,
            online=online,
            revoked=revoked,
            search=search,
        )
        return await paginate(
            ctx.session,
            stmt,
            order_by=[devices.Device.name, devices.Device.id],
            first=_first(info, first),
            after=after,
            to_node=Device.from_row,
            key_types=[str, uuid.UUID],
        )

    @strawberry.field(permission_classes=[Allowed("devices", "read")])
    async def device(self, info: strawberry.Info, id: relay.GlobalID) -> Device | None:
        ctx = info.context
        row = await DeviceRepository(ctx.session).get_by_id(
            decode_id(id, "Device"), actor=Viewer.of(ctx)
        )
        return Device.from_row(row) if row else None

    @strawberry.field(permission_classes=[Allowed("alarms", "read")])
    async def alarms(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        status: str | None = None,
        severity: str | None = None,
        device_id: relay.GlobalID | None = None,
        open_only: bool = False,
        community_id: relay.GlobalID | None = None,
    ) -> Connection[Alarm]:
        ctx = info.context
        stmt = AlarmRepository(ctx.session).filtered(
            Viewer.of(ctx),
            status=status,
            severity=severity,
            device_id=decode_id(device_id, "Device") if device_id else None,
            open_only=open_only,
            community_id=decode_id(community_id, "Community") if community_id else None,
        )
        return await paginate(
            ctx.session,
            stmt,
            order_by=[devices.DeviceAlarm.raised_at, devices.DeviceAlarm.id],
            first=_first(info, first),
            after=after,
            to_node=Alarm.from_row,
            key_types=[datetime.fromisoformat, uuid.UUID],
        )


_ALARM_TYPES = frozenset(
    {"device.alarm_raised", "device.alarm_acknowledged", "device.alarm_cleared"}
)
_STATUS_TYPES = frozenset({"device.online", "device.offline"})


@strawberry.type
class DevicesSubscription:
    @strawberry.subscription(
        permission_classes=[Allowed("alarms", "read")],
        description="Alarm changes of the tenant as they commit (WebSocket, graphql-transport-ws).",
    )
    async def alarm_changes(
        self, info: strawberry.Info, severity: str | None = None
    ) -> AsyncGenerator[AlarmChange, None]:
        ctx = info.context
        async with devices.event_hub(ctx.runtime).subscribe(ctx.tenant.id, _ALARM_TYPES) as queue:
            while True:
                event = await queue.get()
                p = event.payload
                if severity is not None and p["severity"] != severity:
                    continue
                yield AlarmChange(
                    change=event.type.removeprefix("device.alarm_"),
                    alarm_id=to_gid("Alarm", p["alarm_id"]),
                    device_id=to_gid("Device", p["device_id"]),
                    rule=p["rule"],
                    severity=AlarmSeverity(p["severity"]),
                    status=AlarmStatus(p["status"]),
                    count=p["count"],
                    at=event.occurred_at,
                )

    @strawberry.subscription(
        permission_classes=[Allowed("devices", "read")],
        description="Devices going online or offline, as they commit.",
    )
    async def device_status_changes(
        self, info: strawberry.Info
    ) -> AsyncGenerator[DeviceStatusChange, None]:
        ctx = info.context
        async with devices.event_hub(ctx.runtime).subscribe(ctx.tenant.id, _STATUS_TYPES) as queue:
            while True:
                event = await queue.get()
                yield DeviceStatusChange(
                    device_id=to_gid("Device", event.payload["device_id"]),
                    name=event.payload["name"],
                    online=event.type == "device.online",
                    at=event.occurred_at,
                )
