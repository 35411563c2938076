"""Alarms from devices over the HTTP device API: each profile's happening → a safety alarm →
a work order through the closed loop → the on-duty staff notified; repeats, thresholds per
community, a lift told to hold its doors, device alarms taken over, staff responses and
statistics, coded errors and tenant isolation."""

from __future__ import annotations

from sqlalchemy import select

from kernel.devices.models import RpcCall
from plugins.safety.models import SafetyAlarm
from tests.safety.conftest import node_uuid

ACK = "mutation($i: ID!) { acknowledgeSafetyAlarm(id: $i) { status acknowledgedAt } }"
ARRIVE = "mutation($i: ID!) { arriveAtSafetyAlarm(id: $i) { status arrivedAt acknowledgedAt } }"
RESOLVE = "mutation($i: ID!, $n: String!, $f: Boolean!) { resolveSafetyAlarm(id: $i, note: $n, falseAlarm: $f) { status falseAlarm resolvedAt } }"


async def test_thrown_object_opens_a_work_order_and_tells_the_staff_on_duty(safety):
    site = await safety.site()
    cam, token = await safety.provision(site, "thrown_object_camera", "3幢东立面")
    await safety.post(
        token,
        {
            "thrown_object": True,
            "floor_from": 11,
            "floor_to": 14,
            "clip_ref": "nvr-3/20261207/0931",
        },
    )
    await safety.post(token, {"thrown_object": False})  # nothing falling: no alarm
    await safety.deliver(site)
    [alarm] = await safety.alarms(site)
    assert (alarm["type"], alarm["severity"], alarm["status"]) == (
        "thrown_object",
        "major",
        "raised",
    )
    assert (alarm["floorFrom"], alarm["floorTo"], alarm["clipRef"]) == (
        11,
        14,
        "nvr-3/20261207/0931",
    )
    assert alarm["location"] == "3幢东立面" and alarm["deviceId"] == cam
    assert alarm["communityId"] == site.community and alarm["buildingId"] == site.building
    # the closed loop: one work order, linked back
    orders = await safety.work_orders(site)
    assert alarm["workOrderId"] in orders and len(orders) == 1
    wo = orders[alarm["workOrderId"]]
    assert (wo["source"], wo["category"], wo["priority"], wo["communityId"]) == (
        "device_alarm",
        "security",
        "high",
        site.community,
    )
    assert alarm["workOrderRef"] == f"alarm:{node_uuid(alarm['id'])}"
    # on-duty staff told (the roster's fallback: property staff), urgently, with the floors
    [note] = await safety.notifications(site)
    assert note.account_id == site.staff.account_id and note.urgency == "urgent"
    assert "高空抛物" in note.subject and "11–14" in note.body and alarm["escalated"] is True
    # the devices plugin's generic heads-up is not sent for a safety alarm as well
    assert await safety.notifications(site, "devices.alarm_raised") == []
    # a second object is a second alarm; the same clip again is not
    await safety.post(
        token,
        {"thrown_object": True, "floor_from": 3, "floor_to": 3, "clip_ref": "nvr-3/20261207/0945"},
    )
    await safety.post(token, {"thrown_object": True, "clip_ref": "nvr-3/20261207/0945"})
    await safety.deliver(site)
    assert len(await safety.alarms(site)) == 2 and len(await safety.work_orders(site)) == 2


async def test_fire_lane_threshold_per_community_and_repeats_count(safety):
    site = await safety.site()
    _, token = await safety.provision(site, "fire_lane_camera", "北门消防通道")
    d = await safety.q(
        "mutation($c: ID!) { setSafetyRule(type: fire_lane_blocked, communityId: $c, threshold: 600, severity: critical) "
        "{ threshold severity enabled thresholdUnit } }",
        {"c": site.community},
        token=site.tenant.token,
    )
    assert d["setSafetyRule"] == {
        "threshold": 600.0,
        "severity": "critical",
        "enabled": True,
        "thresholdUnit": "seconds",
    }
    await safety.post(
        token, {"lane_blocked": True, "blocked_seconds": 320, "plate": "沪A12345"}
    )  # > default 300, < 600
    await safety.deliver(site)
    assert await safety.alarms(site) == []
    await safety.post(
        token,
        {"lane_blocked": True, "blocked_seconds": 610, "plate": "沪A12345", "clip_ref": "c-1"},
    )
    await safety.post(token, {"lane_blocked": True, "blocked_seconds": 640, "plate": "沪A12345"})
    await safety.deliver(site)
    [alarm] = await safety.alarms(site)
    assert (alarm["severity"], alarm["count"], alarm["clipRef"]) == ("critical", 2, "c-1")
    assert len(await safety.work_orders(site)) == 1
    async with safety.runtime.db.tenant(site.tenant.tenant_id) as s:
        [row] = list(await s.scalars(select(SafetyAlarm)))
    assert row.details["blocked_seconds"] == 640 and "plate" not in row.details  # minimised
    # firm-wide rule off: the community's own rule still holds (it is on)
    await safety.q(
        "mutation { setSafetyRule(type: fire_lane_blocked, enabled: false) { enabled } }",
        token=site.tenant.token,
    )
    rules = await safety.q(
        "query($c: ID!) { safetyRules(communityId: $c) { type enabled threshold } }",
        {"c": site.community},
        token=site.tenant.token,
    )
    assert {"type": "fire_lane_blocked", "enabled": True, "threshold": 600.0} in rules[
        "safetyRules"
    ]


