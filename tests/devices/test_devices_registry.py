"""Registry and HTTP ingestion through the real gateway on SQLite and PostgreSQL (RLS on)."""

from __future__ import annotations

import time

from sqlalchemy import select, text

from kernel.devices.models import DeviceCredential, TelemetryPoint
from kernel.identity.tokens import digest


async def test_provision_returns_token_once_and_stores_only_its_digest(dev, runtime):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate)
    assert len(token) >= 30
    async with runtime.db.platform() as s:
        rows = list(await s.scalars(select(DeviceCredential)))
    mine = [r for r in rows if r.tenant_id == estate.tenant.tenant_id]
    assert [r.token_digest for r in mine] == [digest(token)]
    async with runtime.db.tenant(estate.tenant.tenant_id) as s:
        dumped = str((await s.execute(text("SELECT * FROM devices"))).all())
    assert token not in dumped and token[:4] in dumped  # only a 4-character hint
    r = await dev.gql("query($d: ID!) { device(id: $d) { name tokenHint revoked online placeKind placeId communityId } }", {"d": device_id}, token=estate.tenant.token)
    d = r["data"]["device"]
    assert d["tokenHint"] == token[:4] and d["revoked"] is False and d["online"] is False
    assert d["placeKind"] == "building" and d["placeId"] == estate.building and d["communityId"] == estate.community


async def test_thingsboard_payload_forms_are_stored_with_latest_values(dev):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate)
    now = int(time.time() * 1000)
    assert (await dev.post(token, {"temperature": 21.5, "humidity": 40})).status_code == 200
    assert (await dev.post(token, {"ts": now - 60_000, "values": {"pm25": 35}})).status_code == 200
    r = await dev.post(token, [{"ts": now - 120_000, "values": {"temperature": 10}}, {"ts": now + 1000, "values": {"noise": 55.5}}])
    assert r.status_code == 200, r.text
    latest = await dev.latest(estate, device_id)
    # the older temperature (10) did not overwrite the newer one
    assert latest == {"temperature": 21.5, "humidity": 40, "pm25": 35, "noise": 55.5}
    # the same (key, ts) again — a redelivery — is accepted and stored once, batch neighbours too
    repeat = [{"ts": now - 60_000, "values": {"pm25": 35}}, {"ts": now - 30_000, "values": {"pm25": 36}}]
    assert (await dev.post(token, repeat)).status_code == 200
    async with dev.runtime.db.tenant(estate.tenant.tenant_id) as s:
        rows = (await s.scalars(select(TelemetryPoint.ts).where(TelemetryPoint.key == "pm25").order_by(TelemetryPoint.ts))).all()
    assert list(rows) == [now - 60_000, now - 30_000]
    assert (await dev.post(token, {"firmware": "1.2.0", "model": "ES-3"}, kind="attributes")).status_code == 200
    r = await dev.gql("query($d: ID!) { device(id: $d) { online attributes lastActivityAt } }", {"d": device_id}, token=estate.tenant.token)
    d = r["data"]["device"]
    assert d["online"] is True and d["attributes"] == {"firmware": "1.2.0", "model": "ES-3"} and d["lastActivityAt"]
    await dev.deliver(estate)
    assert [e.payload["device_id"] for e in dev.events("device.online", estate)] == [str(await dev.device_uuid(device_id))]


async def test_bad_messages_get_coded_errors_and_write_nothing(dev):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate)
    now = int(time.time() * 1000)
    cases = [
        (b"{not json", 400, "BAD_USER_INPUT"),
        (b'{"temperature": "hot", "humidity": 10}', 400, "BAD_USER_INPUT"),
        (b'{"humidity": 10, "temperature": 999}', 400, "BAD_USER_INPUT"),  # out of the valid range
        (b'{"humidity": 10, "voltage": 3}', 400, "BAD_USER_INPUT"),  # not a key of the profile
        (f'{{"ts": {now + 86_400_000}, "values": {{"humidity": 10}}}}'.encode(), 400, "BAD_USER_INPUT"),  # far future
        (b'[{"ts": 1700000000000, "values": {"humidity": 10}}, 5]', 400, "BAD_USER_INPUT"),
        (b'{"humidity": 10, "pm25": ' + b"1" * 70_000 + b"}", 413, "PAYLOAD_TOO_LARGE"),
        (b"[]", 400, "BAD_USER_INPUT"),
        (b'{"humidity": true}', 400, "BAD_USER_INPUT"),
    ]
    for raw, status, code in cases:
        r = await dev.post(token, None, raw=raw)
        assert r.status_code == status, (raw[:60], r.text)
        assert r.json()["error"]["code"] == code
    assert await dev.latest(estate, device_id) == {}  # nothing half-written: humidity never stored
    r = await dev.gql("query($d: ID!) { device(id: $d) { online } }", {"d": device_id}, token=estate.tenant.token)
    assert r["data"]["device"]["online"] is False


