"""The console's regulator and data-protection screens in headless Chromium, on the demo as
``linli demo`` seeds it (the plugins' demo activity: closed repairs, two billing runs mostly paid,
a decision filed with the street office): the street office signs in without a firm, sees only its
own pages, reads its jurisdiction's KPIs (figures, charts, per community and firm) and acknowledges
the filing; the firm's admin, its data protection officer, executes a resident's erasure request
and reads the report per table, and sets a retention period — each screen checked with axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.live_app import chromium_available, serving
from test_console import menu, sign_in, wait_for

from kernel.testing import missing

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "gateway" / "static" / "web" / "console" / "index.html"


@pytest.fixture(scope="module")
def web_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo firm (40 units) with every plugin's demo data (``on_demo_seeded``) and the
    governance demo (overrides tests/web/conftest.py's server, whose WebServer it reuses)."""
    shared: Any = request.config.pluginmanager.get_plugin(
        str(Path(__file__).with_name("conftest.py"))
    )
    assert shared is not None, "tests/web/conftest.py is not loaded"
    if not chromium_available():
        missing("browser", "chromium is missing (apt-get install chromium)")
    if not BUILT.is_file() or not shared.AXE.is_file():
        missing("browser", "the console is not built: cd web && npm ci && npm run build")
    from plugins.governance.demo import seed_filed_decision, seed_governance_demo
    from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo

    async def prepare(runtime: Any) -> dict[str, Any]:
        demo = await seed_demo(runtime, units=40)
        await runtime.host.demo_seeded(runtime, demo.tenant_id)
        await seed_governance_demo(runtime, demo.tenant_id)
        await seed_filed_decision(runtime, demo.tenant_id)  # what `linli demo` seeds with it
        await _overdue_critical_alarm(runtime, demo.tenant_id)
        return {"tenant_id": demo.tenant_id}

    with serving(
        tmp_path_factory.mktemp("regulator-privacy"),
        prepare,
        name="linli-regulator-server",
        second_factor_roles=["tenant_admin"],
    ) as thread:
        yield shared.WebServer(
            base_url=f"http://127.0.0.1:{thread.port}",
            tenant=DEMO_SLUG,
            password=DEMO_PASSWORD,
            tenant_id=thread.info["tenant_id"],
            thread=thread,
        )


async def _overdue_critical_alarm(runtime: Any, tenant_id: Any) -> None:
    """A smoke alarm of the demo community that nobody acknowledged for three minutes: the
    escalation (as the scheduled job runs it) reaches level 2 and alerts the street office."""
    from datetime import timedelta

    from sqlalchemy import select

    from kernel.sdk.escalation import escalate_due, open_escalation
    from kernel.sdk.estate import Community
    from plugins.safety.escalation import SOURCE
    from plugins.safety.notifications import ALARM

    async with runtime.db.tenant(tenant_id) as s:
        community = await s.scalar(select(Community.id).where(Community.name == "幸福里社区"))
        opened = await open_escalation(
            s, tenant_id=tenant_id, source=SOURCE, subject_id="smoke-3-1201", community_id=community, severity="critical",
            template=ALARM.key, data={"alarm_id": "smoke-3-1201", "type": "smoke", "type_zh": "烟感报警", "severity": "critical",
                                      "location": "3幢12楼", "floors_zh": "", "floors_en": ""},
        )
    async with runtime.db.tenant(tenant_id) as s:
        up = await escalate_due(s, tenant_id=tenant_id, now=opened.opened_at + timedelta(minutes=3))
    assert [(e.level, e.regulator_alerted_at is not None) for e in up] == [(2, True)]


