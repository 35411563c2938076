"""The residents' voting client in headless Chromium: login, my proposals, detail, voting with a
confirmation step, the receipt and its verification, elderly mode, the language switch, a
rejected second vote, self-custody signing, the preliminary result and objections. Saves the
screenshots used by docs/governance.md (docs/img/vote-*.png)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from fixtures.voting_pages import log_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_served_at_vote_with_its_assets(page: Any, live_server: Any) -> None:
    response = page.goto(f"{live_server.base_url}/vote")
    assert response.ok and page.url.endswith("/vote/#/login")
    for asset in (
        "app.js",
        "i18n.js",
        "style.css",
        "vendor/ethers-6.17.0.min.js",
        "vendor/ethers-LICENSE.md",
    ):
        assert page.request.get(f"{live_server.base_url}/vote/{asset}").ok, asset


def test_wrong_password_is_refused(page: Any, live_server: Any, shot: Any) -> None:
    page.goto(f"{live_server.base_url}/vote/?tenant={live_server.tenant}")
    shot(page, "login")
    page.get_by_label("账号").fill("demo-owner")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    assert "登录失败" in page.get_by_role("alert").inner_text()
    assert page.evaluate("sessionStorage.getItem('linli.vote.token')") is None


def test_elderly_mode_is_large_high_contrast_and_persists(
    page: Any, live_server: Any, open_proposal: Any, shot: Any
) -> None:
    log_in(page, live_server)

    def size(selector: str) -> float:
        script = "e => parseFloat(getComputedStyle(e).fontSize)"
        return float(page.eval_on_selector(selector, script))

    assert size("body") < 22
    toggle = page.locator("#elderly-toggle")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    page.get_by_role("heading", name="要您投票的事").wait_for()  # plain words
    page.locator(".proposal-item").first.wait_for()
    assert size("body") >= 22 and size(".item-meta") >= 22 and size("#elderly-toggle") >= 22
    color = page.eval_on_selector("body", "e => getComputedStyle(e).color")
    assert color == "rgb(0, 0, 0)"
    page.locator(".proposal-item", has_text=open_proposal.title).get_by_role("link").click()
    page.get_by_role("heading", name="议题内容").wait_for()
    assert size("h1") >= 28 and size("h2") >= 24
    button = page.locator(".choices .button").first  # demo-owner has not voted yet
    assert button.bounding_box()["height"] >= 64
    shot(page, "elderly")
    page.reload()
    page.get_by_role("heading", name="议题内容").wait_for()
    assert page.evaluate("document.body.classList.contains('elderly')")
    assert page.evaluate("localStorage.getItem('linli.vote.elderly')") == "1"


def test_list_detail_vote_receipt_and_verify(page: Any, live_server: Any, open_proposal: Any, shot: Any) -> None:
    log_in(page, live_server)
    assert page.evaluate("sessionStorage.getItem('linli.vote.token')")  # tokens in sessionStorage
    item = page.locator(".proposal-item", has_text=open_proposal.title)
    assert "投票中" in item.inner_text() and "未投票" in item.inner_text()
    shot(page, "list")

    item.get_by_role("link").click()
    page.get_by_role("heading", name="议题内容").wait_for()
    assert open_proposal.title in page.get_by_role("heading", level=1).inner_text()
    units = page.locator(".unit").first.inner_text()
    assert "占表决范围面积" in units and "¥" in units  # the share the owner's unit would bear
    assert page.locator(".docs a").count() >= 1
    results = page.locator("#results")
    assert results.get_attribute("aria-live") == "polite"
    assert results.locator("svg[role=img]").count() == 2  # participation by persons and by area
    assert "投票期间不公布" in results.inner_text()
    # the proposal's text, documents and the owner's share come before the vote buttons
    order = page.evaluate(
        "['#h-body', '#h-docs', '#h-units', '.choices'].map(s => document.querySelector(s).getBoundingClientRect().top)"
    )
    assert order == sorted(order), order
    # the demo document is served, and its bytes have the fingerprint shown beside it
    link = page.locator(".docs a").first
    shown = page.locator(".docs code.hash").first.inner_text().strip()
    served = page.request.get(f"{live_server.base_url}{link.get_attribute('href')}")
    assert served.ok and hashlib.sha256(served.body()).hexdigest() == shown
    shot(page, "detail")

    page.get_by_role("link", name="同意").click()
    page.get_by_role("heading", name="请确认您的选择").wait_for()
    assert "同意" in page.locator(".big-choice").inner_text()
    shot(page, "confirm")
    page.get_by_role("button", name="确认投票").click()

    page.get_by_role("heading", name="投票回执").wait_for()
    # the relayer puts the ballot on chain in the background; the page follows it
    expect(page.locator("#receipt-status")).to_have_text("已上链", timeout=30_000)
    tx = page.locator("#tx-hash").inner_text()
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx.strip()), tx
    receipt = page.locator(".receipt").inner_text()
    assert "表决合约地址" in receipt and "链 ID" in receipt
    page.get_by_role("button", name="核验").click()
    page.locator(".verify-ok").wait_for()
    assert "核验成功" in page.locator("#verify-result").inner_text()
    page.locator("details", has_text="自行核验").locator("summary").click()
    assert "getReceipt(" in page.locator("details", has_text="自行核验").inner_text()
    shot(page, "receipt")

    # back on the list the proposal shows as voted; the detail no longer offers the choices
    page.goto(f"{live_server.base_url}/vote/#/")
    assert "已投票" in page.locator(".proposal-item", has_text=open_proposal.title).inner_text()
    page.goto(f"{live_server.base_url}/vote/#/p/{open_proposal.id}")
    page.get_by_role("link", name="查看回执").wait_for()
    assert page.locator(".choices").count() == 0


def test_second_vote_is_rejected_with_an_error(page: Any, live_server: Any, open_proposal: Any, shot: Any) -> None:
    log_in(page, live_server, "demo-owner3")
    page.goto(f"{live_server.base_url}/vote/#/p/{open_proposal.id}/confirm/AGAINST")
    page.get_by_role("button", name="确认投票").wait_for()
    # meanwhile the same owner votes from another device
    first = page.evaluate(
        """async (id) => {
            const r = await fetch('/graphql', {method: 'POST', headers: {'content-type': 'application/json',
              authorization: 'Bearer ' + sessionStorage.getItem('linli.vote.token')},
              body: JSON.stringify({query: 'mutation($p: ID!) { castVote(proposalId: $p, choice: FOR) { choice } }', variables: {p: id}})});
            return r.json(); }""",
        open_proposal.id,
    )
    assert not first.get("errors") and first["data"]["castVote"]["choice"] == "FOR", first
    page.get_by_role("button", name="确认投票").click()
    alert = page.get_by_role("alert")
    # the vote on record (FOR, from the other device), not the one just refused, in Chinese only
    expect(alert).to_contain_text("您已经投过票了：您投的是“同意”")
    assert not re.search(r"[A-Za-z]", alert.inner_text()), alert.inner_text()
    expect(alert.get_by_role("link", name="查看回执")).to_be_visible()
    shot(page, "second-vote")
    page.get_by_role("button", name="切换为英文").click()  # the confirmation page now leads to the receipt
    page.get_by_role("heading", name="Vote receipt").wait_for()
    assert "For" in page.locator(".big-choice").inner_text()


def test_language_switch_to_english_and_back(page: Any, live_server: Any, open_proposal: Any, shot: Any) -> None:
    log_in(page, live_server)
    page.get_by_role("button", name="切换为英文").click()
    page.get_by_role("heading", name="Votes about my home").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    item = page.locator(".proposal-item", has_text=open_proposal.title)
    assert "Voting open" in item.inner_text()
    item.get_by_role("link").click()
    page.get_by_role("heading", name="Live participation").wait_for()
    assert "Share of the voting area" in page.locator(".unit").first.inner_text()
    shot(page, "detail-en")
    page.get_by_role("button", name="Switch to Chinese").click()
    page.get_by_role("button", name="切换为英文").wait_for()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_self_custody_signs_the_ballot_in_the_page(page: Any, live_server: Any, open_proposal: Any, shot: Any) -> None:
    from eth_account import Account

    own = Account.from_key(
        live_server.own_key
    )  # registered for demo-owner2 before the units went on chain
    log_in(page, live_server, "demo-owner2")
    page.goto(f"{live_server.base_url}/vote/#/p/{open_proposal.id}/confirm/ABSTAIN")
    page.locator("summary", has_text="自持密钥").click()
    page.get_by_label("我的私钥").fill("0x1234")
    expect(page.locator("#key-address")).to_contain_text("不正确")
    wrong = Account.create()
    page.get_by_label("我的私钥").fill(
        wrong.key.hex() if wrong.key.hex().startswith("0x") else "0x" + wrong.key.hex()
    )
    page.wait_for_function("document.querySelector('#key-address').textContent.startsWith('0x')")
    page.get_by_role("button", name="签名并投票").click()
    expect(page.get_by_role("alert")).to_contain_text("不是登记给您的投票地址")
    key = own.key.hex()
    page.get_by_label("我的私钥").fill(key if key.startswith("0x") else "0x" + key)
    page.wait_for_function(
        f"document.querySelector('#key-address').textContent === '{own.address}'"
    )
    assert page.get_by_role("alert").count() == 0  # the stale error went with the new key
    shot(page, "self-custody")
    page.get_by_role("button", name="签名并投票").click()
    page.get_by_role("heading", name="投票回执").wait_for()
    assert own.address in page.locator(".receipt").inner_text()
    # the ballot signed by ethers in the page is accepted by the contract (castVotesBySig)
    expect(page.locator("#receipt-status")).to_have_text("已上链", timeout=30_000)
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".verify-ok")).to_contain_text("核验成功")
    assert page.locator("#private-key").count() == 0  # the key is gone with the page


def test_final_results_as_charts(page: Any, live_server: Any, objection_proposal: Any, shot: Any) -> None:
    """A vote closed after most owners voted shows its preliminary result, on notice for objections."""
    log_in(page, live_server)
    page.goto(f"{live_server.base_url}/vote/#/p/{objection_proposal.id}")
    page.get_by_role("heading", name="初步统计结果").wait_for()  # on notice: not final yet
    notice = page.locator(".objection-notice")
    assert "异议期截止" in notice.inner_text()
    assert notice.locator("#objection-deadline").inner_text().strip() not in ("", "—")
    expect(notice.get_by_role("link", name="提出异议")).to_be_visible()
    results = page.locator("#results")
    assert (
        results.locator("svg[role=img]").count() == 4
    )  # participation and consent, by persons and by area
    text = results.inner_text()
    assert "同意" in text and "反对" in text and "弃权" in text
    assert "投票期间不公布" not in text
    shot(page, "results")
    expect(page.locator(".outcome")).to_have_text("表决通过")


# ---- objections (异议公示) on a proposal in its objection period ----------------------------------


def objection_requests(page: Any) -> list[str]:
    """Collects the bodies of the GraphQL requests that file an objection."""
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data or "")
            if r.url.endswith("/graphql") and "fileObjection" in (r.post_data or "")
            else None
        ),
    )
    return sent


def test_objection_form_refuses_empty_text_before_calling_the_api(
    page: Any, live_server: Any, objection_proposal: Any
) -> None:
    sent = objection_requests(page)
    log_in(page, live_server)
    item = page.locator(".proposal-item", has_text=objection_proposal.title)
    assert "异议期" in item.inner_text() and "异议期截止" in item.inner_text()
    item.get_by_role("link").click()
    page.get_by_role("link", name="提出异议").click()
    page.get_by_role("heading", name="提出异议").wait_for()
    text = page.get_by_label("异议内容")
    assert text.get_attribute("maxlength") == "5000"  # the API's limit
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("alert")).to_have_text("请先写下您的异议内容，再提交。")
    assert text.get_attribute("aria-invalid") == "true"
    text.fill("   \n  ")  # blank is empty too
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("alert")).to_contain_text("请先写下您的异议内容")
    assert page.get_by_role("heading", name="确认提交？").count() == 0
    assert sent == [], "an empty objection reached the API"


def test_owner_files_an_objection_and_sees_it_recorded(
    page: Any, live_server: Any, objection_proposal: Any, shot: Any
) -> None:
    sent = objection_requests(page)
    objection = "电梯维修报价偏高，请公开三家比价记录。\n请在结果生效前答复。"
    log_in(page, live_server, "demo-owner2")
    page.goto(f"{live_server.base_url}/vote/#/p/{objection_proposal.id}/objection")
    page.get_by_label("异议内容").fill(objection)
    expect(page.locator("#objection-count")).to_contain_text(f"已写 {len(objection)} 字")
    shot(page, "objection")
    page.get_by_role("button", name="提交异议").click()

    page.get_by_role("heading", name="确认提交？").wait_for()
    assert "请公开三家比价记录" in page.locator(".objection-text").inner_text()
    page.get_by_role("button", name="返回修改").click()  # editing keeps the text
    expect(page.get_by_label("异议内容")).to_have_value(objection)
    page.get_by_role("button", name="提交异议").click()
    page.get_by_role("button", name="确认提交").click()

    page.get_by_role("heading", name="异议已提交").wait_for()
    assert "已记录在案" in page.get_by_role("status").inner_text()
    assert "请在结果生效前答复" in page.locator(".objection-text").inner_text()
    assert len(sent) == 1
    # recorded for this owner, with an audit entry (the API exposes neither: read from the database)
    filed = live_server.objections(objection_proposal)
    assert (live_server.accounts["demo-owner2"], objection) in filed["objections"]
    assert len(filed["audited"]) == len(filed["objections"]) >= 1
    # back on the detail page: listed under 您已提出的异议 (as text, line break kept), with its
    # date in the page's locale, and counted in the public total
    page.get_by_role("link", name="返回表决事项").click()
    mine = page.get_by_role("list", name="您已提出的异议")
    expect(mine.locator(".filed-objection").last).to_have_text(objection)
    assert mine.locator(".filed-objection").last.inner_text() == objection
    assert re.search(
        r"提交时间: \d{4}年\d{1,2}月\d{1,2}日", mine.locator(".filed-at").last.inner_text()
    )
    total = re.fullmatch(
        r"共收到 (\d+) 条异议", page.locator("#objection-total").inner_text().strip()
    )
    assert total and int(total.group(1)) >= 1
    shot(page, "objection-filed")
    page.locator("#elderly-toggle").click()  # elderly mode: the list is large too
    mine.locator(".filed-objection").last.wait_for()
    for selector in ("#objection-total", "#h-my-objections", ".filed-at", ".filed-objection"):
        size = page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)")
        assert float(size) >= 22, selector
    page.locator("#elderly-toggle").click()  # back to the normal wording
    # the draft is gone once sent: a new objection starts empty
    page.get_by_role("link", name="提出异议").click()
    expect(page.get_by_label("异议内容")).to_have_value("")


def test_objection_form_in_elderly_mode_is_large(page: Any, live_server: Any, objection_proposal: Any) -> None:
    log_in(page, live_server)
    page.locator("#elderly-toggle").click()
    page.get_by_role("heading", name="要您投票的事").wait_for()
    page.goto(f"{live_server.base_url}/vote/#/p/{objection_proposal.id}")
    page.get_by_role("heading", name="初步结果（还没最终确定）").wait_for()  # plain words
    action = page.get_by_role("link", name="我有不同意见（提出异议）")
    assert action.bounding_box()["height"] >= 64
    action.click()
    page.get_by_role("heading", name="我有不同意见").wait_for()

    def size(selector: str) -> float:
        script = "e => parseFloat(getComputedStyle(e).fontSize)"
        return float(page.eval_on_selector(selector, script))

    for selector in ("#objection-text", "label[for=objection-text]", "#objection-count", "h1"):
        assert size(selector) >= 22, selector
    submit = page.locator("#objection-form button[type=submit]")
    assert size("#objection-form button[type=submit]") >= 22
    assert submit.bounding_box()["height"] >= 64
    assert page.locator("#objection-text").bounding_box()["height"] >= 64
    submit.click()
    expect(page.get_by_role("alert")).to_contain_text("请先写下您的异议内容")
    assert size(".error") >= 22


# ---- wording checked on proposals the API would return (the GraphQL answer is stubbed) ------------


def stub_proposal(page: Any, server: Any, proposal: dict[str, Any], errors: dict[str, Any] | None = None) -> None:
    """Answers the client's ``proposal`` queries with ``proposal`` and, for a mutation named in
    ``errors``, with that error (as the API words it); every other request goes to the server."""
    import json

    def handle(route: Any) -> None:
        body = route.request.post_data or ""
        for mutation, error in (errors or {}).items():
            if mutation in body:
                route.fulfill(status=200, content_type="application/json", body=json.dumps({"data": None, "errors": [error]}))
                return
        if "proposal(id:" in body:
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"data": {"proposal": proposal}}))
            return
        route.continue_()

    page.route(f"{server.base_url}/graphql", handle)


def a_proposal(status: str, tally: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    base = {
        "id": "UHJvcG9zYWw6c3R1Yg==", "title": "关于更换2幢水泵的决定", "body": "2幢水泵老化，提议更换。", "matter": "USE_FUND",
        "status": status, "votingStartsAt": "2026-11-01T00:00:00+00:00", "votingEndsAt": "2026-11-15T00:00:00+00:00",
        "objectionEndsAt": None, "scopeBuildings": ["2幢"], "totalPersons": 10, "totalArea": 100000,
        "contentHash": "0x" + "ab" * 32, "chainProposalId": "2", "governanceAddress": "0x" + "12" * 20, "chainId": 1,
        "documents": [], "tally": tally, "myUnits": [{"unitNumber": "201", "buildingName": "2幢", "area": 10000, "shareBp": 1000, "estimatedCostFen": 5000}],
        "myVote": None, "objectionCount": 0, "myObjections": [],
    }
    return {**base, **extra}


def a_tally(persons: int, area: int, for_p: int, for_a: int, passed: bool | None) -> dict[str, Any]:
    return {
        "totalPersons": 10, "totalArea": 100000, "participatingPersons": persons, "participatingArea": area,
        "forPersons": for_p, "forArea": for_a, "againstPersons": persons - for_p, "againstArea": area - for_a,
        "abstainPersons": 0, "abstainArea": 0, "participationReached": 3 * persons >= 20 and 3 * area >= 200000, "passed": passed,
    }


def fills(page: Any, selector: str) -> set[str]:
    return set(page.eval_on_selector_all(selector, "els => els.map(e => getComputedStyle(e).fill)"))


GREEN, RED, GREY = "rgb(27, 127, 59)", "rgb(180, 35, 24)", "rgb(195, 201, 208)"


def test_results_after_a_vote_that_failed_for_low_turnout(page: Any, live_server: Any) -> None:
    """Everyone who voted said yes, but too few voted: the consent bars are grey (not counted), the
    short participation bars red like the verdict, nothing says "not yet" or that an objection
    period ended (there was none), in Chinese and in English."""
    proposal = a_proposal("defeated_no_quorum", a_tally(3, 30000, 3, 30000, False))
    log_in(page, live_server)
    stub_proposal(page, live_server, proposal)
    page.goto(f"{live_server.base_url}/vote/#/p/{proposal['id']}")
    page.get_by_role("heading", name="表决结果").wait_for()
    results = page.locator("#results")
    text = page.locator("main").inner_text()
    assert "尚未" not in text and "异议期已经结束" not in text and "异议期截止" not in text
    assert page.locator(".objection-notice").count() == 0
    assert page.locator(".participation-note").inner_text() == "参与表决的人数或面积不足三分之二。"
    expect(page.locator(".outcome.bad")).to_have_text("表决未通过：参与表决的人数或面积不足三分之二")
    assert results.locator(".bar.short").count() == 2 and results.locator(".bar.void").count() == 2
    assert "不计入结果" in results.locator(".bar.void").first.inner_text()
    verdict = page.eval_on_selector(".outcome", "e => getComputedStyle(e).color")
    assert fills(page, "#results .bar.short rect.s-part") == {verdict} == {RED}
    assert fills(page, "#results .bar.void rect.s-for") == {GREY}
    assert GREEN not in fills(page, "#results rect")  # no green bar beside the red verdict
    page.goto(f"{live_server.base_url}/vote/#/p/{proposal['id']}/objection")
    expect(page.locator(".closed-note")).to_have_text("这个事项没有通过，所以没有异议期。")

    page.get_by_role("button", name="切换为英文").click()
    expect(page.locator(".closed-note")).to_have_text("This matter did not pass, so there is no objection period.")
    page.goto(f"{live_server.base_url}/vote/#/p/{proposal['id']}")
    expect(page.locator(".outcome.bad")).to_have_text("Not passed: fewer than two thirds of owners or of the area voted")
    text = page.locator("main").inner_text()
    assert "Not yet" not in text and "objection period has ended" not in text and "Objections until" not in text
    assert page.locator(".participation-note").inner_text() == "Fewer than two thirds of owners or of the area voted."


def test_results_after_a_vote_that_failed_on_consent(page: Any, live_server: Any) -> None:
    proposal = a_proposal("defeated", a_tally(8, 80000, 3, 30000, False))
    log_in(page, live_server)
    stub_proposal(page, live_server, proposal)
    page.goto(f"{live_server.base_url}/vote/#/p/{proposal['id']}")
    expect(page.locator(".outcome.bad")).to_have_text("表决未通过：同意的人数或面积未达到法定比例")
    results = page.locator("#results")
    assert results.locator(".bar.met").count() == 2 and results.locator(".bar.short").count() == 2
    assert "参与表决的人数和面积均达到了三分之二。" == page.locator(".participation-note").inner_text()
    assert fills(page, "#results .bar.met rect.s-part") != {RED}
    assert "✗ 未达到门槛" in results.locator(".bar.short").first.inner_text()
    assert "尚未" not in page.locator("main").inner_text()


def test_a_refused_vote_reads_as_a_sentence_in_the_page_language(page: Any, live_server: Any) -> None:
    """The API refuses the vote because the proposal left its voting period meanwhile: CONFLICT with
    the status and the step, worded by the page in Chinese, then in English."""
    proposal = a_proposal("voting", a_tally(3, 30000, 0, 0, None) | {"forPersons": None, "forArea": None})
    refusal = {
        "message": "This proposal is in its objection period; votes are taken only while voting is open.",
        "extensions": {"code": "CONFLICT", "status": "objection", "step": "vote"},
    }
    log_in(page, live_server)
    stub_proposal(page, live_server, proposal, {"castVote": refusal})
    page.goto(f"{live_server.base_url}/vote/#/p/{proposal['id']}/confirm/FOR")
    page.get_by_role("button", name="确认投票").click()
    expect(page.get_by_role("alert")).to_have_text("这个事项正处于异议期；只有在投票期间才能投票。")
    page.get_by_role("button", name="切换为英文").click()
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.get_by_role("alert")).to_have_text("This matter is in its objection period; votes are taken only while voting is open.")
