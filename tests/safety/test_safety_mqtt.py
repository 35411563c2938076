"""Device → alarm → work order → notification over a real Mosquitto (the ``broker`` fixture)
and the MQTT bridge: a lift controller reports an e-bike over MQTT; the alarm is raised, the
lift gets ``hold_doors`` on its RPC topic and answers; the work order is opened and the on-duty
person notified."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiomqtt
import pytest_asyncio
from sqlalchemy import select

from kernel.devices.models import RpcCall
from kernel.testing import eventually
from tests.safety.conftest import node_uuid


@pytest_asyncio.fixture
async def bridge(runtime, broker):  # type: ignore[no-untyped-def]
    from kernel.devices.mqtt import MqttBridge

    b = MqttBridge(runtime, broker.url)
    task = asyncio.create_task(b.run())
    await asyncio.wait_for(b.connected.wait(), 10)
    yield b
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_lift_over_mqtt_alarm_holds_doors_opens_work_order_and_notifies(
    safety, runtime, broker, bridge
):
    site = await safety.site()
    lift, token = await safety.provision(site, "lift_controller", "3幢1号梯")
    got: list[dict] = []

    async def lift_controller() -> None:
        async with aiomqtt.Client(
            "127.0.0.1", broker.port, username=token, identifier=f"lift-{uuid.uuid4().hex[:6]}"
        ) as c:
            await c.subscribe("v1/devices/me/rpc/request/+", qos=1)
            await c.publish(
                "v1/devices/me/telemetry",
                json.dumps({"ebike_detected": True, "floor": 1, "door_open": True}),
                qos=1,
            )
            async for message in c.messages:
                request_id = message.topic.value.rsplit("/", 1)[1]
                got.append(json.loads(message.payload))
                await c.publish(
                    f"v1/devices/me/rpc/response/{request_id}", json.dumps({"held": True}), qos=1
                )
                return

    from kernel import notify as kn

    heard = []
    await kn.notifier(runtime).subscribe("linli_device_rpc", lambda p: heard.append(p))
    from kernel.devices import rpc as krpc

    print(
        "LISTENERS",
        krpc.signals(runtime).command_listeners,
        kn.notifier(runtime)._subscriptions.keys(),
    )
    orig = bridge.push_commands

    async def push(t, d):
        try:
            n = await orig(t, d)
            print("PUSHED", n)
            return n
        except Exception as e:
            print("PUSHFAIL", repr(e))
            raise

    bridge.push_commands = push
    # staff watch the live subscription (from the gateway, as a WebSocket client would)
    from types import SimpleNamespace

    from gateway.context import close_context, open_context
    from plugins.safety.live import hub

    request = SimpleNamespace(headers={"authorization": f"Bearer {site.staff.token}"}, client=None)
    context = await open_context(runtime, request, "sub")
    stream = await safety.gql.app.state.schema.subscribe(
        "subscription { safetyAlarmChanges { event type severity status alarmId } }",
        context_value=context,
    )
    first_change = asyncio.ensure_future(stream.__anext__())
    await eventually(
        lambda: hub(runtime)._subscribers.get(site.tenant.tenant_id),
        what="the subscription listens",
    )
    task = asyncio.create_task(lift_controller())

    async def alarm_raised():  # type: ignore[no-untyped-def]
        await safety.deliver(site)
        return await safety.alarms(site)

    [alarm] = await eventually(alarm_raised, what="the safety alarm")
    await asyncio.wait_for(task, 10)  # the lift got its command over MQTT and answered
    change = await asyncio.wait_for(first_change, 10)
    assert not change.errors and change.data["safetyAlarmChanges"] == {
        "event": "raised",
        "type": "ebike_in_lift",
        "severity": "major",
        "status": "raised",
        "alarmId": alarm["id"],
    }
    await stream.aclose()
    await close_context(context)
    assert got == [{"method": "hold_doors", "params": {"seconds": 60, "reason": "ebike_in_lift"}}]

    async def answered():  # type: ignore[no-untyped-def]
        async with runtime.db.tenant(site.tenant.tenant_id) as s:
            call = await s.scalar(select(RpcCall).where(RpcCall.device_id == node_uuid(lift)))
        return call if call is not None and call.status == "answered" else None

    call = await eventually(answered, what="the lift's answer")
    assert call.response == {"held": True} and alarm["liftCommandId"] == str(call.id)
    await safety.deliver(site)
    [alarm] = await safety.alarms(site)
    orders = await safety.work_orders(site)
    assert alarm["workOrderId"] in orders and orders[alarm["workOrderId"]]["category"] == "fire"
    [note] = await safety.notifications(site)
    assert note.account_id == site.staff.account_id and "电动车入梯" in note.subject