async def test_unknown_rotated_and_revoked_tokens_stop_at_once(dev):
    estate = await dev.estate()
    device_id, token = await dev.provision(estate)
    assert (await dev.post("no-such-token", {"temperature": 1})).status_code == 401
    assert (await dev.post(token, {"temperature": 1})).status_code == 200
    r = await dev.gql("mutation($d: ID!) { rotateDeviceToken(id: $d) { token device { tokenHint } } }", {"d": device_id}, token=estate.tenant.token)
    new = r["data"]["rotateDeviceToken"]["token"]
    assert new != token and r["data"]["rotateDeviceToken"]["device"]["tokenHint"] == new[:4]
    assert (await dev.post(token, {"temperature": 2})).status_code == 401
    assert (await dev.post(new, {"temperature": 3})).status_code == 200
    r = await dev.gql("mutation($d: ID!) { revokeDeviceToken(id: $d) { revoked tokenHint online } }", {"d": device_id}, token=estate.tenant.token)
    assert r["data"]["revokeDeviceToken"] == {"revoked": True, "tokenHint": None, "online": False}
    r = await dev.post(new, {"temperature": 4})
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    assert (await dev.latest(estate, device_id))["temperature"] == 3


async def test_rate_limits_per_device_and_per_tenant(dev, runtime):
    from kernel.devices.config import DeviceSettings

    runtime.services["device_settings"] = DeviceSettings(device_rate_per_second=0.001, device_burst=3, tenant_rate_per_second=0.001, tenant_burst=5)
    runtime.services.pop("device_rate_limiter", None)
    estate = await dev.estate()
    _, a = await dev.provision(estate, name="a")
    _, b = await dev.provision(estate, name="b")
    codes = [(await dev.post(a, {"temperature": i})).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    codes = [(await dev.post(b, {"temperature": i})).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # the tenant's budget of 5 is spent
    r = await dev.post(b, {"temperature": 9})
    assert r.json()["error"]["code"] == "RATE_LIMITED"


async def test_tenant_isolation_of_devices(dev, gql):
    a = await dev.estate("a")
    b = await dev.estate("b")
    device_id, token = await dev.provision(a)
    assert (await dev.post(token, {"temperature": 20})).status_code == 200
    r = await gql("query($d: ID!) { device(id: $d) { name latest { key } } }", {"d": device_id}, token=b.tenant.token)
    assert r["data"]["device"] is None
    r = await gql("query($d: ID!) { node(id: $d) { id } }", {"d": device_id}, token=b.tenant.token)
    assert r["data"]["node"] is None
    r = await gql("query { devices { edges { node { id } } } }", token=b.tenant.token)
    assert r["data"]["devices"]["edges"] == []
    for m in ("rotateDeviceToken(id: $d) { token }", "revokeDeviceToken(id: $d) { revoked }"):
        r = await gql(f"mutation($d: ID!) {{ {m} }}", {"d": device_id}, token=b.tenant.token)
        assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND", r
    r = await gql('mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "open") { status } }', {"d": device_id}, token=b.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # B cannot place a device in A's building
    r = await gql(
        "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token } }",
        {"i": {"name": "x", "type": "water_meter", "placeId": a.building}}, token=b.tenant.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND" and r["data"] is None
    # A's token still works and wrote only A's device
    assert (await dev.post(token, {"temperature": 21})).status_code == 200


async def test_device_filters_profiles_and_csv_provisioning(dev, gql):
    estate = await dev.estate()
    csv = f"name,type,place_id,serial\n1号门禁,access_gate,{estate.building},AG-1\n101水表,water_meter,{estate.unit},WM-1\n"
    r = await gql("mutation($c: String!) { provisionDevicesCsv(csvText: $c) { token device { name type placeKind } } }", {"c": csv}, token=estate.tenant.token)
    assert not r.get("errors"), r
    made = r["data"]["provisionDevicesCsv"]
    assert [(m["device"]["name"], m["device"]["placeKind"]) for m in made] == [("1号门禁", "building"), ("101水表", "unit")]
    assert len({m["token"] for m in made}) == 2
    bad = f"name,type,place_id\nok,water_meter,{estate.unit}\nbad,no_such_type,{estate.unit}\n"
    r = await gql("mutation($c: String!) { provisionDevicesCsv(csvText: $c) { token } }", {"c": bad}, token=estate.tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "line 3" in r["errors"][0]["message"]
    r = await gql('query { devices(type: "water_meter") { edges { node { name } } } }', token=estate.tenant.token)
    assert [e["node"]["name"] for e in r["data"]["devices"]["edges"]] == ["101水表"]  # the bad CSV wrote nothing
    r = await gql("query($p: ID!) { devices(placeId: $p) { edges { node { name } } } }", {"p": estate.building}, token=estate.tenant.token)
    assert [e["node"]["name"] for e in r["data"]["devices"]["edges"]] == ["1号门禁"]
    r = await gql("query($c: ID!) { devices(communityId: $c, online: false) { edges { node { name } } } }", {"c": estate.community}, token=estate.tenant.token)
    assert len(r["data"]["devices"]["edges"]) == 2
    r = await gql("query { deviceProfiles { type telemetry { key unit minimum maximum } alarms { name severity } commands { method } } }", token=estate.tenant.token)
    types = {p["type"]: p for p in r["data"]["deviceProfiles"]}
    assert {"access_gate", "barrier_gate", "smoke_detector", "elevator_monitor", "ebike_shed_camera", "environment_sensor", "water_meter", "elder_wristband"} <= set(types)
    hr = next(k for k in types["elder_wristband"]["telemetry"] if k["key"] == "heart_rate")
    assert hr == {"key": "heart_rate", "unit": "bpm", "minimum": 0.0, "maximum": 250.0}
    assert {"sos", "fall"} <= {a["name"] for a in types["elder_wristband"]["alarms"]}
    assert {"open", "lock"} == {c["method"] for c in types["access_gate"]["commands"]}


async def test_a_device_names_its_building_whether_placed_on_the_building_or_on_a_unit(dev):
    """``buildingId`` places a device on the dashboard's plan: its own building, its unit's
    building, or null when it stands for the whole community."""
    estate = await dev.estate()
    on_building, _ = await dev.provision(estate)
    in_unit, _ = await dev.provision(estate, place=estate.unit)
    on_community, _ = await dev.provision(estate, place=estate.community)
    query = "query($d: ID!) { device(id: $d) { placeKind buildingId } }"
    found = {}
    for device in (on_building, in_unit, on_community):
        r = await dev.gql(query, {"d": device}, token=estate.tenant.token)
        assert "errors" not in r, r
        found[device] = r["data"]["device"]
    assert found[on_building] == {"placeKind": "building", "buildingId": estate.building}
    assert found[in_unit] == {"placeKind": "unit", "buildingId": estate.building}
    assert found[on_community] == {"placeKind": "community", "buildingId": None}


async def test_alarms_narrow_to_one_community(dev, gql):
    """``alarms(communityId:)``: the dashboard's live panel reads only its community's alarms."""
    estate = await dev.estate()
    token = estate.tenant.token
    other = await gql('mutation { createCommunity(code: "C2", name: "和睦园") { id } }', token=token)
    other_id = other["data"]["createCommunity"]["id"]
    here, here_token = await dev.provision(estate, type_="elder_wristband", name="here")
    there, there_token = await dev.provision(estate, type_="elder_wristband", place=other_id, name="there")
    for t in (here_token, there_token):
        assert (await dev.post(t, {"sos": True})).status_code == 200
    query = "query($c: ID) { alarms(communityId: $c, openOnly: true) { edges { node { device { id } } } } }"
    found = {}
    for community in (estate.community, other_id, None):
        r = await gql(query, {"c": community}, token=token)
        assert "errors" not in r, r
        found[community] = sorted(e["node"]["device"]["id"] for e in r["data"]["alarms"]["edges"])
    assert found[estate.community] == [here]
    assert found[other_id] == [there]
    assert found[None] == sorted([here, there])
    bad = await gql(query, {"c": here}, token=token)  # a device's id is not a community's
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
