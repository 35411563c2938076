"""The staff console's write forms of the fees and funds pages in headless Chromium, against the
real app (tests/web/conftest.py): a meter fee item created (first refused with the API's coded
error worded in the form), edited; meter readings entered for one unit (a backwards reading
refused) and as a building's pasted CSV (a bad line reported, the others recorded); a counter
payment by bank transfer (an overpayment refused first); fund deposits as a bank statement's
batch (a reused bank reference refused), a disbursement requested against the owners' USE_FUND
proposal, refused while the vote runs and paid once the proposal is final — each result checked
through GraphQL or the database, each form checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_console import sign_in, wait_for
from test_console_pages import admin_token

pytestmark = pytest.mark.browser

BUILDING = """query($c: ID!) { community(id: $c) { buildings(first: 1) { edges { node { id name
  units(first: 100) { edges { node { id number } } } } } } } }"""


def first_building(server: Any, token: str) -> tuple[str, dict[str, Any]]:
    """The first community's id and its first building (id, name, units as {number: id})."""
    data = server.graphql("{ communities(first: 1) { edges { node { id } } } }", token=token)
    community = data["data"]["communities"]["edges"][0]["node"]["id"]
    node = server.graphql(BUILDING, {"c": community}, token=token)["data"]["community"]["buildings"]["edges"][0]["node"]
    units = {e["node"]["number"]: e["node"]["id"] for e in node["units"]["edges"]}
    return community, {"id": node["id"], "name": node["name"], "units": units}


