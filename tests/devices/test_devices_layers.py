"""The device plugin's layers: the service audits every change it makes (whoever calls it),
pydantic inputs answer BAD_USER_INPUT naming the field with the registry's wording, and the
repository's access rule hides devices and alarms from a reader without the permission."""

from __future__ import annotations

from sqlalchemy import select

from kernel.sdk.repository import Viewer


async def _device_audit(runtime, tenant_id):  # type: ignore[no-untyped-def]
    from kernel.audit import AuditEntry

    async with runtime.db.tenant(tenant_id) as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.action.like("device.%"))
            .order_by(AuditEntry.seq)
        )
        return [tuple(r) for r in rows]


async def test_the_service_audits_provisioning_tokens_and_alarms(dev, gql):
    estate = await dev.estate()
    device_id, token = await dev.provision(
        estate, "elder_wristband", place=estate.unit, name="手环"
    )
    did = str(await dev.device_uuid(device_id))
    for m in ("rotateDeviceToken(id: $d) { token }", "revokeDeviceToken(id: $d) { revoked }"):
        r = await gql(f"mutation($d: ID!) {{ {m} }}", {"d": device_id}, token=estate.tenant.token)
        assert not r.get("errors"), r
    # a new token to raise an alarm with (the revoked one is refused)
    r = await gql(
        "mutation($d: ID!) { rotateDeviceToken(id: $d) { token } }",
        {"d": device_id},
        token=estate.tenant.token,
    )
    token = r["data"]["rotateDeviceToken"]["token"]
    assert (await dev.post(token, {"sos": True})).status_code == 200
    (alarm,) = await dev.alarms(estate, open_only=True)
    for m in ("acknowledgeAlarm", "clearAlarm"):
        r = await gql(
            f"mutation($a: ID!) {{ {m}(id: $a) {{ status }} }}",
            {"a": alarm["id"]},
            token=estate.tenant.token,
        )
        assert not r.get("errors"), r
    aid = str(await dev.device_uuid(alarm["id"]))
    assert await _device_audit(dev.runtime, estate.tenant.tenant_id) == [
        ("device.provisioned", did),
        ("device.token_rotated", did),
        ("device.token_revoked", did),
        ("device.token_rotated", did),
        ("device.alarm_acknowledged", aid),
        ("device.alarm_cleared", aid),
    ]


async def test_provisioning_inputs_answer_bad_user_input_naming_the_field(dev, gql):
    estate = await dev.estate()
    q = "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token } }"
    cases = [
        ({"name": "  "}, "name", "a device name is 1–200 characters"),
        ({"name": "x" * 201}, "name", "a device name is 1–200 characters"),
        ({"type": "toaster"}, "type", "no device profile 'toaster'; known profiles: "),
        (
            {"inactivityTimeoutSeconds": 5},
            "inactivityTimeoutSeconds",
            "the inactivity timeout is 10 s to 7 days",
        ),
        (
            {"inactivityTimeoutSeconds": 7 * 86400 + 1},
            "inactivityTimeoutSeconds",
            "the inactivity timeout is 10 s to 7 days",
        ),
        # the first bad field in the registry's order is the one named
        ({"name": "", "type": "toaster", "inactivityTimeoutSeconds": 5}, "name", "a device name"),
        ({"type": "toaster", "inactivityTimeoutSeconds": 5}, "type", "no device profile"),
    ]
    for bad, field, message in cases:
        i = {"name": "门禁", "type": "access_gate", "placeId": estate.building} | bad
        r = await gql(q, {"i": i}, token=estate.tenant.token)
        err = r["errors"][0]
        assert (
            err["extensions"]["code"] == "BAD_USER_INPUT" and err["extensions"]["field"] == field
        ), (bad, r)
        assert err["message"].startswith(message), (bad, err["message"])
    # a known profile, a trimmed name and a serial cut to 64 characters
    r = await gql(
        "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { device { name serial } } }",
        {
            "i": {
                "name": " 门禁 ",
                "type": "access_gate",
                "placeId": estate.building,
                "serial": "S" * 80,
                "inactivityTimeoutSeconds": 10,
            }
        },
        token=estate.tenant.token,
    )
    assert r["data"]["provisionDevice"]["device"] == {"name": "门禁", "serial": "S" * 64}, r
    r = await gql(
        'mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "open", params: [1]) { status } }',
        {"d": estate.building},
        token=estate.tenant.token,
    )
    assert (
        r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        and r["errors"][0]["message"] == "params must be a JSON object"
    )
    for csv, message in (
        ("name,type\nx,water_meter\n", "the CSV needs a header"),
        ("name,type,place_id\n", "the CSV holds 1 to 1,000 devices"),
    ):
        r = await gql(
            "mutation($c: String!) { provisionDevicesCsv(csvText: $c) { token } }",
            {"c": csv},
            token=estate.tenant.token,
        )
        assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and r["errors"][0][
            "message"
        ].startswith(message), r
    r = await gql(
        "mutation($c: String!) { provisionDevicesCsv(csvText: $c) { token } }",
        {"c": f"name,type,place_id\n,water_meter,{estate.unit}\n"},
        token=estate.tenant.token,
    )
    assert (
        r["errors"][0]["message"] == "line 2: a device name is 1–200 characters"
        and r["errors"][0]["extensions"]["line"] == 2
    )


async def test_the_repository_shows_devices_and_alarms_only_with_their_read_permission(dev):
    from plugins.devices.repository import AlarmRepository, DeviceRepository

    estate = await dev.estate()
    device_id, token = await dev.provision(
        estate, "elder_wristband", place=estate.unit, name="手环"
    )
    assert (await dev.post(token, {"sos": True})).status_code == 200
    did = await dev.device_uuid(device_id)
    nobody = Viewer(account_id=None, label="test")
    only_devices = Viewer(
        account_id=None, label="test", _allowed=lambda obj, act: (obj, act) == ("devices", "read")
    )
    async with dev.runtime.db.tenant(estate.tenant.tenant_id) as s:
        devices_, alarms = DeviceRepository(s), AlarmRepository(s)
        assert [d.id for d in await devices_.list_by(actor=Viewer.system())] == [did]
        assert await devices_.get_by_id(did, actor=only_devices) is not None
        assert await devices_.get_by_id(did, actor=nobody) is None
        assert list(await s.scalars(devices_.filtered(nobody))) == []
        assert [
            d.id
            for d in await s.scalars(
                devices_.filtered(only_devices, type="elder_wristband", revoked=False)
            )
        ] == [did]
        assert list(await s.scalars(devices_.filtered(only_devices, type="water_meter"))) == []
        assert [
            a.rule for a in await s.scalars(alarms.filtered(Viewer.system(), open_only=True))
        ] == ["sos"]
        assert list(await s.scalars(alarms.filtered(only_devices))) == []