async def test_ebike_in_lift_holds_the_doors_through_a_device_command(safety, runtime):
    site = await safety.site()
    lift, token = await safety.provision(site, "lift_controller", "3幢1号梯")
    await safety.q(
        "mutation { setSafetyRule(type: ebike_in_lift, threshold: 90) { threshold } }",
        token=site.tenant.token,
    )
    await safety.post(token, {"ebike_detected": True, "floor": 1, "door_open": True})
    await safety.post(
        token, {"ebike_detected": True, "floor": 1}
    )  # still there: counted, no second command
    await safety.deliver(site)
    [alarm] = await safety.alarms(site)
    assert (alarm["type"], alarm["floorFrom"], alarm["count"]) == ("ebike_in_lift", 1, 2)
    async with runtime.db.tenant(site.tenant.tenant_id) as s:
        calls = list(await s.scalars(select(RpcCall).where(RpcCall.device_id == node_uuid(lift))))
    assert [(c.method, c.params, c.status) for c in calls] == [
        ("hold_doors", {"seconds": 90, "reason": "ebike_in_lift"}, "queued")
    ]
    assert alarm["liftCommandId"] == str(calls[0].id)
    # the lift polls its command like any ThingsBoard device
    r = await safety.gql.http.get(f"/api/v1/{token}/rpc", params={"timeout": 1000})
    assert (
        r.status_code == 200
        and r.json()["method"] == "hold_doors"
        and r.json()["params"]["seconds"] == 90
    )


async def test_device_alarms_of_generic_profiles_are_taken_over(safety, runtime):
    site = await safety.site()
    _, smoke = await safety.provision(site, "smoke_detector", "3幢12层烟感", place=site.unit)
    lift, elevator = await safety.provision(site, "elevator_monitor", "3幢2号梯")
    await safety.post(smoke, {"smoke": True})
    await safety.post(elevator, {"ebike_detected": True, "floor": 5})
    await safety.deliver(site)
    alarms = {a["type"]: a for a in await safety.alarms(site)}
    assert set(alarms) == {"smoke", "ebike_in_lift"}
    assert (
        alarms["smoke"]["severity"] == "critical" and alarms["smoke"]["buildingId"] == site.building
    )  # unit → building
    # the kernel's device alarm opened the order; the safety alarm links that same order
    orders = await safety.work_orders(site)
    assert len(orders) == 2 and {
        alarms["smoke"]["workOrderId"],
        alarms["ebike_in_lift"]["workOrderId"],
    } == set(orders)
    assert (
        alarms["smoke"]["workOrderRef"].startswith("alarm:")
        and alarms["smoke"]["workOrderRef"] != f"alarm:{node_uuid(alarms['smoke']['id'])}"
    )
    async with runtime.db.tenant(site.tenant.tenant_id) as s:
        methods = list(
            await s.scalars(select(RpcCall.method).where(RpcCall.device_id == node_uuid(lift)))
        )
    assert methods == ["hold_doors"]
    assert len(await safety.notifications(site)) == 2


