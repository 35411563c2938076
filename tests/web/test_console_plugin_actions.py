"""The scenario plugins' staff actions in the console (issue #15), in headless Chromium against
the real app: safety — a thrown-object alarm acknowledged then resolved with a note, another
marked false; access — a courier's pass created (its code shown once) and revoked, a plate
blacklisted and removed; parking — a car park created with its tariff. Each result is read back
through GraphQL; each page checked with axe-core (no serious or critical violations)."""

from __future__ import annotations

from typing import Any

import pytest
from test_console import sign_in, wait_for
from test_console_pages import PLACE, admin_token, post_telemetry

pytestmark = pytest.mark.browser

THROWN = {"thrown_object": True, "floor_from": 9, "floor_to": 9, "clip_ref": "nvr-1/0001"}
ALARMS = "{ safetyAlarms(first: 100) { edges { node { id location status falseAlarm resolutionNote } } } }"


def _alarm(server: Any, token: str, location: str) -> dict[str, Any] | None:
    answer = server.graphql(ALARMS, token=token)
    assert "errors" not in answer, answer
    found = [
        e["node"]
        for e in answer["data"]["safetyAlarms"]["edges"]
        if e["node"]["location"] == location
    ]
    return found[0] if found else None


def test_safety_acknowledge_resolve_and_mark_false(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    staff = web_server.token("demo-staff")
    community = web_server.graphql(PLACE, token=staff)["data"]["communities"]["edges"][0]["node"]
    building = community["buildings"]["edges"][0]["node"]["id"]
    cameras = {}
    for name in ("5幢南立面摄像头", "6幢北立面摄像头"):
        provisioned = web_server.graphql(
            "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token } }",
            {"i": {"name": name, "type": "thrown_object_camera", "placeId": building}},
            token=staff,
        )
        assert "errors" not in provisioned, provisioned
        cameras[name] = provisioned["data"]["provisionDevice"]["token"]
        post_telemetry(web_server, cameras[name], THROWN)
    for name in cameras:
        wait_for(
            lambda n=name: _alarm(web_server, staff, n), within=30, what=f"the alarm of {name}"
        )

    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="安全告警").click()
    table = page.get_by_test_id("safety-alarms")
    first = table.locator("tr", has_text="5幢南立面摄像头")
    first.get_by_role("button", name="确认").wait_for()
    axe(page)
    first.get_by_role("button", name="确认").click()
    first.get_by_text("acknowledged").wait_for()
    assert _alarm(web_server, staff, "5幢南立面摄像头")["status"] == "acknowledged"  # type: ignore[index]
    first.get_by_role("button", name="处理完毕").click()
    dialog = page.get_by_role("dialog", name="处理完毕")
    dialog.get_by_label("处理说明").fill("已清理坠物，监控已存档")
    axe(page)
    dialog.get_by_role("button", name="保存").click()
    first.get_by_text("resolved").wait_for()
    resolved = _alarm(web_server, staff, "5幢南立面摄像头")
    assert resolved and resolved["status"] == "resolved" and not resolved["falseAlarm"]
    assert "已清理坠物" in resolved["resolutionNote"]
    shot(page, "safety-actions")

    second = table.locator("tr", has_text="6幢北立面摄像头")
    second.get_by_role("button", name="标记误报").click()
    dialog = page.get_by_role("dialog", name="标记误报")
    dialog.get_by_label("误报原因").fill("录像显示是飞鸟")
    dialog.get_by_role("button", name="保存").click()
    wait_for(
        lambda: (_alarm(web_server, staff, "6幢北立面摄像头") or {}).get("falseAlarm"),
        what="the alarm marked false",
    )
    false = _alarm(web_server, staff, "6幢北立面摄像头")
    assert false and false["status"] == "resolved" and "飞鸟" in false["resolutionNote"]
    second.get_by_role("button", name="标记误报").wait_for(state="detached")

    # in English: the actions' words
    page.locator(".el-radio-button", has_text="English").click()
    page.get_by_role("heading", name="Safety", exact=True).wait_for()
    assert "False alarm" in table.inner_text()
    page.locator(".el-radio-button", has_text="中文").click()


