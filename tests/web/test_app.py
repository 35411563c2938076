"""The resident app (/app/) in headless Chromium on a 390×844 phone screen: claiming a unit and
signing in, voting and verifying the receipt on chain, reporting a repair with a photo and rating
it once fixed, a visitor pass with its QR code (the access plugin's page), "I'm fine" (the care
plugin's page) and elderly mode — each screen checked with axe-core (no serious or critical
violations). The server is the demo firm with one proposal open for voting."""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fixtures.live_app import chromium_available, serving

from kernel.testing import missing

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP_BUILT = ROOT / "gateway" / "static" / "web" / "app" / "index.html"


@pytest.fixture(scope="module")
def web_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo firm (40 units) with the governance demo's proposal open for voting and the
    access demo's gate in each community, as `linli demo` seeds them (overrides
    tests/web/conftest.py's server, whose WebServer helpers it reuses)."""
    shared: Any = request.config.pluginmanager.get_plugin(
        str(Path(__file__).with_name("conftest.py"))
    )
    assert shared is not None, "tests/web/conftest.py is not loaded"
    if not chromium_available():
        missing("browser", "chromium is missing (apt-get install chromium)")
    if not APP_BUILT.is_file() or not shared.AXE.is_file():
        missing("browser", "the resident app is not built: cd web && npm ci && npm run build")
    from plugins.access import seed_demo_points
    from plugins.governance.demo import seed_governance_demo
    from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo

    async def prepare(runtime: Any) -> dict[str, Any]:
        demo = await seed_demo(runtime, units=40)
        seeded = await seed_governance_demo(runtime, demo.tenant_id)
        # access's part of `linli demo`: a gate in each community
        await seed_demo_points(runtime, demo.tenant_id)
        return {"tenant_id": demo.tenant_id, "proposal_id": seeded["proposal_id"]}

    with serving(
        tmp_path_factory.mktemp("resident-app"), prepare, name="linli-app-server"
    ) as thread:
        server = shared.WebServer(
            base_url=f"http://127.0.0.1:{thread.port}",
            tenant=DEMO_SLUG,
            password=DEMO_PASSWORD,
            tenant_id=thread.info["tenant_id"],
            thread=thread,
        )
        server.proposal_id = thread.info["proposal_id"]  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def phone(browser: Any, web_server: Any) -> Any:
    """A 390×844 phone page in a fresh context (empty storage), failing on any request that leaves
    the app's origin and on any JavaScript error."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith((web_server.base_url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not outside, f"the app made external requests: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def app_shot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``app_shot(page, name)``: ``app-<name>.png``, into docs/img with LINLI_UPDATE_SCREENSHOTS=1."""
    folder = (
        ROOT / "docs" / "img"
        if os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1"
        else tmp_path_factory.mktemp("app-screenshots")
    )

    def save(pg: Any, name: str, at: Any = None) -> None:
        # what the phone shows (the top bar and the tab bar stay put): from the top, or at `at`
        if at is None:
            pg.evaluate("window.scrollTo(0, 0)")
        else:
            at.evaluate("e => e.scrollIntoView({block: 'center'})")
        pg.screenshot(path=str(folder / f"app-{name}.png"))

    return save


def sign_in(page: Any, server: Any, username: str = "demo-owner") -> None:
    page.goto(f"{server.base_url}/app/?tenant={server.tenant}#/login")
    page.get_by_role("heading", name="登录邻里").wait_for()
    assert page.get_by_label("物业公司代码").input_value() == server.tenant
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name=re.compile("^您好")).wait_for()
    page.get_by_test_id("my-homes").wait_for()  # the shell is loaded


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"