async def test_acknowledge_arrive_resolve_false_alarm_and_statistics(safety):
    site = await safety.site()
    _, gas = await safety.provision(site, "gas_detector", "3幢厨房燃气")
    _, leak = await safety.provision(site, "water_leak_sensor", "地下泵房")
    _, fence = await safety.provision(site, "perimeter_sensor", "东侧围墙")
    await safety.post(gas, {"gas_leak": False, "gas_lel": 30})  # over the default 25 %LEL
    await safety.post(leak, {"water_leak": True})
    await safety.post(fence, {"intrusion": True, "zone": "E2"})
    await safety.deliver(site)
    alarms = {a["type"]: a for a in await safety.alarms(site)}
    assert {k: v["severity"] for k, v in alarms.items()} == {
        "gas_leak": "critical",
        "water_leak": "major",
        "perimeter_intrusion": "critical",
    }
    token = site.staff.token
    gas_id, leak_id, fence_id = (
        alarms["gas_leak"]["id"],
        alarms["water_leak"]["id"],
        alarms["perimeter_intrusion"]["id"],
    )
    assert (await safety.q(ACK, {"i": gas_id}, token=token))["acknowledgeSafetyAlarm"][
        "status"
    ] == "acknowledged"
    d = await safety.q(ARRIVE, {"i": gas_id}, token=token)
    assert d["arriveAtSafetyAlarm"]["status"] == "arrived"
    d = await safety.q(RESOLVE, {"i": gas_id, "n": "阀门已关闭", "f": False}, token=token)
    assert d["resolveSafetyAlarm"]["status"] == "resolved"
    # arriving first acknowledges too
    d = await safety.q(ARRIVE, {"i": leak_id}, token=token)
    assert d["arriveAtSafetyAlarm"]["acknowledgedAt"] == d["arriveAtSafetyAlarm"]["arrivedAt"]
    d = await safety.q(RESOLVE, {"i": fence_id, "n": "野猫触发红外对射", "f": True}, token=token)
    assert d["resolveSafetyAlarm"]["falseAlarm"] is True
    # coded errors: twice, wrong order, no reason for a false alarm
    r = await safety.gql(ACK, {"i": gas_id}, token=token)
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    r = await safety.gql(RESOLVE, {"i": leak_id, "n": "", "f": True}, token=token)
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    stats = await safety.q(
        "query($c: ID!) { safetyAlarmStats(communityId: $c) { type total open falseAlarms falseAlarmRateBp "
        "meanSecondsToAcknowledge meanSecondsToResolve } }",
        {"c": site.community},
        token=site.tenant.token,
    )
    by_type = {s["type"]: s for s in stats["safetyAlarmStats"]}
    assert (
        by_type["perimeter_intrusion"]["falseAlarmRateBp"] == 10_000
        and by_type["perimeter_intrusion"]["falseAlarms"] == 1
    )
    assert (
        by_type["gas_leak"]["falseAlarmRateBp"] == 0
        and by_type["gas_leak"]["meanSecondsToResolve"] >= 0
    )
    assert by_type["water_leak"]["open"] == 1 and by_type["water_leak"]["falseAlarmRateBp"] is None
    # filters
    assert [a["type"] for a in await safety.alarms(site, openOnly="true")] == ["water_leak"]
    assert [a["type"] for a in await safety.alarms(site, falseAlarm="true")] == [
        "perimeter_intrusion"
    ]
    # mark a resolved alarm false afterwards
    d = await safety.q(
        'mutation($i: ID!) { markSafetyFalseAlarm(id: $i, note: "测试报警") { falseAlarm status } }',
        {"i": gas_id},
        token=token,
    )
    assert d["markSafetyFalseAlarm"] == {"falseAlarm": True, "status": "resolved"}


async def test_coded_errors_permissions_and_tenant_isolation(safety, actor, enable_plugin):
    site = await safety.site()
    other = await safety.site("rival")
    _, token = await safety.provision(other, "water_leak_sensor", "对面泵房")
    await safety.post(token, {"water_leak": True})
    await safety.deliver(other)
    [theirs] = await safety.alarms(other)
    assert await safety.alarms(site) == []
    # another firm's id is NOT_FOUND on every path
    r = await safety.gql(ACK, {"i": theirs["id"]}, token=site.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    r = await safety.gql(
        "query($i: ID!) { safetyAlarm(id: $i) { id } }",
        {"i": theirs["id"]},
        token=site.tenant.token,
    )
    assert r["data"]["safetyAlarm"] is None
    r = await safety.gql(
        "mutation($c: ID!) { setSafetyRule(type: smoke, communityId: $c) { enabled } }",
        {"c": other.community},
        token=site.tenant.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # bad input
    for mutation, field in (
        ("setSafetyRule(type: fire_lane_blocked, threshold: 5)", "threshold"),
        ("setSafetyRule(type: smoke, threshold: 10)", "threshold"),
        ("setSafetyRule(type: smoke, ackWithinSeconds: 1)", "ackWithinSeconds"),
    ):
        r = await safety.gql("mutation { " + mutation + " { enabled } }", token=site.tenant.token)
        assert (
            r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            and r["errors"][0]["extensions"]["field"] == field
        ), r
    r = await safety.gql(
        'mutation { acknowledgeSafetyAlarm(id: "bm90LWFuLWlk") { status } }',
        token=site.tenant.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # time windows: reversed, or without a time zone
    r = await safety.gql(
        'query { safetyAlarmStats(since: "2026-12-07T10:00:00+00:00", until: "2026-12-07T09:00:00+00:00") { total } }',
        token=site.tenant.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    r = await safety.gql(
        'query { safetyAlarms(since: "2026-12-07T10:00:00") { edges { node { id } } } }',
        token=site.tenant.token,
    )
    assert (
        r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        and r["errors"][0]["extensions"]["field"] == "since"
    )
    # a resident may not see alarms; a technician may respond but not configure
    resident = await actor(site.tenant, "resident")
    r = await safety.gql("query { safetyAlarms { edges { node { id } } } }", token=resident.token)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    tech = await actor(site.tenant, "technician")
    r = await safety.gql(
        "mutation { setSafetyRule(type: smoke, enabled: false) { enabled } }", token=tech.token
    )
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a firm that has not enabled the plugin: PLUGIN_DISABLED, and its devices raise nothing
    plain = await safety.site("plain", plugins=("workorders",))
    r = await safety.gql(
        "query { safetyAlarms { edges { node { id } } } }", token=plain.tenant.token
    )
    assert r["errors"][0]["extensions"]["code"] == "PLUGIN_DISABLED"
    _, t2 = await safety.provision(plain, "water_leak_sensor", "泵房")
    await safety.post(t2, {"water_leak": True})
    await safety.deliver(plain)
    assert await safety.work_orders(plain) == {}
    await enable_plugin(plain.tenant, "safety")
    assert await safety.alarms(plain) == []
