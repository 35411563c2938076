"""The resident app, online payment and live pages, in headless Chromium on a phone screen.

Paying a bill online end to end through the integration contract (docs/fees.md): the resident
taps "Pay", the app starts a payment order and goes to the provider's cashier — here a tiny HTTP
server of the test on another 127.0.0.1 port standing in for the provider. It checks the order's
signature with the firm's secret (as a provider must), shows the order, and on "confirm" POSTs the
signed payment notification to the order's ``notify_url`` (the fees webhook), then sends the
browser back to ``return_url``; the app shows the bill paid. Without a provider the app says to
pay at the property office. And the live pages: a notice published, a repair moved on by staff
and a counter payment appear on the open page within 2 s, without a reload."""

from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from test_app import _owner_person, sign_in, web_server  # noqa: F401 - the app's server fixture

from plugins.fees import service

pytestmark = pytest.mark.browser

LIVE_WITHIN_MS = 2000


class Cashier:
    """The provider's cashier: ``GET /cashier?<signed order>`` shows the order (refusing a bad
    signature), ``POST /cashier/pay`` notifies the webhook, signed, and redirects back."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.notified: list[dict[str, Any]] = []
        cashier = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                params = dict(parse_qsl(urlsplit(self.path).query))
                if params.get("sign") != service.order_signature(cashier.secret, params):
                    self._send(400, "<h1>bad signature</h1>")
                    return
                hidden = "".join(
                    f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
                    for k in ("out_trade_no", "amount", "notify_url", "return_url")
                )
                self._send(
                    200,
                    f"""<!doctype html><html lang="zh-CN"><head><title>收银台</title></head><body><main>
                    <h1>收银台</h1><p data-testid="order">商户 {html.escape(params["merchant_id"])} ·
                    订单 {html.escape(params["out_trade_no"])} · ¥{int(params["amount"]) / 100:.2f}</p>
                    <form method="post" action="/cashier/pay">{hidden}<button type="submit">确认支付</button></form>
                    </main></body></html>""",
                )

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                body = json.dumps(
                    {
                        "provider": "unionpay",
                        "transaction_id": "UP" + uuid.uuid4().hex[:16],
                        "out_trade_no": form["out_trade_no"],
                        "amount": int(form["amount"]),
                    }
                ).encode()
                request = urllib.request.Request(
                    form["notify_url"],
                    data=body,
                    headers={
                        "content-type": "application/json",
                        "x-linli-signature": service.sign(cashier.secret, body),
                    },
                )
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the test's server
                    cashier.notified.append(json.loads(answer.read()))
                self._send(303, "", {"location": form["return_url"]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cashier"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def phone_with(browser: Any, web_server: Any) -> Any:  # noqa: F811
    """``phone_with(*origins)``: a phone page that may reach the app and ``origins`` only; fails
    on any other request and on JavaScript errors."""
    contexts: list[Any] = []
    outside: list[str] = []
    errors: list[str] = []

    def make(*origins: str) -> Any:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=True,
            has_touch=True,
        )
        allowed = (web_server.base_url, web_server.base_url.replace("http", "ws"), "data:", "blob:", *origins)

        def guard(route: Any) -> None:
            if route.request.url.startswith(allowed):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        contexts.append(context)
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.set_default_timeout(15_000)
        return pg

    yield make
    for c in contexts:
        c.close()
    assert not outside, f"the app made external requests: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def _bills_of_period(web_server: Any, period: str) -> tuple[str, str, list[dict[str, Any]]]:  # noqa: F811
    """Bills the demo owner's community for ``period`` (an item of its own); returns (admin
    token, staff token, the owner's bills of the period)."""
    staff, admin = web_server.token("demo-staff"), web_server.token("demo-admin")
    owner = web_server.token("demo-owner")
    unit = web_server.graphql("{ myUnits { id } }", token=owner)["data"]["myUnits"][0]["id"]
    community, _ = _owner_person(web_server, staff, unit)
    code = "PAY" + period.replace("-", "")
    item = web_server.graphql(
        "mutation($c: String!) { createFeeItem(input: {code: $c, name: \"物业费\", kind: area, unitPrice: 235}) { id } }",
        {"c": code},
        token=admin,
    )
    assert "errors" not in item, item
    billed = web_server.graphql(
        "mutation($p: String!, $c: ID) { runBilling(period: $p, communityId: $c) { billsCreated } }",
        {"p": period, "c": community},
        token=staff,
    )
    assert billed["data"]["runBilling"]["billsCreated"] > 0, billed
    mine = web_server.graphql(
        "query($p: String) { myBills(period: $p) { id amount outstanding } }", {"p": period}, token=owner
    )["data"]["myBills"]
    assert mine, "the demo owner has no bill"
    return admin, staff, mine


