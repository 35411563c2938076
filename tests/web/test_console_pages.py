"""The staff console's operating pages in headless Chromium: an alarm raised by a device appears
live (alarmChanges over WebSocket) and the device's telemetry is charted; a billing run with its
progress, then a counter payment; a proposal drafted, published and opened in the console, voted
on chain, its result charted and made final; the units' CSV import (the error report downloaded,
then a good file); notices; the scenario plugins' list pages only where enabled and permitted —
each page checked with axe-core (no serious or critical violations)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from test_console import menu, sign_in, wait_for

pytestmark = pytest.mark.browser

PLACE = "{ communities(first: 1) { edges { node { id buildings(first: 1) { edges { node { id } } } } } } }"


def admin_token(page: Any) -> str:
    return str(
        page.evaluate("JSON.parse(sessionStorage.getItem('linli.console.session')).accessToken")
    )


def post_telemetry(server: Any, token: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/{token}/telemetry",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own 127.0.0.1 server
        assert answer.status == 200


def test_an_alarm_appears_live_and_the_device_is_charted(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    staff = web_server.token("demo-staff")
    community = web_server.graphql(PLACE, token=staff)["data"]["communities"]["edges"][0]["node"]
    building = community["buildings"]["edges"][0]["node"]["id"]
    provisioned = web_server.graphql(
        'mutation($p: ID!) { provisionDevice(input: {name: "3幢王奶奶的手环", type: "elder_wristband", placeId: $p}) { token device { id } } }',
        {"p": building},
        token=staff,
    )
    assert "errors" not in provisioned, provisioned
    device_token = provisioned["data"]["provisionDevice"]["token"]
    now_ms = int(time.time() * 1000)
    for i in range(12):  # six hours of heart rate, every 30 minutes, for the chart
        reading = {"heart_rate": 68 + (i * 7) % 15, "sos": False}
        post_telemetry(
            web_server, device_token, {"ts": now_ms - (12 - i) * 1_800_000, "values": reading}
        )

    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="设备告警").click()
    page.get_by_test_id("alarms").wait_for()
    page.get_by_test_id("live").get_by_text("实时").wait_for()
    assert "3幢王奶奶的手环" not in page.get_by_test_id("alarms").inner_text()
    axe(page)
    # the button on the wristband is pressed: the alarm arrives over the WebSocket, no reload
    post_telemetry(web_server, device_token, {"sos": True})
    row = page.get_by_test_id("alarms").locator("tr", has_text="3幢王奶奶的手环")
    row.wait_for(timeout=5_000)
    assert "新" in row.inner_text() and "紧急" in row.inner_text() and "未处理" in row.inner_text()
    axe(page)
    shot(page, "alarms")
    row.get_by_role("button", name="确认").click()
    page.get_by_test_id("alarms").locator("tr", has_text="3幢王奶奶的手环").get_by_text(
        "已确认"
    ).wait_for()

    page.get_by_role("menuitem", exact=True, name="设备").click()
    device = page.get_by_test_id("devices").get_by_role("button", name="3幢王奶奶的手环")
    device.click()
    details = page.get_by_test_id("device-details")
    details.get_by_label("最新数据").get_by_text("heart_rate").wait_for()
    details.get_by_test_id("telemetry-chart").locator("canvas").wait_for()
    assert (
        "在线"
        in page.get_by_test_id("devices").locator("tr", has_text="3幢王奶奶的手环").inner_text()
    )
    axe(page)
    shot(page, "devices")


def test_run_billing_with_progress_then_record_a_payment(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    sign_in(page, web_server)
    item = web_server.graphql(
        'mutation { createFeeItem(input: {code: "PM", name: "物业服务费", kind: area, unitPrice: 150}) { id } }',
        token=admin_token(page),
    )
    assert "errors" not in item, item
    page.get_by_role("menuitem", exact=True, name="物业费").click()
    page.get_by_test_id("collection-stats").wait_for()
    page.get_by_label("账期").fill("2026-11")
    page.get_by_role("button", name="生成账单").click()
    progress = page.get_by_test_id("billing-progress")
    progress.get_by_text("已完成：新建 40 张，已有 0 张").wait_for()
    assert progress.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    page.get_by_test_id("billing-runs").locator("tbody tr", has_text="2026-11").first.wait_for()
    page.get_by_test_id("collection-stats").get_by_text("0%").wait_for()
    axe(page)
    shot(page, "fees")
    # a second run of the same period creates nothing new
    page.get_by_role("button", name="生成账单").click()
    progress.get_by_text("已完成：新建 0 张，已有 40 张").wait_for()

    page.get_by_role("tab", name="账单与缴费").click()
    bills = page.get_by_test_id("bills")
    bills.locator("tbody tr").first.wait_for()
    assert bills.locator("tbody tr").count() == 40
    first = bills.locator("tbody tr").first
    unit = first.locator("td").nth(1).inner_text().strip()
    first.get_by_role("button", name="登记缴费").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("收据号").fill("COUNTER-0001")
    dialog.get_by_role("button", name="登记缴费").click()
    paid = bills.locator("tbody tr", has_text="已缴清")
    paid.wait_for()
    assert "已缴清" in paid.inner_text() and unit in paid.inner_text()
    axe(page)


def test_publish_a_proposal_and_see_its_results(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    from fixtures.governance_votes import close_with_many_votes
    from strawberry import relay

    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="业主共同决定").click()
    page.get_by_role("button", name="起草表决事项").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("标题").fill("更换 1 幢电梯")
    dialog.get_by_label("内容").fill("使用维修资金更换 1 幢两部电梯，预算 60 万元。")
    dialog.get_by_role("button", name="起草表决事项").click()
    row = page.get_by_test_id("proposals").locator("tr", has_text="更换 1 幢电梯")
    row.get_by_text("草稿").wait_for()
    axe(page)
    row.get_by_role("button", name="发布").click()
    row.get_by_text("已发布").wait_for()
    row.get_by_role("button", name="开始投票").click()
    row.get_by_text("投票中").wait_for()
    gid = row.get_by_role("button", name="更换 1 幢电梯").get_attribute("data-proposal")
    admin = admin_token(page)
    wait_for(
        lambda: web_server.graphql(
            "query($id: ID!) { proposal(id: $id) { chainProposalId } }", {"id": gid}, token=admin
        )["data"]["proposal"]["chainProposalId"],
        within=60,
        what="the proposal on chain",
    )
    # the owners vote (on chain), the window passes and the committee closes the vote
    closed = web_server.run(
        close_with_many_votes(
            web_server.thread.runtime, web_server.tenant_id, relay.GlobalID.from_id(gid).node_id
        ),
        timeout=180,
    )
    assert closed["status"] == "objection", closed
    page.get_by_role("button", name="刷新").click()
    row.get_by_text("异议期").wait_for()
    row.get_by_role("button", name="更换 1 幢电梯").click()
    results = page.get_by_test_id("results")
    results.get_by_text("参与已达门槛").wait_for()
    assert "通过" in results.inner_text()
    results.locator("canvas").wait_for()
    axe(page)
    shot(page, "governance")

    # the objection period passes: the committee makes the result final from the console
    from kernel.chain import devchain
    from kernel.sdk import chain_client

    async def later() -> None:
        await devchain.increase_time(await chain_client(web_server.thread.runtime), 30 * 24 * 3600)

    web_server.run(later())
    row.get_by_role("button", name="确认结果").click()

    def final() -> bool:
        page.get_by_role("button", name="刷新").click()
        return row.get_by_text("已生效").count() > 0

    wait_for(final, within=30, what="the proposal final")


def test_import_units_error_report_then_a_good_file(
    page: Any, web_server: Any, axe: Any, shot: Any, tmp_path: Any
) -> None:
    header = "building,unit,floor,area_m2,sold,owner_name,owner_phone,owner_id_number,co_owner_name,co_owner_id_number\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header + "9幢,901,9,89.63,true,张三,13812345678,,,\n9幢,902,九,abc,true,李四,,,,\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        header + "9幢,901,9,89.63,true,张三,13812345678,,,\n9幢,902,9,120.50,true,李四,,,,\n",
        encoding="utf-8",
    )

    sign_in(page, web_server)
    page.get_by_role("menuitem", exact=True, name="房产").click()
    page.get_by_test_id("communities").locator("tbody tr").first.wait_for()
    page.get_by_role("button", name="导入房屋（CSV）").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("import-file").set_input_files(str(bad))
    dialog.get_by_role("button", name="开始导入").click()
    result = dialog.get_by_test_id("import-result")
    result.get_by_text("未写入任何数据").wait_for()
    assert (
        dialog.get_by_test_id("import-progress")
        .get_by_role("progressbar")
        .get_attribute("aria-valuenow")
        == "100"
    )
    axe(page)
    shot(page, "import-errors")
    with page.expect_download() as download:
        dialog.get_by_test_id("import-report").click()
    report = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "line,column,message" and len(report) >= 2 and report[1].startswith("3,")

    dialog.get_by_test_id("import-file").set_input_files(str(good))
    dialog.get_by_role("button", name="开始导入").click()
    result.get_by_text("已导入 2 套房屋").wait_for()
    units = web_server.graphql("{ unitCount }", token=admin_token(page))["data"]["unitCount"]
    assert units == 42


def test_notices_inspections_funds_and_the_plugins_pages(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    sign_in(page, web_server)
    titles = menu(page)
    for title in (
        "设备告警",
        "设备",
        "物业费",
        "业主共同决定",
        "维修资金",
        "通知公告",
        "巡检",
        "安全告警",
        "门禁",
        "停车",
        "居家关爱",
        "网格",
        "议事与调查",
    ):
        assert title in titles, (title, titles)

    page.get_by_role("menuitem", exact=True, name="通知公告").click()
    page.get_by_role("button", name="发布通知").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("标题").fill("12月8日停水通知")
    dialog.get_by_label("正文").fill("因管道检修，12月8日9:00-12:00停水。")
    dialog.get_by_role("button", name="保存").click()
    notice = page.get_by_test_id("notices").locator("tr", has_text="12月8日停水通知")
    notice.get_by_text("已发布").wait_for()
    axe(page)
    shot(page, "notices")
    notice.get_by_role("button", name="撤回").click()
    notice.get_by_text("已撤回").wait_for()

    for title, testid in (
        ("巡检", "routes"),
        ("维修资金", "fund-flows"),
        ("安全告警", "safety-alarms"),
        ("门禁", "access-points"),
        ("停车", "parking-lots"),
        ("居家关爱", "care-recipients"),
        ("网格", "grid-grids"),
        ("议事与调查", "participation-topics"),
    ):
        page.get_by_role("menuitem", exact=True, name=title).click()
        page.get_by_role("heading", name=title, exact=True).wait_for()
        page.get_by_test_id(testid).wait_for()
        axe(page)
    page.get_by_role("menuitem", exact=True, name="安全告警").click()
    page.get_by_role("tab", name="升级规则").click()
    page.get_by_test_id("safety-escalations").wait_for()
    # in English: the page, its tabs and columns
    page.locator(".el-radio-button", has_text="English").click()
    page.get_by_role("heading", name="Safety", exact=True).wait_for()
    page.get_by_role("tab", name="Escalations").wait_for()
    assert "Acknowledge within (s)" in page.get_by_test_id("safety-escalations").inner_text()
    page.get_by_role("menuitem", exact=True, name="Fees").click()
    page.get_by_role("tab", name="Bills and payments").wait_for()
    page.get_by_role("button", name="Run billing").wait_for()
    axe(page)
    page.locator(".el-radio-button", has_text="中文").click()

    # a technician is not offered the fees or governance pages; a disabled plugin's page is gone
    def console_pages(token: str) -> set[str]:
        return {
            p["key"]
            for p in web_server.graphql('{ webPages(client: "console") { key } }', token=token)[
                "data"
            ]["webPages"]
        }

    tech = console_pages(web_server.token("demo-tech"))
    assert "alarms" in tech and "fees" not in tech and "governance" not in tech
    admin = admin_token(page)
    assert "parking" in console_pages(admin)
    off = web_server.graphql('mutation { disablePlugin(name: "parking") { enabled } }', token=admin)
    assert off["data"]["disablePlugin"]["enabled"] is False, off
    try:
        assert "parking" not in console_pages(admin)
        page.reload()
        wait_for(lambda: "门禁" in menu(page), what="the menu")
        assert "停车" not in menu(page)
    finally:
        web_server.graphql('mutation { enablePlugin(name: "parking") { enabled } }', token=admin)
