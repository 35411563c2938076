"""Alarms from profile rules (threshold, duration, missing data), lifecycle, dedup, events;
online/offline; aggregated series; commands over HTTP long-poll."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from kernel.devices.events import hub
from kernel.testing import eventually


async def test_threshold_alarm_lifecycle_dedup_and_events(dev, gql):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "elder_wristband", place=estate.unit, name="王奶奶的手环")
    assert (await dev.post(token, {"heart_rate": 72, "sos": False})).status_code == 200
    assert await dev.alarms(estate) == []
    for _ in range(3):  # the button held: one alarm, counted three times
        assert (await dev.post(token, {"sos": True})).status_code == 200
    alarms = await dev.alarms(estate, open_only=True)
    assert [(a["rule"], a["severity"], a["status"], a["count"], a["device"]["name"]) for a in alarms] == [("sos", "critical", "raised", 3, "王奶奶的手环")]
    await dev.deliver(estate)
    raised = dev.events("device.alarm_raised", estate)
    assert len(raised) == 1 and raised[0].payload["rule"] == "sos" and raised[0].payload["severity"] == "critical"
    alarm_id = alarms[0]["id"]
    r = await gql("mutation($a: ID!) { acknowledgeAlarm(id: $a) { status acknowledgedBy } }", {"a": alarm_id}, token=estate.tenant.token)
    assert r["data"]["acknowledgeAlarm"]["status"] == "acknowledged" and r["data"]["acknowledgeAlarm"]["acknowledgedBy"].startswith("account:")
    r = await gql("mutation($a: ID!) { acknowledgeAlarm(id: $a) { status } }", {"a": alarm_id}, token=estate.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    r = await gql("mutation($a: ID!) { clearAlarm(id: $a) { status clearedAt } }", {"a": alarm_id}, token=estate.tenant.token)
    assert r["data"]["clearAlarm"]["status"] == "cleared"
    r = await gql("mutation($a: ID!) { clearAlarm(id: $a) { status } }", {"a": alarm_id}, token=estate.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    # pressed again after clearing: a new alarm
    assert (await dev.post(token, {"sos": True})).status_code == 200
    assert len(await dev.alarms(estate, open_only=True)) == 1
    await dev.deliver(estate)
    kinds = [e.type for e in await dev.deliver(estate) if e.type.startswith("device.alarm")]
    assert kinds == ["device.alarm_raised", "device.alarm_acknowledged", "device.alarm_cleared", "device.alarm_raised"]
    # another tenant cannot see or touch it
    other = await dev.estate("other")
    r = await gql("mutation($a: ID!) { clearAlarm(id: $a) { status } }", {"a": alarm_id}, token=other.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await dev.alarms(other) == []


async def test_auto_clear_and_duration_rule(dev):
    estate = await dev.estate()
    _, token = await dev.provision(estate, "environment_sensor")
    now = int(time.time() * 1000)
    # heat: threshold, no duration, auto-clears
    assert (await dev.post(token, {"ts": now - 50_000, "values": {"temperature": 45}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == ["heat"]
    assert (await dev.post(token, {"ts": now - 40_000, "values": {"temperature": 25}})).status_code == 200
    assert await dev.alarms(estate, open_only=True) == []
    assert [a["status"] for a in await dev.alarms(estate)] == ["cleared"]
    # pm25_high needs 600 s above 150
    t0 = now - 900_000
    assert (await dev.post(token, {"ts": t0, "values": {"pm25": 200}})).status_code == 200
    assert (await dev.post(token, {"ts": t0 + 300_000, "values": {"pm25": 210}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == []
    assert (await dev.post(token, {"ts": t0 + 400_000, "values": {"pm25": 100}})).status_code == 200  # dipped: resets
    assert (await dev.post(token, {"ts": t0 + 500_000, "values": {"pm25": 220}})).status_code == 200
    assert (await dev.post(token, {"ts": t0 + 1_000_000, "values": {"pm25": 230}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == []  # 500 s only
    assert (await dev.post(token, {"ts": t0 + 1_100_000, "values": {"pm25": 240}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == ["pm25_high"]


async def test_offline_and_missing_data_from_the_activity_job(dev, runtime):
    from kernel.devices import activity

    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "environment_sensor")
    assert (await dev.post(token, {"humidity": 50})).status_code == 200
    tid = estate.tenant.tenant_id
    result = await activity.check_tenant(runtime, tid)
    assert result["offline"] == 0 and result["raised"] == 0
    later = datetime.now(UTC) + timedelta(seconds=1_900)  # past the 900 s timeout and the 1,800 s no-data rule
    result = await activity.check_tenant(runtime, tid, now=later)
    assert result["offline"] == 1 and result["raised"] == 1
    assert (await activity.check_tenant(runtime, tid, now=later))["raised"] == 0  # deduplicated
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == ["no_data"]
    r = await dev.gql("query($d: ID!) { device(id: $d) { online } }", {"d": device_id}, token=estate.tenant.token)
    assert r["data"]["device"]["online"] is False
    await dev.deliver(estate)
    assert len(dev.events("device.offline", estate)) == 1
    # data arrives: no_data clears itself, the device is online again
    assert (await dev.post(token, {"temperature": 20})).status_code == 200
    assert await dev.alarms(estate, open_only=True) == []
    await dev.deliver(estate)
    assert len(dev.events("device.online", estate)) == 2


async def test_series_aggregation_per_interval(dev, gql):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "environment_sensor")
    base = (int(time.time()) // 3600 - 5) * 3_600_000
    values = [(0, 10.0), (60, 20.0), (599, 30.0), (600, 5.0), (1_800, -3.5), (1_801, 7.25)]
    body = [{"ts": base + s * 1000, "values": {"temperature": v}} for s, v in values]
    assert (await dev.post(token, body)).status_code == 200
    frm = datetime.fromtimestamp(base / 1000, tz=UTC).isoformat()
    to = datetime.fromtimestamp(base / 1000 + 3600, tz=UTC).isoformat()
    q = "query($d: ID!, $f: DateTime!, $t: DateTime!, $i: Int!) { device(id: $d) { series(key: \"temperature\", from: $f, to: $t, intervalSeconds: $i) { start avg min max count } } }"
    r = await gql(q, {"d": device_id, "f": frm, "t": to, "i": 600}, token=estate.tenant.token)
    assert not r.get("errors"), r
    got = [(b["avg"], b["min"], b["max"], b["count"]) for b in r["data"]["device"]["series"]]
    assert got == [(20.0, 10.0, 30.0, 3), (5.0, 5.0, 5.0, 1), (1.875, -3.5, 7.25, 2)]
    starts = [datetime.fromisoformat(b["start"]) for b in r["data"]["device"]["series"]]
    assert [int((s.timestamp() * 1000 - base) / 1000) for s in starts] == [0, 600, 1800]
    r = await gql(q, {"d": device_id, "f": frm, "t": to, "i": 1}, token=estate.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # 3,600 intervals > 1,000
    other = await dev.estate("other")
    r = await gql(q, {"d": device_id, "f": frm, "t": to, "i": 600}, token=other.tenant.token)
    assert r["data"]["device"] is None


async def test_command_over_http_long_poll_with_correlation_and_timeout(dev, gql, runtime):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "barrier_gate", name="东门道闸")
    r = await gql('mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "fly") { status } }', {"d": device_id}, token=estate.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def device_side() -> None:
        poll = await dev.gql.http.get(f"/api/v1/{token}/rpc", params={"timeout": 5000})
        assert poll.status_code == 200, poll.text
        req = poll.json()
        assert req["method"] == "raise" and req["params"] == {"reason": "visitor"}
        answer = await dev.gql.http.post(f"/api/v1/{token}/rpc/{req['id']}", json={"ok": True})
        assert answer.status_code == 200

    # no head start needed: the command is queued in the database and the long-poll takes it whenever it asks
    device = asyncio.create_task(device_side())
    r = await gql(
        'mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "raise", params: {reason: "visitor"}, timeoutSeconds: 5, wait: true) { status response requestId } }',
        {"d": device_id}, token=estate.tenant.token,
    )
    await device
    assert not r.get("errors"), r
    assert r["data"]["sendDeviceCommand"] == {"status": "answered", "response": {"ok": True}, "requestId": 1}
    # a second answer to the same request is refused; a poll with nothing queued times out
    assert (await dev.gql.http.post(f"/api/v1/{token}/rpc/1", json={"ok": True})).status_code == 404
    assert (await dev.gql.http.get(f"/api/v1/{token}/rpc", params={"timeout": 100})).status_code == 408
    # unanswered: times out
    r = await gql('mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "lower", timeoutSeconds: 1, wait: true) { status requestId } }', {"d": device_id}, token=estate.tenant.token)
    assert r["data"]["sendDeviceCommand"] == {"status": "timed_out", "requestId": 2}
    await dev.deliver(estate)
    assert [e.type for e in await dev.deliver(estate) if e.type.startswith("device.rpc")] == ["device.rpc_answered", "device.rpc_timed_out"]


async def test_subscriptions_stream_committed_alarm_and_status_changes(dev, runtime, gql):
    """The subscription fields through the composed schema (the WebSocket transport is
    strawberry's graphql-transport-ws); only committed changes of the caller's tenant arrive."""
    from types import SimpleNamespace

    from gateway.context import close_context, open_context

    estate = await dev.estate()
    other = await dev.estate("other")
    _, token = await dev.provision(estate, "smoke_detector", name="3号楼烟感")
    _, other_token = await dev.provision(other, "smoke_detector")
    schema = gql.app.state.schema
    contexts = []

    async def subscribe(query: str):  # type: ignore[no-untyped-def]
        request = SimpleNamespace(headers={"authorization": f"Bearer {estate.tenant.token}"}, client=None)
        contexts.append(await open_context(runtime, request, "sub"))
        return await schema.subscribe(query, context_value=contexts[-1])

    alarms = await subscribe('subscription { alarmChanges(severity: "critical") { change rule severity status count } }')
    status = await subscribe("subscription { deviceStatusChanges { name online } }")
    first_alarm = asyncio.ensure_future(alarms.__anext__())
    first_status = asyncio.ensure_future(status.__anext__())
    # both subscriptions listen on the device event hub before anything is posted
    await eventually(lambda: len(hub(runtime)._subscribers.get(estate.tenant.tenant_id, {})) >= 2, what="two live subscribers")
    assert (await dev.post(other_token, {"smoke": True})).status_code == 200  # another tenant: not seen
    assert (await dev.post(token, {"smoke": True, "battery": 10})).status_code == 200  # smoke critical, battery warning
    assert (await dev.post(token, {"battery": 101})).status_code == 400  # refused: nothing committed
    got = await asyncio.wait_for(first_alarm, 5)
    assert not got.errors, got.errors
    assert got.data == {"alarmChanges": {"change": "raised", "rule": "smoke", "severity": "critical", "status": "raised", "count": 1}}
    got = await asyncio.wait_for(first_status, 5)
    assert got.data == {"deviceStatusChanges": {"name": "3号楼烟感", "online": True}}
    assert (await dev.post(token, {"smoke": False})).status_code == 200
    got = await asyncio.wait_for(alarms.__anext__(), 5)
    assert got.data["alarmChanges"]["change"] == "cleared"
    await alarms.aclose()
    await status.aclose()
    for ctx in contexts:
        await close_context(ctx)


async def test_one_message_out_of_time_order_and_its_redelivery_keep_the_newest_value(dev):
    """Within one stored batch the latest value is the newest reading of each key (of two with one
    ``ts``, the later), whatever order they came in; the same message again (a redelivery) adds no
    row and leaves the latest value — the PostgreSQL path stages the batch by ``COPY`` and redoes a
    duplicate's insert with ``ON CONFLICT DO NOTHING``."""
    from sqlalchemy import func, select
    from strawberry import relay

    from kernel.devices.models import TelemetryPoint

    estate = await dev.estate()
    device_gid, token = await dev.provision(estate, "environment_sensor")
    now = int(time.time() * 1000)
    body = [
        {"ts": now - 3_000, "values": {"temperature": 21, "humidity": 40}},
        {"ts": now - 1_000, "values": {"temperature": 23}},
        {"ts": now - 2_000, "values": {"temperature": 22, "humidity": 41}},
        {"ts": now - 2_000, "values": {"humidity": 42}},
    ]
    did = uuid.UUID(relay.GlobalID.from_id(device_gid).node_id)

    async def rows() -> int:
        async with dev.runtime.db.tenant(estate.tenant.tenant_id) as s:
            count = await s.scalar(select(func.count()).select_from(TelemetryPoint).where(TelemetryPoint.device_id == did))
            return int(count or 0)

    assert (await dev.post(token, body)).status_code == 200
    assert await rows() == 5  # the repeated (humidity, now − 2 s) is stored once
    assert {k: v for k, v in (await dev.latest(estate, device_gid)).items() if k in ("temperature", "humidity")} == {
        "temperature": 23,
        "humidity": 42,
    }
    assert (await dev.post(token, body)).status_code == 200
    assert await rows() == 5
    assert (await dev.latest(estate, device_gid))["temperature"] == 23


async def test_a_late_older_reading_does_not_overturn_alarms_decided_on_newer_data(dev):
    """Readings can arrive out of time order (two bridges on a shared subscription, a QoS 1
    redelivery, a gateway's buffered upload): they are stored, but alarm rules are decided on
    the newest data, so an older reading never raises or clears what a newer one settled."""
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "environment_sensor")
    now = int(time.time() * 1000)
    assert (await dev.post(token, {"ts": now - 10_000, "values": {"temperature": 25}})).status_code == 200
    # older and hot: kept in the history, but the newer 25 °C stands
    assert (await dev.post(token, {"ts": now - 20_000, "values": {"temperature": 45}})).status_code == 200
    assert await dev.alarms(estate, open_only=True) == []
    assert (await dev.latest(estate, device_id))["temperature"] == 25
    # newer and hot: raised
    assert (await dev.post(token, {"ts": now - 5_000, "values": {"temperature": 45}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == ["heat"]
    # older and cool: does not clear it
    assert (await dev.post(token, {"ts": now - 7_000, "values": {"temperature": 20}})).status_code == 200
    assert [a["rule"] for a in await dev.alarms(estate, open_only=True)] == ["heat"]
    # newer and cool: cleared
    assert (await dev.post(token, {"ts": now - 1_000, "values": {"temperature": 20}})).status_code == 200
    assert await dev.alarms(estate, open_only=True) == []
