"""A gateway and a worker as separate processes over one PostgreSQL database: the MQTT bridge
runs in the worker only, and device signals cross between them through LISTEN/NOTIFY
(kernel/notify.py). The worker is either a second Runtime in this process (its own pool and its
own listener connection) or a real ``linli worker`` subprocess; the gateway is the test's
runtime serving GraphQL and no bridge.

(a) an alarm raised by telemetry the worker's bridge stored reaches a GraphQL subscription on the
gateway; (b) a command sent on the gateway reaches a device connected over MQTT through the
worker's bridge, and its answer wakes the gateway's waiter; (c) revoking a device on the gateway
disconnects it from the broker at once and its next publish is refused.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from kernel import notify
from kernel.devices import rpc
from kernel.devices.models import RpcCall, TelemetryPoint


@pytest.fixture(autouse=True)
def _postgres_only(linli_backend: str) -> None:
    if linli_backend != "postgres":
        pytest.skip("several processes share a database on PostgreSQL only")


@pytest_asyncio.fixture(params=["runtime", "process"])
async def worker(request, make_runtime, linli_database, broker, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The worker side, running the bridge (``devices.mqtt_bridge`` job) and the other workers."""
    if request.param == "runtime":
        from kernel.devices.config import DeviceSettings

        rt = make_runtime(mqtt_url=broker.url)
        rt.services["device_settings"] = DeviceSettings()
        rt.start_workers()
        try:
            yield "runtime"
        finally:
            await rt.stop_workers()
        return
    settings = linli_database.settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env.update(
        LINLI_DATABASE_URL=settings.database_url, LINLI_DATABASE_ADMIN_URL=settings.database_admin_url,
        LINLI_MQTT_URL=broker.url, LINLI_SECRET_KEY=settings.secret_key, LINLI_MASTER_KEY=settings.master_key,
        LINLI_DATA_DIR=str(tmp_path / "worker"), LINLI_LOG_JSON="false",
    )
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "linli"), "worker", env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield "process"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
            print(log_path.read_text(errors="replace")[-4000:])  # shown when the test failed