def test_pay_a_bill_online_through_the_providers_cashier(
    phone_with: Any, web_server: Any, axe: Any  # noqa: F811
) -> None:
    admin, staff, mine = _bills_of_period(web_server, "2026-09")
    secret = web_server.graphql("mutation { rotateFeeWebhookSecret { secret } }", token=admin)["data"][
        "rotateFeeWebhookSecret"
    ]["secret"]
    cashier = Cashier(secret)
    try:
        configure = 'mutation($u: String!) { configureFeePaymentProvider(provider: "unionpay", checkoutUrl: $u, merchantId: "M-1001") { provider } }'
        assert "errors" not in web_server.graphql(configure, {"u": cashier.url}, token=admin)
        phone = phone_with(cashier.url.removesuffix("/cashier"))
        sign_in(phone, web_server)
        phone.goto(f"{web_server.base_url}/app/#/bills")
        card = phone.get_by_test_id("bill").filter(has_text="2026-09").first
        pay = card.get_by_test_id("pay")
        pay.wait_for()
        assert re.search(r"在线缴费 ¥\d", pay.inner_text())
        axe(phone)
        phone.get_by_test_id("elderly-toggle").click()  # elderly mode: plain words, big button
        assert pay.inner_text().startswith("交钱 ¥") and pay.bounding_box()["height"] >= 64
        axe(phone)
        phone.get_by_test_id("elderly-toggle").click()

        # the firm switches online payment off meanwhile: a coded error, the app says where to pay
        web_server.graphql(configure, {"u": ""}, token=admin)
        pay.click()
        phone.get_by_test_id("pay-at-office").wait_for()
        assert "请到物业前台缴费" in phone.get_by_test_id("pay-at-office").inner_text()
        assert card.get_by_test_id("pay").count() == 0
        axe(phone)

        # on again: pay → the cashier (the signature checked there) → back, the bill paid
        web_server.graphql(configure, {"u": cashier.url}, token=admin)
        phone.reload()
        card = phone.get_by_test_id("bill").filter(has_text="2026-09").first
        card.get_by_test_id("pay").click()
        phone.wait_for_url(re.compile(re.escape(cashier.url)))
        order = phone.get_by_test_id("order").inner_text()
        assert "M-1001" in order and f"¥{mine[0]['outstanding'] / 100:.2f}" in order
        phone.get_by_role("button", name="确认支付").click()
        phone.wait_for_url(re.compile(r"/app/#/bills\?order=P\d{14}"))
        phone.get_by_test_id("payment-returned").wait_for()
        assert [n["status"] for n in cashier.notified] == ["recorded"]
        card = phone.get_by_test_id("bill").filter(has_text="2026-09").first
        card.get_by_test_id("bill-status").filter(has_text="已缴清").wait_for()
        assert card.get_by_test_id("pay").count() == 0
        assert re.search(r"R\d{8}-", card.inner_text())  # the receipt
        axe(phone)
    finally:
        cashier.close()


def _appears_within(locator: Any, ms: int = LIVE_WITHIN_MS) -> float:
    start = time.monotonic()
    locator.wait_for(timeout=ms)
    return time.monotonic() - start


def test_notices_repairs_and_bills_update_live(
    phone_with: Any, web_server: Any, axe: Any  # noqa: F811
) -> None:
    admin, staff, mine = _bills_of_period(web_server, "2026-08")
    owner = web_server.token("demo-owner")
    unit = web_server.graphql("{ myUnits { id } }", token=owner)["data"]["myUnits"][0]["id"]
    community, _ = _owner_person(web_server, staff, unit)
    phone = phone_with()
    sign_in(phone, web_server)

    # notices: staff publish one while the page is open
    phone.goto(f"{web_server.base_url}/app/#/notices")
    phone.get_by_role("heading", name="通知公告").wait_for()
    phone.wait_for_timeout(500)  # the subscription is open
    published = web_server.graphql(
        """mutation($c: ID!) { createNotice(input: {targetId: $c, title: "电梯维保（实时）", body: "周日上午检修电梯。",
             category: MAINTENANCE}, publish: true) { id } }""",
        {"c": community},
        token=staff,
    )
    assert "errors" not in published, published
    took = _appears_within(phone.get_by_test_id("notice").filter(has_text="电梯维保（实时）"))
    axe(phone)

    # repairs: my report, accepted; staff dispatch it while the page is open (the firm tells the
    # reporter when a repair is dispatched, resolved, closed or cancelled)
    order = web_server.graphql(
        'mutation { reportWorkOrder(input: {title: "楼道灯不亮（实时）"}) { id } }', token=owner
    )["data"]["reportWorkOrder"]["id"]
    assessed = web_server.graphql(
        "mutation($id: ID!) { assessWorkOrder(id: $id, category: electrical, priority: normal) { status } }",
        {"id": order},
        token=staff,
    )
    assert "errors" not in assessed, assessed
    tech_account = web_server.graphql("{ me { accountId } }", token=web_server.token("demo-tech"))["data"]["me"]["accountId"]
    technician = web_server.graphql(
        'mutation($a: ID!) { upsertTechnician(accountId: $a, name: "李电工", skills: ["electrical"]) { id } }',
        {"a": tech_account},
        token=staff,
    )["data"]["upsertTechnician"]["id"]
    phone.goto(f"{web_server.base_url}/app/#/repairs/{order}")
    status = phone.get_by_test_id("repair-status")
    status.filter(has_text="已受理").wait_for()
    phone.wait_for_timeout(500)
    moved = web_server.graphql(
        "mutation($id: ID!, $t: ID!) { dispatchWorkOrder(id: $id, technicianId: $t) { status } }",
        {"id": order, "t": technician},
        token=staff,
    )
    assert "errors" not in moved, moved
    took_repair = _appears_within(status.filter(has_text="已派工"))
    axe(phone)
    phone.goto(f"{web_server.base_url}/app/#/repairs")
    phone.get_by_test_id("repair").filter(has_text="楼道灯不亮（实时）").wait_for()

    # bills: the counter takes a payment while the page is open
    phone.goto(f"{web_server.base_url}/app/#/bills")
    card = phone.get_by_test_id("bill").filter(has_text="2026-08").first
    card.wait_for()
    phone.wait_for_timeout(500)
    paid = web_server.graphql(
        'mutation($b: ID!) { recordFeePayment(billId: $b, amount: 100, reference: "LIVE-1") { status } }',
        {"b": mine[0]["id"]},
        token=staff,
    )
    assert paid["data"]["recordFeePayment"]["status"] == "partial", paid
    took_bill = _appears_within(
        phone.get_by_test_id("bill-status").filter(has_text="部分已缴").first
    )
    print(f"live: notice {took:.2f} s, repair {took_repair:.2f} s, bill {took_bill:.2f} s")
