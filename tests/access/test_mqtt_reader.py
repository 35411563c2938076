"""A reader speaking MQTT to a real Mosquitto (the testing kit's ``broker`` with Linli's device
authentication): it reports a QR scan as telemetry and receives the ``open`` command on its RPC
topic once the platform has decided — the whole loop, device side."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiomqtt
from sqlalchemy import select

from kernel.testing import eventually
from plugins.access import codes
from plugins.access.models import AccessRecord


async def test_a_reader_over_mqtt_reports_a_scan_and_is_told_to_open(
    site, runtime, broker, deliver
):  # type: ignore[no-untyped-def]
    from kernel.devices.mqtt import MqttBridge

    s = await site("mqtt")
    bridge = MqttBridge(
        runtime, broker.url
    )  # started after the readers exist: it syncs their tokens
    bridge_task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.connected.wait(), 10)
    code = codes.issue_qr(
        runtime.vault, s.tenant.tenant_id, 1, s.resident.account_id, int(time.time()) // 30
    )
    opened: list[dict] = []
    subscribed = asyncio.Event()

    async def reader() -> None:
        async with aiomqtt.Client(
            "127.0.0.1",
            broker.port,
            username=s.tokens["door1"],
            identifier=f"door1-{uuid.uuid4().hex[:6]}",
        ) as c:
            await c.subscribe("v1/devices/me/rpc/request/+", qos=1)
            subscribed.set()
            scan = {
                "ts": int(time.time() * 1000),
                "values": {"scan": f"qr:{code}", "direction": "in", "event_id": "m-1"},
            }
            await c.publish("v1/devices/me/telemetry", json.dumps(scan), qos=1)
            async for message in c.messages:
                request_id = message.topic.value.rsplit("/", 1)[1]
                opened.append(json.loads(message.payload))
                await c.publish(
                    f"v1/devices/me/rpc/response/{request_id}", json.dumps({"opened": True}), qos=1
                )
                return

    task = asyncio.create_task(reader())
    try:
        await asyncio.wait_for(subscribed.wait(), 10)

        async def decided() -> bool:
            await deliver(s.tenant)  # the outbox worker's turn: device.telemetry_event → decision
            async with runtime.db.tenant(s.tenant.tenant_id) as sess:
                return (
                    await sess.scalar(
                        select(AccessRecord.id).where(AccessRecord.device_event_id == "m-1")
                    )
                    is not None
                )

        assert await eventually(decided, within=20, interval=0.2, what="the scan decided")
        await asyncio.wait_for(task, 15)
    finally:
        task.cancel()
        bridge_task.cancel()
        await asyncio.gather(task, bridge_task, return_exceptions=True)
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        record = await sess.scalar(
            select(AccessRecord).where(AccessRecord.device_event_id == "m-1")
        )
    assert (record.allowed, record.reason, record.account_id) == (
        True,
        "resident",
        s.resident.account_id,
    )
    assert opened == [{"method": "open", "params": {"seconds": 5, "record_id": str(record.id)}}]