async def eventually(check, within: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


@asynccontextmanager
async def connected(token: str, port: int, within: float = 20.0) -> AsyncIterator[aiomqtt.Client]:
    """A device session, retried until the broker knows the token: the worker's bridge learns
    it from the gateway's provisioning notification (or its own sync when it connects)."""
    deadline = time.monotonic() + within
    while True:
        client = aiomqtt.Client("127.0.0.1", port, username=token, identifier=f"dev-{uuid.uuid4().hex[:8]}")
        try:
            await client.__aenter__()
            break
        except aiomqtt.MqttError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
    try:
        yield client
    finally:
        await client.__aexit__(None, None, None)


async def stored_points(runtime: Any, tenant_id: uuid.UUID, device_id: uuid.UUID) -> int:
    async with runtime.db.tenant(tenant_id) as s:
        return int(await s.scalar(select(func.count()).select_from(TelemetryPoint).where(TelemetryPoint.device_id == device_id)) or 0)


async def test_alarm_stored_by_the_worker_reaches_a_gateway_subscription(dev, runtime, gql, broker, worker):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from gateway.context import close_context, open_context
    from kernel.devices.events import hub

    estate = await dev.estate()
    _, token = await dev.provision(estate, "smoke_detector", name="5号楼烟感")
    request = SimpleNamespace(headers={"authorization": f"Bearer {estate.tenant.token}"}, client=None)
    ctx = await open_context(runtime, request, "sub")
    stream = await gql.app.state.schema.subscribe(
        'subscription { alarmChanges(severity: "critical") { change rule severity status } }', context_value=ctx
    )
    first = asyncio.ensure_future(stream.__anext__())
    assert await eventually(lambda: hub(runtime)._subscribers.get(estate.tenant.tenant_id))
    async with connected(token, broker.port) as device:
        await device.publish("v1/devices/me/telemetry", json.dumps({"smoke": True}), qos=1)
    got = await asyncio.wait_for(first, 20)
    assert not got.errors, got.errors
    assert got.data == {"alarmChanges": {"change": "raised", "rule": "smoke", "severity": "critical", "status": "raised"}}
    assert "mqtt_bridge" not in runtime.services  # the gateway runs no bridge: the worker stored it
    await stream.aclose()
    await close_context(ctx)


async def test_command_from_the_gateway_reaches_the_device_through_the_worker(dev, runtime, gql, broker, worker):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    device_gid, token = await dev.provision(estate, "smoke_detector")
    device_id = await dev.device_uuid(device_gid)
    heard: list[dict[str, Any]] = []  # the RPC notifications the gateway hears
    await notify.notifier(runtime).subscribe(rpc.CHANNEL, heard.append)
    requests: list[dict[str, Any]] = []

    async def detector() -> None:
        async with connected(token, broker.port) as c:
            await c.subscribe("v1/devices/me/rpc/request/+", qos=1)
            await c.publish("v1/devices/me/telemetry", json.dumps({"battery": 90}), qos=1)
            async for message in c.messages:
                requests.append(json.loads(message.payload))  # type: ignore[arg-type]
                request_id = message.topic.value.rsplit("/", 1)[1]
                await c.publish(f"v1/devices/me/rpc/response/{request_id}", json.dumps({"silenced": True}), qos=1)
                return

    task = asyncio.create_task(detector())
    # once its telemetry is stored, the worker's bridge knows the device is reachable over MQTT
    assert await eventually(lambda: stored_points(runtime, estate.tenant.tenant_id, device_id))
    started = time.monotonic()
    r = await gql(
        'mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "silence", params: {seconds: 60}, wait: true, timeoutSeconds: 15) { status response } }',
        {"d": device_gid}, token=estate.tenant.token,
    )
    elapsed = time.monotonic() - started
    await asyncio.wait_for(task, 5)
    assert r["data"]["sendDeviceCommand"] == {"status": "answered", "response": {"silenced": True}}, r
    assert requests == [{"method": "silence", "params": {"seconds": 60}}]
    # the gateway heard the queueing (its own commit) and the answer (the worker's commit) — of
    # this device's call: the channel also carries other tests' commands (the session database)
    async with runtime.db.tenant(estate.tenant.tenant_id) as s:
        call_id = str(await s.scalar(select(RpcCall.id).where(RpcCall.device_id == device_id)))
    ours = [
        p["kind"] for p in heard
        if p.get("device_id") == str(device_id) or call_id in p.get("call_ids", [])
    ]
    assert ours[:1] == ["queued"] and "closed" in ours, heard
    assert elapsed < 14, elapsed  # answered, not timed out (15 s)


async def test_revoking_on_the_gateway_kicks_the_device_off_the_worker_bridge(dev, runtime, gql, broker, worker):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    device_gid, token = await dev.provision(estate, "smoke_detector")
    device_id = await dev.device_uuid(device_gid)
    async with connected(token, broker.port) as device:
        await device.publish("v1/devices/me/telemetry", json.dumps({"battery": 80}), qos=1)
        assert await eventually(lambda: stored_points(runtime, estate.tenant.tenant_id, device_id))
        r = await gql("mutation($d: ID!) { revokeDeviceToken(id: $d) { revoked } }", {"d": device_gid}, token=estate.tenant.token)
        assert r["data"]["revokeDeviceToken"]["revoked"] is True
        with pytest.raises(aiomqtt.MqttError):  # kicked by the broker, told by the worker's bridge
            for _ in range(300):  # generous: a loaded CI machine runs the worker process slowly
                await device.publish("v1/devices/me/telemetry", json.dumps({"battery": 79}), qos=1)
                await asyncio.sleep(0.05)
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", broker.port, username=token, identifier="dev-after-revoke"):
            pass
    assert await stored_points(runtime, estate.tenant.tenant_id, device_id) == 1