def test_access_courier_pass_and_blacklist(page: Any, web_server: Any, axe: Any, shot: Any) -> None:
    sign_in(page, web_server)
    admin = admin_token(page)
    community = web_server.graphql(PLACE, token=admin)["data"]["communities"]["edges"][0]["node"]
    point = web_server.graphql(
        'mutation($c: ID!) { createAccessPoint(communityId: $c, name: "东门快递通道", kind: "gate") { id } }',
        {"c": community["id"]},
        token=admin,
    )
    assert "errors" not in point, point

    page.get_by_role("menuitem", exact=True, name="门禁").click()
    page.get_by_role("tab", name="通行证").click()
    page.get_by_test_id("access-passes").wait_for()
    page.get_by_role("button", name="新建快递/服务通行证").click()
    dialog = page.get_by_role("dialog", name="新建快递/服务通行证")
    dialog.get_by_label("姓名").fill("顺丰刘师傅")
    dialog.locator(".el-form-item", has_text="门禁点").locator(".el-select").click()
    page.get_by_role("option", name="东门快递通道").click()
    dialog.get_by_label("可用次数").fill("3")  # closes the multiple select's list
    page.get_by_role("listbox").wait_for(state="hidden")
    axe(page)
    dialog.get_by_role("button", name="保存").click()
    once = page.get_by_test_id("created-once")
    wait_for(lambda: once.count() or dialog.locator(".el-alert").count(), what="an answer")
    assert once.count(), dialog.inner_text()
    once.get_by_text("通行码").wait_for()
    code = once.inner_text()
    passes = web_server.graphql(
        "{ visitorPasses { id kind visitorNameMasked maxEntries status pointIds } }", token=admin
    )["data"]["visitorPasses"]
    [mine] = [
        p for p in passes if p["kind"] == "courier" and p["visitorNameMasked"].startswith("顺")
    ]
    assert (
        mine["status"] == "active"
        and mine["maxEntries"] == 3
        and mine["pointIds"] == [point["data"]["createAccessPoint"]["id"]]
    )
    assert any(ch.isdigit() for ch in code)
    row = page.get_by_test_id("access-passes").locator("tr", has_text=mine["visitorNameMasked"])
    axe(page)
    shot(page, "access-pass")
    row.get_by_role("button", name="作废").click()
    row.get_by_text("revoked").wait_for()
    status = {
        p["id"]: p["status"]
        for p in web_server.graphql("{ visitorPasses { id status } }", token=admin)["data"][
            "visitorPasses"
        ]
    }
    assert status[mine["id"]] == "revoked"

    page.get_by_role("tab", name="黑名单").click()
    page.get_by_test_id("access-blacklist").wait_for()
    page.get_by_role("button", name="加入黑名单").click()
    dialog = page.get_by_role("dialog", name="加入黑名单")
    dialog.get_by_label("车牌", exact=True).fill("沪A12345")
    dialog.get_by_label("原因").fill("多次强行闯闸")
    dialog.get_by_role("button", name="保存").click()
    entry = page.get_by_test_id("access-blacklist").locator("tr", has_text="多次强行闯闸")
    entry.wait_for()
    listed = web_server.graphql("{ accessBlacklist { id plateMasked reason } }", token=admin)
    [barred] = [e for e in listed["data"]["accessBlacklist"] if e["reason"] == "多次强行闯闸"]
    assert barred["plateMasked"] and "12345" not in barred["plateMasked"]  # masked
    axe(page)
    entry.get_by_role("button", name="移出").click()
    entry.wait_for(state="detached")
    listed = web_server.graphql("{ accessBlacklist { id } }", token=admin)
    assert barred["id"] not in {e["id"] for e in listed["data"]["accessBlacklist"]}


def test_parking_create_a_lot_with_its_tariff(page: Any, web_server: Any, axe: Any) -> None:
    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="停车").click()
    page.get_by_test_id("parking-lots").wait_for()
    page.get_by_role("button", name="新建停车场").click()
    dialog = page.get_by_role("dialog", name="新建停车场")
    dialog.get_by_label("名称").fill("东区地面停车场")
    dialog.get_by_label("车位数").fill("80")
    dialog.get_by_label("每小时收费（元）").fill("6")
    dialog.get_by_label("每日封顶（元）").fill("50")
    axe(page)
    dialog.get_by_role("button", name="保存").click()
    row = page.get_by_test_id("parking-lots").locator("tr", has_text="东区地面停车场")
    row.wait_for()
    assert "¥6.00" in row.inner_text()
    lots = web_server.graphql(
        "{ parkingLots { name capacity tariff { hourlyFen dailyCapFen freeMinutes } } }",
        token=admin_token(page),
    )["data"]["parkingLots"]
    [lot] = [x for x in lots if x["name"] == "东区地面停车场"]
    assert lot["capacity"] == 80
    assert lot["tariff"] == {"hourlyFen": 600, "dailyCapFen": 5000, "freeMinutes": 15}
    # a bad tariff is refused with the plugin's message, and nothing is created
    page.get_by_role("button", name="新建停车场").click()
    dialog.get_by_label("名称").fill("坏停车场")
    dialog.get_by_label("车位数").fill("-5")
    dialog.get_by_role("button", name="保存").click()
    refused = dialog.get_by_role("alert")
    refused.wait_for()
    assert "100,000" in refused.inner_text()  # capacity is 0–100,000 spaces
    axe(page)
    dialog.get_by_role("button", name="取消").click()
    assert "坏停车场" not in page.get_by_test_id("parking-lots").inner_text()


def test_inspections_create_a_route_with_its_checkpoints(
    page: Any, web_server: Any, axe: Any
) -> None:
    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="巡检").click()
    page.get_by_test_id("routes").wait_for()
    page.get_by_role("button", name="新建路线").click()
    dialog = page.get_by_role("dialog", name="新建路线")
    dialog.get_by_label("路线名称").fill("夜间消防巡检")
    dialog.get_by_label("巡检点 1 名称").fill("1幢消防泵房")
    dialog.get_by_label("巡检点 1 位置").fill("1幢地下一层")
    dialog.get_by_label("巡检点 2 名称").fill("2幢配电房")
    dialog.get_by_label("巡检点 2 类别").select_option("electrical")
    dialog.get_by_role("button", name="添加巡检点").click()
    dialog.get_by_label("巡检点 3 名称").fill("东门岗亭")
    dialog.get_by_label("巡检点 3 类别").select_option("security")
    axe(page)
    dialog.get_by_role("button", name="保存").click()
    row = page.get_by_test_id("routes").locator("tr", has_text="夜间消防巡检")
    row.wait_for()
    assert "1幢消防泵房、2幢配电房、东门岗亭" in row.inner_text()
    routes = web_server.graphql(
        "{ inspectionRoutes { name active checkpoints { name location category } } }",
        token=admin_token(page),
    )
    assert "errors" not in routes, routes
    [route] = [r for r in routes["data"]["inspectionRoutes"] if r["name"] == "夜间消防巡检"]
    assert route["active"] is True
    assert [(c["name"], c["location"], c["category"]) for c in route["checkpoints"]] == [
        ("1幢消防泵房", "1幢地下一层", "fire"),
        ("2幢配电房", "", "electrical"),
        ("东门岗亭", "", "security"),
    ]
    axe(page)
