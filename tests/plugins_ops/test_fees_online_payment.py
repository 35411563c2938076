"""Fees, online payment: ``startBillPayment`` (own bills only, the outstanding amount, expiry,
idempotent start, the signed checkout address), the webhook completing the order by its
out-trade number, the coded error without a provider, and ``myBillChanges`` (own units only)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from ops_helpers import code_of
from sqlalchemy import select, update
from test_fees import RUN, _setup

from kernel.sdk import utcnow
from plugins.fees import service
from plugins.fees.models import PaymentOrder

START = "mutation($b: ID!) { startBillPayment(billId: $b) { checkoutUrl outTradeNo amount expiresAt reused } }"
CONFIGURE = (
    'mutation($u: String!) { configureFeePaymentProvider(provider: "unionpay", checkoutUrl: $u, '
    'merchantId: "M-1001", orderTtlMinutes: 30) { provider checkoutUrl merchantId orderTtlMinutes } }'
)


async def _post(ops, tenant_id, secret, body):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    return await ops.gql.http.post(
        f"/plugins/fees/webhook/{tenant_id}",
        content=raw,
        headers={"content-type": "application/json", "x-linli-signature": service.sign(secret, raw)},
    )


async def _billed(ops, new_tenant):  # type: ignore[no-untyped-def]
    t, estate, owner, items = await _setup(ops, new_tenant)
    await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    r = await ops.gql('{ myBills(period: "2026-11") { id amount } }', token=owner)
    bill = next(b for b in r["data"]["myBills"] if b["amount"] == 21063)
    r = await ops.gql(
        '{ bills(period: "2026-11", first: 100) { edges { node { id unitId } } } }', token=t.token
    )
    mine = {b["id"] for b in (await ops.gql('{ myBills { id } }', token=owner))["data"]["myBills"]}
    foreign = next(e["node"]["id"] for e in r["data"]["bills"]["edges"] if e["node"]["id"] not in mine)
    return t, owner, bill, foreign


async def test_start_payment_without_a_provider_answers_a_coded_error(ops, new_tenant):
    t, owner, bill, _ = await _billed(ops, new_tenant)
    r = await ops.gql("{ feeOnlinePayment }", token=owner)
    assert r["data"]["feeOnlinePayment"] is False
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    assert code_of(r) == "CONFLICT"
    assert r["errors"][0]["extensions"]["reason"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    # a provider without a webhook secret cannot be paid either (nothing signs the order)
    r = await ops.gql(CONFIGURE, {"u": "https://pay.example.cn/cashier"}, token=t.token)
    assert r["data"]["configureFeePaymentProvider"]["merchantId"] == "M-1001"
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    assert r["errors"][0]["extensions"]["reason"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    for bad in ("http://pay.example.cn/cashier", "ftp://x", "https://pay.example.cn/c?x=1"):
        r = await ops.gql(CONFIGURE, {"u": bad}, token=t.token)
        assert code_of(r) == "BAD_USER_INPUT" and r["errors"][0]["extensions"]["field"] == "checkoutUrl"
    r = await ops.gql(CONFIGURE, {"u": "https://pay.example.cn/cashier"}, token=owner)
    assert code_of(r) == "FORBIDDEN"


async def test_start_payment_own_bill_amount_expiry_idempotent_and_the_webhook_completes_it(
    ops, new_tenant
):
    t, owner, bill, foreign = await _billed(ops, new_tenant)
    await ops.gql(CONFIGURE, {"u": "https://pay.example.cn/cashier"}, token=t.token)
    r = await ops.gql("mutation { rotateFeeWebhookSecret { secret } }", token=t.token)
    secret = r["data"]["rotateFeeWebhookSecret"]["secret"]
    assert (await ops.gql("{ feeOnlinePayment }", token=owner))["data"]["feeOnlinePayment"] is True

    before = utcnow()
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    assert not r.get("errors"), r
    first = r["data"]["startBillPayment"]
    assert first["amount"] == 21063 and first["reused"] is False
    assert first["outTradeNo"].startswith("P") and len(first["outTradeNo"]) == 27
    from datetime import datetime

    expires = datetime.fromisoformat(first["expiresAt"])
    assert timedelta(minutes=29) < expires - before < timedelta(minutes=31)
    url = urlsplit(first["checkoutUrl"])
    assert (url.scheme, url.netloc, url.path) == ("https", "pay.example.cn", "/cashier")
    params = dict(parse_qsl(url.query))
    assert params["sign"] == service.order_signature(secret, params)
    assert params["merchant_id"] == "M-1001" and params["amount"] == "21063"
    assert params["out_trade_no"] == first["outTradeNo"] and params["currency"] == "CNY"
    assert params["notify_url"].endswith(f"/plugins/fees/webhook/{t.tenant_id}")
    assert "/app/#/bills" in params["return_url"]

    # starting again while pending: the same order
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    again = r["data"]["startBillPayment"]
    assert again["outTradeNo"] == first["outTradeNo"] and again["reused"] is True
    # not my bill; staff without a home; an owner of another tenant
    r = await ops.gql(START, {"b": foreign}, token=owner)
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(START, {"b": bill["id"]}, token=t.token)
    assert code_of(r) == "FORBIDDEN"
    b = await new_tenant("fee-pay-b")
    await ops.enable(b.token, "fees")
    _, owner_b = await ops.member(b, "owner")
    r = await ops.gql(START, {"b": bill["id"]}, token=owner_b)
    assert code_of(r) == "NOT_FOUND"

    # an expired order is not reused: a new number
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        await s.execute(
            update(PaymentOrder)
            .where(PaymentOrder.out_trade_no == first["outTradeNo"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    order = r["data"]["startBillPayment"]
    assert order["outTradeNo"] != first["outTradeNo"] and order["reused"] is False

    # the provider reports it paid: wrong amount refused, then recorded once, the order paid
    body = {"provider": "unionpay", "transaction_id": "up-1", "out_trade_no": order["outTradeNo"], "amount": 100}
    resp = await _post(ops, t.tenant_id, secret, body)
    assert resp.status_code == 409
    resp = await _post(ops, t.tenant_id, secret, {**body, "out_trade_no": "P-nope", "amount": 21063})
    assert resp.status_code == 404
    resp = await _post(ops, t.tenant_id, secret, {**body, "bill_id": foreign, "amount": 21063})
    assert resp.status_code == 409
    resp = await _post(ops, t.tenant_id, secret, {**body, "amount": 21063})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "recorded" and resp.json()["bill_status"] == "paid"
    resp = await _post(ops, t.tenant_id, secret, {**body, "amount": 21063})
    assert resp.json()["status"] == "duplicate"
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        row = await s.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == order["outTradeNo"]))
        assert row.status == "paid" and row.receipt_no == resp.json()["receipt_no"]
    r = await ops.gql(
        "query($id: ID!) { feeBill(id: $id) { status outstanding } }", {"id": bill["id"]}, token=owner
    )
    assert r["data"]["feeBill"] == {"status": "paid", "outstanding": 0}
    r = await ops.gql(START, {"b": bill["id"]}, token=owner)
    assert r["errors"][0]["extensions"]["reason"] == "BILL_PAID"


async def test_my_bill_changes_streams_my_units_only(ops, new_tenant, runtime):
    from types import SimpleNamespace

    from gateway.context import close_context, open_context
    from plugins.fees.live import hub

    t, owner, bill, foreign = await _billed(ops, new_tenant)
    contexts = []
    for token in (owner, t.token):
        request = SimpleNamespace(headers={"authorization": f"Bearer {token}"}, client=None)
        contexts.append(await open_context(runtime, request, "sub"))
    query = "subscription { myBillChanges { billId status paid outstanding } }"
    denied = await ops.gql.app.state.schema.subscribe(query, context_value=contexts[1])
    first = await denied.__anext__() if hasattr(denied, "__anext__") else denied
    assert first.errors and first.errors[0].extensions["code"] == "FORBIDDEN"
    mine = await ops.gql.app.state.schema.subscribe(query, context_value=contexts[0])
    nxt = asyncio.ensure_future(mine.__anext__())
    for _ in range(400):
        if hub(runtime)._subscribers.get(t.tenant_id):
            break
        await asyncio.sleep(0.025)
    pay = 'mutation($b: ID!, $a: Int!, $r: String!) { recordFeePayment(billId: $b, amount: $a, reference: $r) { status } }'
    await ops.gql(pay, {"b": foreign, "a": 100, "r": "cash-foreign"}, token=t.token)  # not mine
    await ops.gql(pay, {"b": bill["id"], "a": 1063, "r": "cash-mine"}, token=t.token)
    got = await asyncio.wait_for(nxt, 5)
    assert not got.errors, got.errors
    assert got.data["myBillChanges"] == {"billId": bill["id"], "status": "partial", "paid": 1063, "outstanding": 20000}
    await mine.aclose()
    for ctx in contexts:
        await close_context(ctx)