def test_the_street_office_reads_its_kpis_and_acknowledges_a_filing(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    # a regulator signs in to the same console, leaving the firm's code empty
    page.goto(f"{web_server.base_url}/console/")
    page.get_by_role("heading", name="登录物业工作台").wait_for()
    assert page.get_by_label("物业公司代码").input_value() == ""
    page.get_by_label("账号").fill("demo-street")
    page.get_by_label("密码", exact=True).fill(web_server.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="欢迎").wait_for()
    assert "滨江街道办事处" in page.get_by_test_id("jurisdiction").inner_text()
    page.locator(".shell-menu .el-menu-item").first.wait_for()
    assert menu(page) == ["辖区指标", "备案收件箱", "超时告警"]  # none of a firm's screens
    assert page.get_by_test_id("dashboard-link").count() == 0  # a community's board is a firm's

    page.locator(".shell-menu .el-menu-item", has_text="辖区指标").click()
    page.get_by_role("heading", name="辖区指标").wait_for()
    closure = page.locator('[data-kpi="workorders.closure_rate"]')
    closure.wait_for()
    figure = closure.get_by_test_id("kpi-figure").inner_text()
    assert "%" in figure and "不予显示" not in figure, figure  # the demo's repairs: a real figure
    assert closure.get_by_role("cell", name="幸福里社区").count() == 1
    assert closure.get_by_role("cell", name="邻里示范物业服务有限公司").count() == 1
    assert closure.locator("canvas").count() == 1  # the series, charted
    fees = page.locator('[data-kpi="fees.collection_rate"]').get_by_test_id("kpi-figure")
    assert "%" in fees.inner_text()
    # a KPI nobody contributed to in the demo (no survey answered): no number is shown
    satisfaction = page.locator('[data-kpi="participation.satisfaction"]').get_by_test_id(
        "kpi-figure"
    )
    assert satisfaction.inner_text().strip() in ("暂无数据", "不足 5 人，不予显示")
    axe(page)
    shot(page, "regulator-kpis")
    page.locator(".el-radio-button", has_text="按周").click()
    page.locator("main .el-radio-button.is-active", has_text="按周").wait_for()
    closure.locator("canvas").wait_for()

    # the filings inbox: the demo's filed decision, acknowledged once
    page.locator(".shell-menu .el-menu-item", has_text="备案收件箱").click()
    row = page.get_by_test_id("filings").locator("tr", has_text="关于续聘物业服务企业的决定")
    row.wait_for()
    assert "选聘解聘物业" in row.inner_text() and "待处理" in row.inner_text()
    axe(page)
    shot(page, "regulator-filings")
    row.get_by_role("button", name="确认收悉").click()
    wait_for(lambda: row.count() == 0, what="the acknowledged filing leaves the received list")
    page.locator(".el-radio-button", has_text="已收悉").click()
    done = page.get_by_test_id("filings").locator("tr", has_text="关于续聘物业服务企业的决定")
    done.get_by_test_id("filing-status").filter(has_text="已收悉").wait_for()
    assert done.get_by_role("button", name="确认收悉").count() == 0

    # the critical alarm the firm left unacknowledged, escalated to the street office
    page.locator(".shell-menu .el-menu-item", has_text="超时告警").click()
    alert = page.get_by_test_id("regulator-alerts").locator("tr", has_text="幸福里社区")
    alert.wait_for()
    assert "安防告警" in alert.inner_text() and "邻里示范物业服务有限公司" in alert.inner_text()
    assert alert.get_by_test_id("alert-status").inner_text() == "未解决"
    assert page.get_by_test_id("open-count").inner_text() == "（1）"
    axe(page)
    shot(page, "regulator-alerts")

    # the KPIs over another period: the last 30 days instead of the default 90
    page.locator(".shell-menu .el-menu-item", has_text="辖区指标").click()
    period = page.get_by_test_id("kpi-period")
    period.wait_for()
    before = period.inner_text()
    page.get_by_test_id("kpi-days").click()
    page.get_by_role("option", name="近 30 天").click()
    wait_for(lambda: period.inner_text() != before, what="the period follows the choice")
    page.locator('[data-kpi="workorders.closure_rate"]').get_by_test_id("kpi-figure").wait_for()

    # the firm sees the answer on its proposal
    staff = web_server.token("demo-committee")
    community = web_server.graphql(
        "{ communities(first: 1) { edges { node { id } } } }", token=staff
    )
    proposals = web_server.graphql(
        "query($c: ID!) { proposals(communityId: $c, first: 20) { edges { node { title filing { status reviewedAt } } } } }",
        {"c": community["data"]["communities"]["edges"][0]["node"]["id"]},
        token=staff,
    )
    assert "errors" not in proposals, proposals
    filed = [
        e["node"]
        for e in proposals["data"]["proposals"]["edges"]
        if e["node"]["title"] == "关于续聘物业服务企业的决定"
    ]
    assert filed and filed[0]["filing"]["status"] == "acknowledged"


def test_the_dpo_executes_an_erasure_and_sets_a_retention_period(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    renter = web_server.token("demo-renter")
    asked = web_server.graphql("mutation { requestErasure { id status } }", token=renter)
    assert asked["data"]["requestErasure"]["status"] == "pending", asked

    sign_in(page, web_server)
    assert "个人信息保护" in menu(page)
    page.locator(".shell-menu .el-menu-item", has_text="个人信息保护").click()
    row = page.get_by_test_id("erasure-requests").locator("tr", has_text="周租客")
    row.wait_for()
    axe(page)
    row.get_by_role("button", name="执行删除").click()
    page.get_by_role("dialog").get_by_role("button", name="确认执行").click()
    report = page.get_by_test_id("erasure-report")
    report.wait_for()
    text = report.inner_text()
    assert "已删除" in text or "已化名" in text, text
    assert report.locator("tbody tr").count() >= 2  # one line per table
    axe(page, exclude=(".el-overlay",))
    shot(page, "privacy-erasure")
    # the login is closed
    closed = web_server.graphql(
        'mutation { login(username: "demo-renter", password: "linli-demo-2026", tenant: "demo") { accessToken } }'
    )
    assert closed.get("errors"), closed

    page.get_by_role("tab", name="保存期限").click()
    periods = page.get_by_test_id("retention-periods")
    line = periods.locator("tr", has_text="行为记录")
    line.wait_for()
    line.get_by_role("spinbutton").fill("400")
    line.get_by_role("button", name="保存").click()
    line.get_by_role("status").filter(has_text="已保存").wait_for()
    axe(page)
    answer = web_server.graphql("{ retentionPeriods { category days } }", token=_admin_token(page))
    assert {"category": "behaviour", "days": 400} in answer["data"]["retentionPeriods"], answer


def _admin_token(page: Any) -> str:
    return str(
        page.evaluate("JSON.parse(sessionStorage.getItem('linli.console.session')).accessToken")
    )