def field(scope: Any, label: str) -> Any:
    """The form item whose label is exactly ``label``."""
    return scope.locator(".el-form-item").filter(
        has=scope.page.locator(".el-form-item__label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def choose(scope: Any, label: str, *options: str, multiple: bool = False) -> None:
    """Picks ``options`` in the select of the form item ``label`` (Element Plus: the list is
    teleported to the body; hidden lists of other selects are ignored by role). A multiple
    select's list is closed by a click on the dialog's header (Escape would close the dialog)."""
    field(scope, label).locator(".el-select").first.click()
    for option in options:
        scope.page.get_by_role("option", name=option, exact=True).click()
    if multiple:
        scope.locator(".el-dialog__header").click()


# axe-core reads the modal overlay (#808080) as the background of a select's shown text (its
# placeholder or the picked option) in an Element Plus dialog — that text is transformed and
# absolutely placed — and reports 1.2–1.5:1. ``axe_forms`` computes those texts' contrast against
# the select's own wrapper itself (at least 4.5:1), then runs axe on everything else.
SELECT_TEXT = ".el-dialog .el-select__placeholder"


def _luminance(rgb: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (float(x) for x in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def axe_forms(page: Any, axe: Any) -> None:
    colours = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter((e) => e.offsetParent).map((e) => [
             getComputedStyle(e).color,
             getComputedStyle(e.closest('.el-select__wrapper')).backgroundColor])""",
        SELECT_TEXT,
    )
    for colour, background in colours:
        assert background == "rgb(255, 255, 255)", colours
        light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (colour, background)
    axe(page, exclude=(SELECT_TEXT,))


def test_fee_items_readings_and_a_transfer_payment(page: Any, web_server: Any, axe: Any) -> None:
    sign_in(page, web_server)
    admin = admin_token(page)
    community, building = first_building(web_server, admin)
    numbers = sorted(building["units"])
    page.get_by_role("menuitem", exact=True, name="物业费").click()
    page.get_by_test_id("collection-stats").wait_for()

    # a meter item without its meter unit: the API's BAD_USER_INPUT (meterUnit) worded at the field
    page.get_by_role("tab", name="收费项目").click()
    page.get_by_role("button", name="新建收费项目").click()
    dialog = page.get_by_role("dialog", name="新建收费项目")
    field(dialog, "代码").locator("input").fill("WATER")
    field(dialog, "名称").locator("input").fill("水费")
    dialog.get_by_text("按表计量", exact=True).click()
    dialog.locator(".el-form-item", has_text="单价").locator("input").fill("3.5")
    dialog.get_by_role("button", name="保存").click()
    error = dialog.get_by_test_id("item-error")
    error.get_by_text("按表计量的项目须填写计量单位（如 kWh、m³）").wait_for()
    assert "BAD_USER_INPUT" in error.inner_text()
    assert "按表计量的项目须填写计量单位" in field(dialog, "计量单位").locator(".el-form-item__error").inner_text()
    axe_forms(page, axe)
    field(dialog, "计量单位").locator("input").fill("m³")
    dialog.get_by_role("button", name="保存").click()
    page.get_by_test_id("fee-notice").get_by_text("已保存收费项目 WATER").wait_for()
    row = page.get_by_test_id("fee-items").locator("tbody tr", has_text="WATER")
    assert "3.50 元/m³" in row.inner_text() and "按表计量" in row.inner_text()
    # the same code again: CONFLICT, worded
    page.get_by_role("button", name="新建收费项目").click()
    field(dialog, "代码").locator("input").fill("WATER")
    field(dialog, "名称").locator("input").fill("水费二")
    dialog.locator(".el-form-item", has_text="单价").locator("input").fill("1")
    dialog.get_by_role("button", name="保存").click()
    dialog.get_by_test_id("item-error").get_by_text("项目代码已被使用，请换一个").wait_for()
    page.keyboard.press("Escape")
    # edited: 4.00 yuan per m³, read back through GraphQL
    row.get_by_role("button", name="编辑 WATER").click()
    edit = page.get_by_role("dialog", name="编辑收费项目")
    assert edit.locator(".el-form-item", has_text="代码").locator("input").is_disabled()
    edit.locator(".el-form-item", has_text="单价").locator("input").fill("4.00")
    edit.get_by_role("button", name="保存").click()
    page.get_by_test_id("fee-notice").wait_for()
    items = web_server.graphql("{ feeItems { id code unitPrice meterUnit kind } }", token=admin)["data"]["feeItems"]
    water = next(i for i in items if i["code"] == "WATER")
    assert (water["unitPrice"], water["meterUnit"], water["kind"]) == (400, "m³", "meter")

    # one reading: backwards refused with the API's words, then recorded
    page.get_by_role("tab", name="抄表").click()
    pane = page.locator("#pane-readings")
    choose(pane, "计量项目", "水费（m³）")
    field(pane, "账期").locator("input").fill("2026-12")
    choose(pane, "楼栋", building["name"])
    choose(pane, "房号", numbers[0])
    field(pane, "上期读数").locator("input").fill("100")
    field(pane, "本期读数").locator("input").fill("90")
    pane.get_by_role("button", name="录入读数").click()
    pane.get_by_test_id("reading-error").get_by_text("本期读数不能小于上期读数（用量至多 1000 万）").wait_for()
    field(pane, "本期读数").locator("input").fill("112")
    pane.get_by_role("button", name="录入读数").click()
    pane.get_by_test_id("reading-summary").get_by_text("已录入：用量 12").wait_for()
    axe_forms(page, axe)
    # a building's CSV pasted: a header, two good lines, one unknown unit, one backwards
    pane.get_by_text("批量（CSV）", exact=True).click()
    pane.locator("textarea").fill(
        f"房号,上期读数,本期读数\n{numbers[1]},200,230\n{numbers[2]},0,7\n9999,1,2\n{numbers[3]},50,40\n"
    )
    pane.get_by_role("button", name="录入读数").click()
    pane.get_by_test_id("reading-summary").get_by_text("已录入 2 行，2 行有误").wait_for()
    results = pane.get_by_test_id("reading-results").inner_text()
    assert "用量 30" in results and "用量 7" in results and "本楼栋没有房号 9999" in results
    assert "本期读数不能小于上期读数" in results
    axe_forms(page, axe)

    # billed through GraphQL: the readings made the water bills (4.00 yuan per m³)
    billed = web_server.graphql(
        'mutation($c: ID) { runBilling(period: "2026-12", communityId: $c) { billsCreated } }', {"c": community}, token=admin
    )
    assert "errors" not in billed, billed
    bills = web_server.graphql(
        '{ bills(period: "2026-12", first: 100) { edges { node { id unitId itemId amount outstanding } } } }', token=admin
    )["data"]["bills"]["edges"]
    water_bills = {b["node"]["unitId"]: b["node"] for b in bills if b["node"]["itemId"] == water["id"]}
    assert {u: b["amount"] for u, b in water_bills.items()} == {
        building["units"][numbers[0]]: 12 * 400,
        building["units"][numbers[1]]: 30 * 400,
        building["units"][numbers[2]]: 7 * 400,
    }

    # a bank transfer at the counter: more than outstanding is refused, then the whole bill paid
    page.get_by_role("tab", name="账单与缴费").click()
    bills_table = page.get_by_test_id("bills")
    water_row = bills_table.locator("tbody tr", has_text="¥48.00").first
    water_row.get_by_role("button", name="登记缴费").click()
    pay = page.get_by_role("dialog", name="登记缴费")
    pay.get_by_text("银行转账", exact=True).click()
    field(pay, "金额（元）").locator("input").fill("50")
    field(pay, "收据号").locator("input").fill("TRANSFER-0001")
    pay.get_by_role("button", name="登记缴费").click()
    pay.get_by_test_id("pay-error").get_by_text("缴费金额超过未缴金额 48.00 元").wait_for()
    axe_forms(page, axe)
    field(pay, "金额（元）").locator("input").fill("48.00")
    pay.get_by_role("button", name="登记缴费").click()
    bill = water_bills[building["units"][numbers[0]]]

    def paid() -> Any:
        node = web_server.graphql(
            "query($id: ID!) { feeBill(id: $id) { status payments { provider amount } } }", {"id": bill["id"]}, token=admin
        )["data"]["feeBill"]
        return node if node["status"] == "paid" else None

    assert wait_for(paid, within=15, what="the water bill paid")["payments"] == [{"provider": "transfer", "amount": 4800}]


def test_fund_deposits_then_a_disbursement_paid_only_once_the_vote_is_final(
    page: Any, web_server: Any, axe: Any, shot: Any
) -> None:
    from fixtures.governance_votes import close_with_many_votes, end_objection_period
    from strawberry import relay

    sign_in(page, web_server)
    admin = admin_token(page)
    community, building = first_building(web_server, admin)
    numbers = sorted(building["units"])
    # the owners' USE_FUND proposal, voting on chain
    draft = web_server.graphql(
        'mutation($c: ID!) { draftProposal(communityId: $c, matter: USE_FUND, title: "1幢屋面防水", body: "使用维修资金维修 1 幢屋面防水。", '
        "estimatedCostFen: 50000) { id } }",
        {"c": community},
        token=admin,
    )
    assert "errors" not in draft, draft
    proposal = draft["data"]["draftProposal"]["id"]
    for step in ("publishProposal", "openVoting"):
        answer = web_server.graphql(f"mutation($id: ID!) {{ {step}(id: $id) {{ status }} }}", {"id": proposal}, token=admin)
        assert "errors" not in answer, answer
    wait_for(
        lambda: web_server.graphql("query($id: ID!) { proposal(id: $id) { chainProposalId } }", {"id": proposal}, token=admin)[
            "data"
        ]["proposal"]["chainProposalId"],
        within=60,
        what="the proposal on chain",
    )

    statement = "query($c: ID!) { fundCommunityStatement(communityId: $c) { depositsFen disbursedFen } fundDisbursements(communityId: $c) { id status amountFen proposalId } }"

    def fund() -> dict[str, Any]:
        answer = web_server.graphql(statement, {"c": community}, token=admin)
        assert "errors" not in answer, answer
        data = answer["data"]
        mine = [d for d in data["fundDisbursements"] if d["proposalId"] == proposal]
        # no statement before the community's first deposit opens its fund
        totals = data["fundCommunityStatement"] or {"depositsFen": 0, "disbursedFen": 0}
        return {**totals, "mine": mine}

    before = fund()
    page.get_by_role("menuitem", exact=True, name="维修资金").click()
    page.get_by_test_id("fund-flows").wait_for()
    # a bank statement pasted: a header and one line per unit of the building, 3,000 yuan each
    page.get_by_role("button", name="登记交存").click()
    dialog = page.get_by_role("dialog", name="登记交存")
    dialog.get_by_text("批量（银行流水）", exact=True).click()
    choose(dialog, "楼栋", building["name"])
    lines = "\n".join(f"{n},3000.00,BANK-{i:03d}" for i, n in enumerate(numbers))
    dialog.locator("textarea").fill(f"房号,金额,流水号\n{lines}\n")
    dialog.get_by_test_id("deposit-preview").get_by_text(f"共 {len(numbers)} 笔，合计").wait_for()
    axe_forms(page, axe)
    dialog.get_by_role("button", name="登记交存").click()
    page.get_by_test_id("fund-notice").get_by_text(f"已登记 {len(numbers)} 笔交存").wait_for()
    flows = page.get_by_test_id("fund-flows")
    flows.locator("tbody tr", has_text="BANK-").first.wait_for()  # the ledger, newest first
    assert flows.locator("tbody tr", has_text="交存").count() >= len(numbers)
    # the same bank line again: CONFLICT duplicate_bank_ref, worded, nothing written
    page.get_by_role("button", name="登记交存").click()
    choose(dialog, "楼栋", building["name"])
    choose(dialog, "房号", numbers[0])
    field(dialog, "金额（元）").locator("input").fill("100")
    field(dialog, "银行流水号").locator("input").fill("BANK-000")
    dialog.get_by_role("button", name="登记交存").click()
    error = dialog.get_by_test_id("deposit-error")
    error.get_by_text("银行流水号 BANK-000 已登记过（或在本批中重复）：同一笔流水只能登记一次").wait_for()
    assert "CONFLICT" in error.inner_text()
    axe_forms(page, axe)
    page.keyboard.press("Escape")

    assert fund()["depositsFen"] - before["depositsFen"] == 300_000 * len(numbers)

    # the disbursement request, tied to the proposal (its status shown in the picker)
    page.get_by_role("button", name="申请使用").click()
    request = page.get_by_role("dialog", name="申请使用")
    field(request, "用途").locator("input").fill("1幢屋面防水")
    field(request, "收款方").locator("input").fill("某防水工程公司")
    field(request, "金额（元）").locator("input").fill("500.00")
    choose(request, "分摊楼栋", building["name"], multiple=True)
    choose(request, "表决事项", "1幢屋面防水（投票中）")
    axe_forms(page, axe)
    request.get_by_role("button", name="申请使用").click()
    page.get_by_test_id("fund-notice").get_by_text("已提交使用申请").wait_for()
    row = page.get_by_test_id("fund-disbursements").locator("tbody tr", has_text="某防水工程公司")
    assert "待表决生效" in row.inner_text() and "1幢屋面防水" in row.inner_text()

    # paying while the owners vote: the API refuses (CONFLICT proposal_not_final), worded
    row.get_by_role("button", name="支付").click()
    page.locator(".el-popconfirm").get_by_role("button", name="支付").click()
    refused = page.get_by_test_id("fund-step-error")
    refused.get_by_text("所选表决事项目前处于\"投票中\"，尚未生效：异议期结束、结果确认后才能支付").wait_for()
    assert "CONFLICT" in refused.inner_text()
    axe_forms(page, axe)
    state = fund()
    assert [d["status"] for d in state["mine"]] == ["AWAITING_VOTE"]
    assert state["disbursedFen"] == before["disbursedFen"]

    # the owners vote it through, the objection period passes, the result is final: paid
    closed = web_server.run(
        close_with_many_votes(web_server.thread.runtime, web_server.tenant_id, relay.GlobalID.from_id(proposal).node_id),
        timeout=180,
    )
    assert closed["status"] == "objection", closed
    final = web_server.run(
        end_objection_period(web_server.thread.runtime, web_server.tenant_id, relay.GlobalID.from_id(proposal).node_id),
        timeout=60,
    )
    assert final == "final", final
    page.get_by_role("button", name="刷新").click()
    row.get_by_role("button", name="支付").click()
    page.locator(".el-popconfirm").get_by_role("button", name="支付").click()
    page.get_by_test_id("fund-notice").get_by_text("已支付 ¥500.00，见资金流水").wait_for()
    row.get_by_text("已支付").wait_for()
    flows.locator("tbody tr", has_text="使用").first.wait_for()  # the ledger shows the debits
    axe_forms(page, axe)
    shot(page, "funds")
    state = fund()
    assert [(d["status"], d["amountFen"]) for d in state["mine"]] == [("EXECUTED", 50000)]
    assert state["disbursedFen"] - before["disbursedFen"] == 50000
