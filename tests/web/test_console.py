"""The staff console in headless Chromium: sign-in with the second factor (enrolment at the first
login, the code afterwards), the estate, inviting a technician, a work order assessed, dispatched
and closed on the board, the header's link to the 一图感知 dashboard, the parcel-lockers plugin's page only once the firm enabled it —
each page checked with axe-core (no serious or critical violations)."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest

from kernel.testing import totp_code

pytestmark = pytest.mark.browser


def sign_in(page: Any, server: Any, shot: Any = None) -> None:
    """demo-admin signs in: the first time through the authenticator enrolment (the secret shown,
    a code from it, the recovery codes once), afterwards with a current code."""
    page.goto(f"{server.base_url}/console/?tenant={server.tenant}")
    page.get_by_role("heading", name="登录物业工作台").wait_for()
    assert (
        page.get_by_label("物业公司代码").input_value() == server.tenant
    )  # the firm from ?tenant=
    page.get_by_label("账号").fill("demo-admin")
    page.get_by_label("密码", exact=True).fill(server.password)
    if shot:
        shot(page, "login")
    page.get_by_role("button", name="登录").click()
    if not server.totp_secret:
        secret = page.get_by_test_id("totp-secret")
        secret.wait_for()
        server.totp_secret = secret.inner_text().strip()
        page.get_by_label("验证码").fill(totp_code(server.totp_secret))
        page.get_by_role("button", name="确认并登录").click()
        codes = page.get_by_test_id("recovery-codes").locator("li")
        codes.first.wait_for()
        assert codes.count() == 10
        page.get_by_role("button", name="我已保存，继续").click()
    else:
        page.get_by_label("验证码").fill(totp_code(server.totp_secret))
        page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="欢迎").wait_for()
    page.locator(".shell-menu .el-menu-item").first.wait_for()  # the pages webPages lists


def wait_for(check: Any, within: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        time.sleep(0.1)
    return result


def menu(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".shell-menu .el-menu-item").all_inner_texts()]


def test_sign_in_enrols_the_second_factor_then_asks_for_it(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    sign_in(page, web_server, shot)
    assert page.evaluate("sessionStorage.getItem('linli.console.session')")
    assert menu(page)[:3] == [
        "房产",
        "人员",
        "工单",
    ]  # the estate's, the kernel's, the workorders plugin's
    assert "快递柜包裹" not in menu(page)  # parcel_lockers is installed, not enabled for the firm
    axe(page)
    # signed out, the second login asks for the code; a wrong one is refused
    page.get_by_role("button", name="退出").click()
    page.get_by_label("账号").fill("demo-admin")
    page.get_by_label("密码", exact=True).fill(web_server.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("验证码").fill(
        "000000" if pyotp.TOTP(web_server.totp_secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="登录").click()
    assert "验证码不正确" in page.get_by_role("alert").inner_text()
    page.get_by_label("验证码").fill(totp_code(web_server.totp_secret))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="欢迎").wait_for()


def test_wrong_password_and_unknown_firm(page: Any, web_server: Any) -> None:
    page.goto(f"{web_server.base_url}/console/")
    page.get_by_label("物业公司代码").fill("no-such-firm")
    page.get_by_label("账号").fill("demo-admin")
    page.get_by_label("密码", exact=True).fill(web_server.password)
    page.get_by_role("button", name="登录").click()
    assert "没有这个物业公司代码" in page.get_by_role("alert").inner_text()
    page.get_by_label("物业公司代码").fill(web_server.tenant)
    page.get_by_label("密码", exact=True).fill("not the password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("账号或密码错误").wait_for()
    assert page.evaluate("sessionStorage.getItem('linli.console.session')") is None


def test_estate_communities_buildings_units(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    sign_in(page, web_server)
    page.get_by_role("menuitem", name="房产").click()
    communities = page.get_by_test_id("communities")
    communities.locator("tbody tr").first.wait_for()
    assert communities.locator("tbody tr").count() == 2  # the demo firm's two communities
    axe(page)
    shot(page, "estate")
    communities.locator("tbody tr").first.get_by_role("button").click()
    buildings = page.get_by_test_id("buildings")
    buildings.locator("tbody tr").first.wait_for()
    buildings.locator("tbody tr").first.get_by_role("button").click()
    units = page.get_by_test_id("units")
    units.locator("tbody tr").first.wait_for()
    text = units.inner_text()
    assert "*" in text  # owners' names are masked in lists
    assert units.locator("tbody tr").count() >= 2
    page.locator(".el-radio-button", has_text="English").click()
    page.get_by_role("button", name="All communities").wait_for()
    assert "Owners" in units.inner_text()
    page.locator(".el-radio-button", has_text="中文").click()


def test_invite_a_technician(page: Any, web_server: Any, axe: Any, shot: Any) -> None:
    sign_in(page, web_server)
    page.get_by_role("menuitem", name="人员").click()
    members = page.get_by_test_id("members")
    members.get_by_text("demo-tech").wait_for()
    page.get_by_role("tab", name="邀请").click()
    page.get_by_role("textbox", name="手机号").fill("13900139000")
    page.get_by_role("textbox", name="姓名").fill("李师傅")
    # the role is the form's: technician (preselected), nothing else
    assert page.get_by_role("checkbox", name="维修技工").is_checked()
    assert not page.get_by_role("checkbox", name="物业管理员").is_checked()
    page.get_by_role("button", name="发送邀请").click()
    created = page.get_by_test_id("invitation-created")
    created.wait_for()
    assert "139****9000" in created.inner_text()
    code = created.locator("strong").inner_text().strip()
    assert len(code) >= 16
    page.get_by_test_id("invitations").get_by_text("139****9000").wait_for()
    listed = page.get_by_test_id("invitations").locator("tr", has_text="139****9000")
    assert "维修技工" in listed.inner_text()
    axe(page)
    shot(page, "people")
    # the invitation is real: the code lets the technician join the firm with the role
    joined = web_server.graphql(
        'mutation($c: String!) { acceptInvitation(tenant: "demo", code: $c, username: "li.shifu", password: "Li-shifu-2026!x") { accessToken } }',
        {"c": code},
    )
    assert "errors" not in joined, joined
    me = web_server.graphql(
        "{ me { username roles } }", token=joined["data"]["acceptInvitation"]["accessToken"]
    )
    assert me["data"]["me"] == {"username": "li.shifu", "roles": ["technician"]}


def test_work_order_assessed_dispatched_and_closed_on_the_board(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    staff = web_server.token("demo-staff")
    reported = web_server.graphql(
        'mutation { reportWorkOrder(input: {title: "3号楼地下室水管漏水", category: plumbing, location: "3号楼B1"}) { id status } }',
        token=staff,
    )
    order = reported["data"]["reportWorkOrder"]["id"]
    tech = web_server.token("demo-tech")
    tech_account = web_server.graphql("{ me { accountId } }", token=tech)["data"]["me"]["accountId"]
    upsert = web_server.graphql(
        'mutation($a: ID!) { upsertTechnician(accountId: $a, name: "王维修", skills: ["plumbing"]) { id } }',
        {"a": tech_account},
        token=staff,
    )
    assert "errors" not in upsert, upsert

    sign_in(page, web_server)
    page.get_by_role("menuitem", name="工单").click()
    card = page.locator(f'[data-order="{order}"]')
    page.locator('[data-state="reported"]').locator(f'[data-order="{order}"]').wait_for()
    axe(page)
    card.get_by_role("button", name="研判").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="研判").click()
    page.locator('[data-state="assessed"]').locator(f'[data-order="{order}"]').wait_for()
    card.get_by_role("button", name="派单").click()
    dialog = page.get_by_role("dialog")
    dialog.locator(".el-select").click()
    page.get_by_role("option", name="王维修").click()
    dialog.get_by_role("button", name="派单").click()
    dispatched = page.locator('[data-state="dispatched"]').locator(f'[data-order="{order}"]')
    dispatched.wait_for()
    assert "王维修" in dispatched.inner_text()
    shot(page, "workorders")

    # the technician starts and resolves it: the board follows live (workOrderChanges over WebSocket)
    for mutation in (
        "startWorkOrder(id: $id) { status }",
        'resolveWorkOrder(id: $id, resolution: "换了阀门") { status }',
    ):
        answer = web_server.graphql(
            f"mutation($id: ID!) {{ {mutation} }}", {"id": order}, token=tech
        )
        assert "errors" not in answer, answer
    resolved = page.locator('[data-state="resolved"]').locator(f'[data-order="{order}"]')
    resolved.wait_for(timeout=10_000)
    resolved.get_by_role("button", name="确认关闭").click()
    page.locator('[data-state="closed"]').locator(f'[data-order="{order}"]').wait_for()
    status = web_server.graphql(
        "query($id: ID!) { workOrder(id: $id) { status } }", {"id": order}, token=staff
    )
    assert status["data"]["workOrder"]["status"] == "closed"


def test_the_shell_links_the_community_dashboard(page: Any, web_server: Any, axe: Any) -> None:
    """The header's 一图感知 link opens the board in the same tab, signed in with the console's
    session (the session is kept per tab); the English label follows the language switch."""
    sign_in(page, web_server)
    link = page.get_by_test_id("dashboard-link")
    assert link.inner_text().strip() == "一图感知大屏"
    page.locator(".el-radio-button", has_text="English").click()
    page.get_by_test_id("dashboard-link").get_by_text("Community dashboard").wait_for()
    page.locator(".el-radio-button", has_text="中文").click()
    link.get_by_text("一图感知大屏").wait_for()
    axe(page)
    link.click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.get_by_test_id("plan").wait_for()  # the board itself, not its sign-in form
    page.get_by_test_id("building").first.wait_for()
    assert page.get_by_role("heading", name="登录一图感知").count() == 0


def test_plugin_page_appears_only_once_the_plugin_is_enabled(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    sign_in(page, web_server)
    assert "快递柜包裹" not in menu(page)
    page.goto(f"{web_server.base_url}/console/#/p/parcel_lockers/parcels")
    page.get_by_text("这个页面不可用").wait_for()
    # staff sees the page only once the firm's admin enabled the plugin
    admin = page.evaluate("JSON.parse(sessionStorage.getItem('linli.console.session')).accessToken")
    enabled = web_server.graphql(
        'mutation { enablePlugin(name: "parcel_lockers") { enabled } }', token=admin
    )
    assert enabled["data"]["enablePlugin"]["enabled"] is True
    try:
        page.goto(f"{web_server.base_url}/console/")
        page.reload()
        wait_for(lambda: "快递柜包裹" in menu(page), what="the plugin's menu entry")
        page.get_by_role("menuitem", name="快递柜包裹").click()
        page.get_by_role("heading", name="快递柜包裹").wait_for()
        page.get_by_text(
            "没有包裹"
        ).wait_for()  # its GraphQL answered through the api the console passed
        axe(page)
        shot(page, "plugin-parcels")
        page.locator(".el-radio-button", has_text="English").click()
        page.get_by_role(
            "heading", name="Parcel lockers"
        ).wait_for()  # re-mounted in the new locale
        # a technician (no parcels:read) is not offered the page
        pages = web_server.graphql(
            '{ webPages(client: "console") { plugin key } }', token=web_server.token("demo-tech")
        )
        assert ("parcel_lockers", "parcels") not in {
            (p["plugin"], p["key"]) for p in pages["data"]["webPages"]
        }
    finally:
        web_server.graphql(
            'mutation { disablePlugin(name: "parcel_lockers") { enabled } }', token=admin
        )
    pages = web_server.graphql('{ webPages(client: "console") { plugin key } }', token=admin)
    assert ("parcel_lockers", "parcels") not in {
        (p["plugin"], p["key"]) for p in pages["data"]["webPages"]
    }


CLAIM = """mutation($unit: ID!, $phone: String!, $name: String!, $user: String!) {
  startClaim(firm: "demo", unitId: $unit, phone: $phone, name: $name, username: $user, password: "Claim-pass-2026!x",
             verification: STAFF, evidence: "持房产证到前台") { claimId status } }"""


def test_owner_claims_queue_approve_and_reject(page: Any, web_server: Any, axe: Any) -> None:
    staff = web_server.token("demo-staff")
    communities = web_server.graphql(
        "{ communities(first: 1) { edges { node { id } } } }", token=staff
    )
    community = communities["data"]["communities"]["edges"][0]["node"]["id"]
    units = web_server.graphql(
        "query($c: ID!) { community(id: $c) { buildings(first: 1) { edges { node { units(first: 20) { edges { node { id sold owners { name } } } } } } } } }",
        {"c": community},
        token=staff,
    )
    building = units["data"]["community"]["buildings"]["edges"][0]["node"]
    owned = [
        e["node"]["id"]
        for e in building["units"]["edges"]
        if e["node"]["sold"] and e["node"]["owners"]
    ][-2:]
    for unit, phone, name, user in (
        (owned[0], "13700137001", "赵认领", "zhao.claim"),
        (owned[1], "13700137002", "钱认领", "qian.claim"),
    ):
        started = web_server.graphql(
            CLAIM, {"unit": unit, "phone": phone, "name": name, "user": user}
        )
        assert started["data"]["startClaim"]["status"] == "pending", started

    sign_in(page, web_server)
    page.get_by_role("menuitem", name="人员").click()
    page.get_by_role("tab", name="业主认证").click()
    zhao = page.get_by_test_id("claim").filter(has_text="赵认领")
    zhao.wait_for()
    assert "持房产证到前台" in zhao.inner_text() and "137****7001" in zhao.inner_text()
    axe(page)
    zhao.get_by_role("button", name=re.compile("^认定为")).first.click()
    zhao.wait_for(state="detached")
    qian = page.get_by_test_id("claim").filter(has_text="钱认领")
    qian.get_by_role("button", name="驳回").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("驳回原因").fill("房产证与登记簿不符")
    dialog.get_by_role("button", name="驳回").click()
    qian.wait_for(state="detached")
    # approved: the claimant logs in as an owner; rejected: no login
    approved = web_server.graphql(
        'mutation { login(username: "zhao.claim", password: "Claim-pass-2026!x", tenant: "demo") { accessToken } }'
    )
    me = web_server.graphql("{ me { roles } }", token=approved["data"]["login"]["accessToken"])
    assert me["data"]["me"]["roles"] == ["owner"]
    rejected = web_server.graphql(
        'mutation { login(username: "qian.claim", password: "Claim-pass-2026!x", tenant: "demo") { accessToken } }'
    )
    assert rejected["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
