"""The device plugin's mutation root: decode ids, resolve the place, call the service (which
validates, audits and announces token changes to the broker)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from kernel.sdk import BadUserInput, NotFound
from kernel.sdk.graphql import Allowed, decode_id
from plugins.devices import inputs, places, service
from plugins.devices.types import (
    Alarm,
    Device,
    DeviceCommandCall,
    ProvisionDeviceInput,
    ProvisionedDevice,
)


async def _provision(
    info: strawberry.Info,
    name: str,
    type: str,
    place_gid: relay.GlobalID,
    serial: str,
    inactivity_timeout: int | None,
) -> ProvisionedDevice:
    ctx = info.context
    kind, place_id, community_id = await places.resolve(ctx.session, place_gid)
    row, token = await service.provision(
        ctx.session,
        ctx.runtime,
        tenant_id=ctx.tenant.id,
        name=name,
        type=type,
        place_kind=kind,
        place_id=place_id,
        community_id=community_id,
        serial=serial,
        inactivity_timeout_seconds=inactivity_timeout,
        actor=ctx.actor.label,
    )
    return ProvisionedDevice(device=Device.from_row(row), token=token)


@strawberry.type
class DevicesMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("devices", "write")],
        description="Register a device; its token is returned once.",
    )
    async def provision_device(
        self, info: strawberry.Info, input: ProvisionDeviceInput
    ) -> ProvisionedDevice:
        return await _provision(
            info,
            input.name,
            input.type,
            input.place_id,
            input.serial,
            input.inactivity_timeout_seconds,
        )

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "write")],
        description="Bulk provisioning from CSV with a header `name,type,place_id[,serial]` (at most 1,000 rows; all or nothing).",
    )
    async def provision_devices_csv(
        self, info: strawberry.Info, csv_text: str
    ) -> list[ProvisionedDevice]:
        out = []
        for r in inputs.csv_rows(csv_text):
            try:
                gid = relay.GlobalID.from_id(r.place_id)
            except Exception as exc:
                raise BadUserInput(f"line {r.line}: place_id is not an id", line=r.line) from exc
            try:
                out.append(await _provision(info, r.name, r.type, gid, r.serial, None))
            except BadUserInput as exc:
                raise BadUserInput(f"line {r.line}: {exc.message}", line=r.line) from exc
            except NotFound as exc:
                raise NotFound(f"line {r.line}: {exc.message}", line=r.line) from exc
        return out

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "write")],
        description="Replace the token; the old one stops working at once.",
    )
    async def rotate_device_token(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> ProvisionedDevice:
        ctx = info.context
        row, token = await service.rotate_token(
            ctx.session,
            ctx.runtime,
            tenant_id=ctx.tenant.id,
            device_id=decode_id(id, "Device"),
            actor=ctx.actor.label,
        )
        return ProvisionedDevice(device=Device.from_row(row), token=token)

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "write")],
        description="Revoke the token: HTTP and MQTT refuse it at once.",
    )
    async def revoke_device_token(self, info: strawberry.Info, id: relay.GlobalID) -> Device:
        ctx = info.context
        row = await service.revoke_token(
            ctx.session,
            ctx.runtime,
            tenant_id=ctx.tenant.id,
            device_id=decode_id(id, "Device"),
            actor=ctx.actor.label,
        )
        return Device.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("alarms", "manage")])
    async def acknowledge_alarm(self, info: strawberry.Info, id: relay.GlobalID) -> Alarm:
        ctx = info.context
        row = await service.acknowledge_alarm(
            ctx.session,
            ctx.runtime,
            tenant_id=ctx.tenant.id,
            alarm_id=decode_id(id, "Alarm"),
            actor=ctx.actor.label,
        )
        return Alarm.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("alarms", "manage")])
    async def clear_alarm(self, info: strawberry.Info, id: relay.GlobalID) -> Alarm:
        ctx = info.context
        row = await service.clear_alarm(
            ctx.session,
            ctx.runtime,
            tenant_id=ctx.tenant.id,
            alarm_id=decode_id(id, "Alarm"),
            actor=ctx.actor.label,
        )
        return Alarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("devices", "command")],
        description="Send a command (RPC) to a device. It is committed at once (not with this request); with wait=true the response is awaited up to the timeout.",
    )
    async def send_device_command(
        self,
        info: strawberry.Info,
        device_id: relay.GlobalID,
        method: str,
        params: JSON | None = None,
        timeout_seconds: int | None = None,
        wait: bool = False,
    ) -> DeviceCommandCall:
        ctx = info.context
        checked = inputs.command_params(params)
        # a wait holds no pooled connection (the command is queued in a session of its own)
        # and a tenant has a bounded number of them at once
        call = await service.send_command(
            ctx.session,
            ctx.runtime,
            tenant_id=ctx.tenant.id,
            device_id=decode_id(device_id, "Device"),
            method=method,
            params=checked,
            timeout_seconds=timeout_seconds,
            actor=ctx.actor.label,
            waiting=ctx.waiting if wait else None,
        )
        return DeviceCommandCall.from_row(call)