def png() -> bytes:
    """A real 8×8 PNG (the photo route checks the image's magic bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80\x20\x20" * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_claim_a_unit_then_sign_in(phone: Any, web_server: Any, axe: Any, app_shot: Any) -> None:
    staff = web_server.token("demo-staff")
    communities = web_server.graphql(
        "{ communities(first: 1) { edges { node { id } } } }", token=staff
    )
    community = communities["data"]["communities"]["edges"][0]["node"]["id"]
    units = web_server.graphql(
        "query($c: ID!) { community(id: $c) { buildings(first: 1) { edges { node { units(first: 20) { edges { node { id number sold owners { name } } } } } } } } }",
        {"c": community},
        token=staff,
    )
    building = units["data"]["community"]["buildings"]["edges"][0]["node"]
    unit = [
        e["node"] for e in building["units"]["edges"] if e["node"]["sold"] and e["node"]["owners"]
    ][-1]

    # the unit's QR poster links here: the firm and the unit are filled in
    phone.goto(f"{web_server.base_url}/app/?tenant={web_server.tenant}#/claim?unit={unit['id']}")
    phone.get_by_role("heading", name="认领我的房屋").wait_for()
    assert phone.get_by_label("房屋编号").input_value() == unit["id"]
    phone.get_by_label("姓名").fill("孙认领")
    phone.get_by_label("手机号").fill("13700137009")
    phone.get_by_label("想用的账号").fill("sun.claim")
    phone.get_by_label("设置密码").fill("Claim-pass-2026!x")
    phone.get_by_label("交给物业人工审核").check()
    phone.get_by_label("证明材料说明").fill("房产证号 A-2026-0009")
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "claim")
    phone.get_by_role("button", name="提交认领").click()
    result = phone.get_by_test_id("claim-result")
    result.wait_for()
    assert "sun.claim" in result.inner_text()

    # staff approve it from the queue; the claimant signs in and sees the home
    queue = web_server.graphql(
        "{ pendingClaims { edges { node { id claimantName register { personId } } } } }",
        token=staff,
    )
    claim = next(
        e["node"]
        for e in queue["data"]["pendingClaims"]["edges"]
        if e["node"]["claimantName"] == "孙认领"
    )
    approved = web_server.graphql(
        "mutation($id: ID!, $p: ID) { approveClaim(id: $id, personId: $p) { status username } }",
        {"id": claim["id"], "p": claim["register"][0]["personId"]},
        token=staff,
    )
    assert approved["data"]["approveClaim"]["username"] == "sun.claim", approved
    phone.get_by_role("link", name="去登录").click()
    phone.get_by_label("账号").fill("sun.claim")
    phone.get_by_label("密码").fill("Claim-pass-2026!x")
    phone.get_by_role("button", name="登录").click()
    homes = phone.get_by_test_id("my-homes")
    homes.wait_for()
    assert unit["number"] in homes.inner_text()
    axe(phone)
    no_horizontal_scroll(phone)


def test_vote_and_verify_the_receipt(phone: Any, web_server: Any, axe: Any, app_shot: Any) -> None:
    sign_in(phone, web_server)
    app_shot(phone, "home")
    axe(phone)
    phone.get_by_role("navigation").get_by_role("link", name="投票").click()
    proposal = phone.get_by_test_id("proposal").first
    proposal.wait_for()
    assert "未投票" in proposal.inner_text()
    axe(phone)
    proposal.click()
    phone.get_by_role("button", name="同意").click()
    phone.get_by_text("确认投「同意」？").wait_for()
    phone.get_by_role("button", name="确认投票").click()
    receipt = phone.get_by_test_id("receipt")
    receipt.wait_for()
    assert phone.get_by_test_id("receipt-choice").inner_text() == "同意"
    # the relayer puts the vote on chain; the receipt follows, then verifies against the chain
    phone.get_by_role("button", name="核验回执").wait_for(timeout=30_000)
    assert phone.get_by_test_id("receipt-status").inner_text() == "已上链"
    phone.get_by_role("button", name="核验回执").click()
    verdict = phone.get_by_test_id("verify-result")
    verdict.wait_for()
    assert "与您的选择一致" in verdict.inner_text()
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "receipt", at=receipt)
    on_record = web_server.graphql(
        "query($id: ID!) { proposal(id: $id) { myVote { choice status } } }",
        {"id": web_server.proposal_id},
        token=web_server.token("demo-owner"),
    )
    assert on_record["data"]["proposal"]["myVote"] == {"choice": "FOR", "status": "confirmed"}


def test_report_a_repair_with_a_photo_and_rate_it(
    phone: Any, web_server: Any, axe: Any, app_shot: Any
) -> None:
    sign_in(phone, web_server)
    phone.get_by_role("navigation").get_by_role("link", name="报修").click()
    phone.get_by_test_id("report-repair").click()
    phone.get_by_label("哪里坏了").fill("厨房水管漏水")
    phone.get_by_label("位置").fill("厨房水槽下")
    phone.get_by_label("详细说明").fill("一直在滴水")
    phone.get_by_label("拍照或选照片（可选）").set_input_files(
        {"name": "leak.png", "mimeType": "image/png", "buffer": png()}
    )
    axe(phone)
    app_shot(phone, "report")
    phone.get_by_role("button", name="提交报修").click()
    phone.get_by_test_id("repair-sent").wait_for()
    assert phone.get_by_test_id("repair-status").inner_text() == "已报修"
    phone.get_by_test_id("repair-photo").wait_for()
    assert (
        phone.get_by_test_id("repair-photo").evaluate("img => img.complete && img.naturalWidth")
        == 8
    )
    order = unquote(re.search(r"#/repairs/([^?]+)", phone.url).group(1))  # type: ignore[union-attr]
    axe(phone)

    # staff assess and dispatch, the technician fixes it; the resident follows and rates
    staff, tech = web_server.token("demo-staff"), web_server.token("demo-tech")
    tech_account = web_server.graphql("{ me { accountId } }", token=tech)["data"]["me"]["accountId"]
    technician = web_server.graphql(
        'mutation($a: ID!) { upsertTechnician(accountId: $a, name: "王维修", skills: ["plumbing"]) { id } }',
        {"a": tech_account},
        token=staff,
    )["data"]["upsertTechnician"]["id"]
    for mutation, token in (
        ("assessWorkOrder(id: $id, category: plumbing, priority: normal) { status }", staff),
        (f'dispatchWorkOrder(id: $id, technicianId: "{technician}") {{ status }}', staff),
        ("startWorkOrder(id: $id) { status }", tech),
        ('resolveWorkOrder(id: $id, resolution: "换了水管接头") { status }', tech),
    ):
        answer = web_server.graphql(
            f"mutation($id: ID!) {{ {mutation} }}", {"id": order}, token=token
        )
        assert "errors" not in answer, answer
    phone.reload()
    assert phone.get_by_test_id("repair-status").inner_text() == "已修好，待评价"
    assert "换了水管接头" in phone.locator("dl.facts").inner_text()
    phone.get_by_role("button", name="5 星").click()
    phone.get_by_label("留言（可选）").fill("很快，谢谢")
    axe(phone)
    phone.get_by_role("button", name="确认修好并评价").click()
    phone.get_by_text("您的评价：5 星").wait_for()
    app_shot(phone, "repair")
    rated = web_server.graphql(
        "query($id: ID!) { workOrder(id: $id) { status rating feedback } }",
        {"id": order},
        token=staff,
    )
    assert rated["data"]["workOrder"] == {"status": "closed", "rating": 5, "feedback": "很快，谢谢"}


def test_create_a_visitor_pass_with_its_qr_code(
    phone: Any, web_server: Any, axe: Any, app_shot: Any
) -> None:
    owner = web_server.token("demo-owner")
    # the demo seeds a gate in each community (access's on_demo_seeded): nothing to set up — the
    # owner may pass the gate of their community, so may invite visitors through it
    gates = web_server.graphql("{ myAccessPoints { name kind } }", token=owner)["data"][
        "myAccessPoints"
    ]
    assert {"name": "南门 main gate", "kind": "gate"} in gates, gates

    sign_in(phone, web_server)
    phone.locator('[data-tile="access/passes"]').click()
    phone.get_by_role("heading", name="访客通行证").wait_for()
    phone.get_by_label("访客姓名").fill("张阿姨")
    phone.get_by_label("可进出次数").fill("2")
    axe(phone)
    phone.get_by_role("button", name="生成通行证").click()
    issued = phone.get_by_test_id("pass-issued")
    issued.wait_for()
    code = phone.get_by_test_id("pass-code").inner_text().strip()
    qr = issued.get_by_role("img", name="通行证二维码：张阿姨")
    assert qr.evaluate("svg => svg.querySelector('path').getAttribute('d').length") > 1000
    phone.get_by_test_id("pass").first.wait_for()
    assert "张*" in phone.get_by_test_id("pass").first.inner_text()
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "pass", at=issued)
    passes = web_server.graphql("{ visitorPasses { id maxEntries status } }", token=owner)["data"][
        "visitorPasses"
    ]
    assert passes[0]["maxEntries"] == 2 and passes[0]["status"] == "active"
    again = web_server.graphql(
        "query($id: ID!) { visitorPassCode(id: $id) }", {"id": passes[0]["id"]}, token=owner
    )
    assert again["data"]["visitorPassCode"] == code


def test_elderly_mode_is_toggled_and_remembered(
    phone: Any, web_server: Any, axe: Any, app_shot: Any
) -> None:
    sign_in(phone, web_server)
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    assert phone.evaluate(size) == 16
    toggle = phone.get_by_test_id("elderly-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert phone.evaluate("document.documentElement.classList.contains('elderly')")
    assert phone.evaluate(size) >= 22
    # plain words, and big touch targets
    repairs_tile = phone.locator('[data-tile="repairs"]')
    assert repairs_tile.inner_text().strip().endswith("东西坏了，找人来修")
    assert repairs_tile.bounding_box()["height"] >= 64
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "elderly")
    # remembered: a reload (and every page) keeps it
    phone.reload()
    phone.get_by_role("heading", name=re.compile("^您好")).wait_for()
    assert phone.evaluate(size) >= 22
    phone.get_by_role("navigation").get_by_role("link", name="报修").click()
    phone.get_by_test_id("report-repair").wait_for()
    assert phone.get_by_test_id("report-repair").inner_text() == "东西坏了，找人来修"
    axe(phone)
    phone.get_by_test_id("elderly-toggle").click()
    assert phone.evaluate(size) == 16
    assert phone.get_by_test_id("report-repair").inner_text() == "我要报修"
    # English, the same way (remembered too)
    phone.get_by_role("button", name="English").click()
    assert phone.get_by_test_id("report-repair").inner_text() == "Report a repair"
    assert phone.evaluate("document.documentElement.lang") == "en"
    phone.get_by_role("navigation").get_by_role("link", name="Home").click()
    phone.get_by_role("heading", name=re.compile("^Hello")).wait_for()
    axe(phone)


def _owner_person(web_server: Any, staff: str, unit_id: str) -> tuple[str, str]:
    """(community id, person id) of the owner of ``unit_id``, walking the estate as staff."""
    communities = web_server.graphql(
        "{ communities(first: 10) { edges { node { id } } } }", token=staff
    )["data"]["communities"]["edges"]
    for community in communities:
        answer = web_server.graphql(
            """query($c: ID!) { community(id: $c) { buildings(first: 50) { edges { node {
                 units(first: 50) { edges { node { id owners { personId } } } } } } } } }""",
            {"c": community["node"]["id"]},
            token=staff,
        )
        assert "errors" not in answer, answer
        for building in answer["data"]["community"]["buildings"]["edges"]:
            for unit in building["node"]["units"]["edges"]:
                if unit["node"]["id"] == unit_id:
                    return community["node"]["id"], unit["node"]["owners"][0]["personId"]
    raise AssertionError(f"unit {unit_id} not found")


def test_consent_then_im_fine_and_the_family_view(
    phone: Any, web_server: Any, axe: Any, app_shot: Any
) -> None:
    staff, owner = web_server.token("demo-staff"), web_server.token("demo-owner")
    unit = web_server.graphql("{ myUnits { id } }", token=owner)["data"]["myUnits"][0]["id"]
    community, person = _owner_person(web_server, staff, unit)

    # the owner consents to health monitoring in "my data" (the care plugin's purpose)
    sign_in(phone, web_server)
    phone.get_by_role("navigation").get_by_role("link", name="我的").click()
    consent = phone.get_by_test_id("consent").filter(has_text="平安")
    consent.first.wait_for()
    consent.first.get_by_role("button", name="同意").click()
    consent.first.get_by_text("已授权").wait_for()
    axe(phone)
    app_shot(phone, "my-data", at=consent.first)

    # staff enrol them and add their daughter as the emergency contact (she gets a login)
    enrolled = web_server.graphql(
        "mutation($p: ID!, $c: ID!, $u: ID) { enrolCareRecipient(personId: $p, communityId: $c, unitId: $u) { id } }",
        {"p": person, "c": community, "u": unit},
        token=staff,
    )
    assert "errors" not in enrolled, enrolled
    recipient = enrolled["data"]["enrolCareRecipient"]["id"]
    contact = web_server.graphql(
        """mutation($r: ID!) { addCareContact(recipientId: $r, name: "林女儿", relation: "女儿", priority: 1,
             phone: "13900139001", invite: true) { invitationCode } }""",
        {"r": recipient},
        token=staff,
    )
    code = contact["data"]["addCareContact"]["invitationCode"]
    joined = web_server.graphql(
        'mutation($c: String!) { acceptInvitation(tenant: "demo", code: $c, username: "lin.daughter", password: "Family-pass-2026!x") { accessToken } }',
        {"c": code},
    )
    assert "errors" not in joined, joined

    # "I'm fine": the care plugin's page, offered to the recipient once enrolled
    phone.reload()
    phone.get_by_role("navigation").get_by_role("link", name="首页").click()
    phone.locator('[data-tile="care/checkin"]').click()
    phone.get_by_test_id("care-fine").click()
    phone.get_by_role("status").filter(has_text="今天已报平安").wait_for()
    axe(phone)
    app_shot(phone, "care")
    check_ins = web_server.graphql(
        "query($r: ID!) { careCheckIns(recipientId: $r) { method } }", {"r": recipient}, token=staff
    )
    assert check_ins["data"]["careCheckIns"][0]["method"] == "self"

    # the daughter's family view: her father checked in today, nothing open
    phone.get_by_role("button", name="退出").click()
    phone.get_by_label("账号").fill("lin.daughter")
    phone.get_by_label("密码").fill("Family-pass-2026!x")
    phone.get_by_role("button", name="登录").click()
    phone.locator('[data-tile="care/family"]').click()
    relative = phone.get_by_test_id("relative")
    relative.wait_for()
    assert "今天已报平安" in relative.inner_text() and "没有待处理的提醒" in relative.inner_text()
    assert phone.locator('[data-tile="care/checkin"]').count() == 0
    # a login without a home is not offered the owners' screens
    assert phone.get_by_role("navigation").get_by_role("link", name="投票").count() == 0
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "family")


def test_parcels_page_appears_once_the_firm_enables_the_plugin(
    phone: Any, web_server: Any, axe: Any
) -> None:
    sign_in(phone, web_server)
    assert phone.locator('[data-tile="parcel_lockers/my-parcels"]').count() == 0
    admin = web_server.token("demo-admin")
    enabled = web_server.graphql(
        'mutation { enablePlugin(name: "parcel_lockers") { enabled } }', token=admin
    )
    assert enabled["data"]["enablePlugin"]["enabled"] is True, enabled
    phone.reload()
    phone.locator('[data-tile="parcel_lockers/my-parcels"]').click()
    phone.get_by_role("heading", name="我的快递").wait_for()
    phone.get_by_text("没有待取的快递").wait_for()
    axe(phone)


def test_notices_and_bills(phone: Any, web_server: Any, axe: Any, app_shot: Any) -> None:
    staff, admin = web_server.token("demo-staff"), web_server.token("demo-admin")
    owner = web_server.token("demo-owner")
    unit = web_server.graphql("{ myUnits { id } }", token=owner)["data"]["myUnits"][0]["id"]
    community, _ = _owner_person(web_server, staff, unit)
    notice = web_server.graphql(
        """mutation($c: ID!) { createNotice(input: {targetId: $c, title: "周六停水通知", body: "周六 9:00–12:00 检修水管，请提前储水。",
             category: OUTAGE}, publish: true) { id } }""",
        {"c": community},
        token=staff,
    )
    assert "errors" not in notice, notice
    item = web_server.graphql(
        'mutation { createFeeItem(input: {code: "PM", name: "物业费", kind: area, unitPrice: 235}) { id } }',
        token=admin,
    )
    assert "errors" not in item, item
    billed = web_server.graphql(
        'mutation($c: ID) { runBilling(period: "2026-11", communityId: $c) { billsCreated } }',
        {"c": community},
        token=staff,
    )
    assert billed["data"]["runBilling"]["billsCreated"] > 0, billed
    bills = web_server.graphql(
        'query($u: ID) { bills(period: "2026-11", unitId: $u) { nodes { id amount } } }',
        {"u": unit},
        token=staff,
    )["data"]["bills"]["nodes"]
    paid = web_server.graphql(
        'mutation($b: ID!) { recordFeePayment(billId: $b, amount: 10000, reference: "FRONT-DESK-1") { status } }',
        {"b": bills[0]["id"]},
        token=staff,
    )
    assert paid["data"]["recordFeePayment"]["status"] == "partial", paid

    sign_in(phone, web_server)
    phone.locator('[data-tile="notices"]').click()
    card = phone.get_by_test_id("notice").filter(has_text="周六停水通知")
    card.get_by_text("未读").wait_for()
    card.get_by_role("button", name="周六停水通知").click()
    card.get_by_text("请提前储水").wait_for()
    card.get_by_text("未读").wait_for(state="detached")
    axe(phone)
    read = web_server.graphql(
        "query($id: ID!) { notice(id: $id) { readByMe } }",
        {"id": notice["data"]["createNotice"]["id"]},
        token=owner,
    )
    assert read["data"]["notice"]["readByMe"] is True

    phone.get_by_role("navigation").get_by_role("link", name="首页").click()
    phone.locator('[data-tile="bills"]').click()
    bill = phone.get_by_test_id("bill").first
    bill.wait_for()
    text = bill.inner_text()
    assert "2026-11" in text and "部分已缴" in text and "¥100.00" in text
    assert re.search(r"· ¥100\.00 · R\d{8}-", text), text  # the payment and its receipt number
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "bills")


def test_my_data_download_the_export_and_request_erasure(
    phone: Any, web_server: Any, axe: Any, app_shot: Any
) -> None:
    # what the firm holds about the renter, by category, and who read it
    sign_in(phone, web_server, "demo-renter")
    phone.get_by_role("navigation").get_by_role("link", name="我的").click()
    held = phone.get_by_test_id("held")
    held.get_by_test_id("held-category").first.wait_for()
    assert "身份信息" in held.inner_text() or "联系方式" in held.inner_text(), held.inner_text()
    phone.get_by_test_id("reads").wait_for()
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "my-data-held")

    # the download: GET /me/export.zip with the bearer token, saved as a zip of JSON and CSV
    with phone.expect_download() as info:
        phone.get_by_role("button", name="下载我的全部数据").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip"), download.suggested_filename
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
    assert "manifest.json" in names and any(n.endswith(".csv") for n in names), names
    phone.get_by_test_id("exported").wait_for()

    # request erasure: confirmed once, then its status (pending) and no second request offered
    erasure = phone.get_by_test_id("erasure")
    erasure.get_by_role("button", name="申请删除我的信息").click()
    erasure.get_by_role("button", name="确认申请").click()
    erasure.get_by_test_id("erasure-request").filter(has_text="待审核").wait_for()
    assert erasure.get_by_role("button", name="申请删除我的信息").count() == 0
    axe(phone)
    no_horizontal_scroll(phone)
    app_shot(phone, "my-data-erasure", at=erasure)
    renter = web_server.token("demo-renter")
    mine = web_server.graphql("{ myErasureRequests { status } }", token=renter)
    assert mine["data"]["myErasureRequests"] == [{"status": "pending"}], mine
