"""Fees: billing amounts and idempotent re-runs, owners' view, the signed payment webhook,
arrears and reminders, statistics, the CLI, bad input and tenant isolation."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ops_helpers import code_of, gid
from sqlalchemy import func, select

from kernel.sdk import utcnow
from plugins.fees import remind_all, service
from plugins.fees.models import Bill, FeeItem, Payment

ITEM = "mutation($i: FeeItemInput!) { createFeeItem(input: $i) { id code kind unitPrice } }"
RUN = "mutation($p: String!, $c: ID) { runBilling(period: $p, communityId: $c) { billsCreated billsExisting amountTotal } }"
BILLS = "query($p: String) { bills(period: $p, first: 100) { edges { node { id unitId itemId amount quantity status outstanding } } } }"


def reference_area_amount(area_hundredths: int, price_fen: int) -> int:
    """Independent reference: Decimal m² × fen, rounded half up to the fen."""
    m2 = Decimal(area_hundredths) / Decimal(100)
    return int((m2 * Decimal(price_fen)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(area=st.integers(1, 10_000_000), price=st.integers(0, 10_000_000))
def test_area_amount_matches_decimal_reference(area, price):
    assert service.area_amount(area, price) == reference_area_amount(area, price)


def test_area_amount_worked_example():
    assert service.area_amount(8963, 235) == 21063  # 89.63 m² × 2.35 yuan = 210.6305 → 210.63
    assert service.area_amount(50, 1) == 1  # 0.5 fen rounds up
    assert service.area_amount(49, 1) == 0


async def _setup(ops, new_tenant, units=(8963, 10450, 12788)):  # type: ignore[no-untyped-def]
    t = await new_tenant("fee")
    await ops.enable(t.token, "fees")
    estate = await ops.estate(t.tenant_id, units=list(units))
    owner_id, owner = await ops.member(t, "owner")
    await ops.own(t.tenant_id, estate.units[0], owner_id)
    items = {}
    for i in (
        {"code": "PROP", "name": "物业费", "kind": "area", "unitPrice": 235},
        {"code": "PARK", "name": "车位费", "kind": "fixed", "unitPrice": 30000},
        {"code": "WATER", "name": "水费", "kind": "meter", "unitPrice": 350, "meterUnit": "m³"},
    ):
        r = await ops.gql(ITEM, {"i": i}, token=t.token)
        assert not r.get("errors"), r
        items[i["code"]] = r["data"]["createFeeItem"]["id"]
    r = await ops.gql(
        "mutation($i: ID!, $u: ID!) { assignFeeItem(itemId: $i, unitId: $u, quantity: 2) }",
        {"i": items["PARK"], "u": gid("Unit", estate.units[0])},
        token=t.token,
    )
    assert r["data"]["assignFeeItem"] == 2
    r = await ops.gql(
        'mutation($i: ID!, $u: ID!) { recordMeterReading(itemId: $i, unitId: $u, period: "2026-11", previous: 100, current: 112) }',
        {"i": items["WATER"], "u": gid("Unit", estate.units[1])},
        token=t.token,
    )
    assert r["data"]["recordMeterReading"] == 12
    return t, estate, owner, items


async def test_billing_run_amounts_and_rerun_creates_nothing_twice(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    r = await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    assert r["data"]["runBilling"] == {
        "billsCreated": 5,
        "billsExisting": 0,
        "amountTotal": 21063 + 24558 + 30052 + 60000 + 4200,
    }
    r = await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    assert r["data"]["runBilling"] == {"billsCreated": 0, "billsExisting": 5, "amountTotal": 0}
    r = await ops.gql(BILLS, {"p": "2026-11"}, token=t.token)
    bills = {
        (b["unitId"], b["itemId"]): b for b in (e["node"] for e in r["data"]["bills"]["edges"])
    }
    assert len(bills) == 5
    assert bills[(gid("Unit", estate.units[0]), items["PROP"])]["amount"] == 21063
    assert bills[(gid("Unit", estate.units[0]), items["PARK"])]["amount"] == 60000
    assert bills[(gid("Unit", estate.units[1]), items["WATER"])]["quantity"] == 12
    # the reading is frozen once billed
    r = await ops.gql(
        'mutation($i: ID!, $u: ID!) { recordMeterReading(itemId: $i, unitId: $u, period: "2026-11", previous: 100, current: 150) }',
        {"i": items["WATER"], "u": gid("Unit", estate.units[1])},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"
    # owners see the bills of their own units only
    r = await ops.gql('{ myBills(period: "2026-11") { unitId amount } }', token=owner)
    assert sorted(b["amount"] for b in r["data"]["myBills"]) == [21063, 60000]
    other_bill = bills[(gid("Unit", estate.units[1]), items["PROP"])]["id"]
    r = await ops.gql(
        "query($id: ID!) { feeBill(id: $id) { id } }", {"id": other_bill}, token=owner
    )
    assert r["data"]["feeBill"] is None
    r = await ops.gql(BILLS, {"p": "2026-11"}, token=owner)
    assert code_of(r) == "FORBIDDEN"
    runs = await ops.events(t.tenant_id, "fee.billing_completed")
    assert [e.payload["bills_created"] for e in runs] == [5, 0]


async def test_cli_billing_run_with_progress(ops, new_tenant, capsys):
    from plugins.fees.cli import bill

    t, estate, owner, items = await _setup(ops, new_tenant)
    run = await bill(t.slug, "2026-11", None, runtime=ops.runtime)
    assert (run.bills_created, run.bills_existing) == (5, 0)
    run = await bill(t.slug, "2026-11", None, runtime=ops.runtime)
    assert (run.bills_created, run.bills_existing) == (0, 5)


def test_cli_command_is_registered():
    import typer
    from typer.testing import CliRunner

    from kernel.plugins.host import PluginHost

    host = PluginHost()
    host.load(entry_points=False)
    app = typer.Typer()
    host.collect("register_commands", cli=app)
    result = CliRunner().invoke(app, ["fees", "bill", "--help"])
    assert result.exit_code == 0 and "fees bill" in result.output, result.output


async def _post(ops, tenant_id, secret, body: dict, signature: str | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    headers = {
        "content-type": "application/json",
        "x-linli-signature": signature if signature is not None else service.sign(secret, raw),
    }
    return await ops.gql.http.post(
        f"/plugins/fees/webhook/{tenant_id}", content=raw, headers=headers
    )


async def test_payment_webhook_signature_idempotency_partial_and_overpayment(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    r = await ops.gql('{ myBills(period: "2026-11") { id amount } }', token=owner)
    bill = next(b for b in r["data"]["myBills"] if b["amount"] == 21063)
    r = await ops.gql("mutation { rotateFeeWebhookSecret { secret urlPath } }", token=t.token)
    secret = r["data"]["rotateFeeWebhookSecret"]["secret"]
    assert r["data"]["rotateFeeWebhookSecret"]["urlPath"] == f"/plugins/fees/webhook/{t.tenant_id}"
    body = {
        "provider": "wechat",
        "transaction_id": "wx-0001",
        "bill_id": bill["id"],
        "amount": 10000,
        "paid_at": "2026-11-21T10:00:00+08:00",
    }

    resp = await _post(ops, t.tenant_id, secret, body, signature="sha256=" + "0" * 64)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "UNAUTHENTICATED"
    resp = await _post(ops, t.tenant_id, secret, body, signature="")
    assert resp.status_code == 401
    resp = await _post(ops, t.tenant_id, "whsec_wrong", body)
    assert resp.status_code == 401

    resp = await _post(ops, t.tenant_id, secret, body)
    assert resp.status_code == 200, resp.text
    first = resp.json()
    assert (
        first["status"] == "recorded"
        and first["bill_status"] == "partial"
        and first["outstanding"] == 11063
    )
    resp = await _post(ops, t.tenant_id, secret, body)  # the provider retries
    assert resp.json() == {**first, "status": "duplicate"}
    resp = await _post(ops, t.tenant_id, secret, {**body, "amount": 9999})  # same id, other amount
    assert resp.status_code == 409
    resp = await _post(
        ops, t.tenant_id, secret, {**body, "transaction_id": "wx-0002", "amount": 11064}
    )
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "CONFLICT"
    for bad in (
        {**body, "transaction_id": "wx-3", "amount": -5},
        {**body, "transaction_id": "wx-3", "amount": "100"},
        {**body, "transaction_id": "", "amount": 1},
        {**body, "transaction_id": "wx-3", "bill_id": "nope"},
    ):
        resp = await _post(ops, t.tenant_id, secret, bad)
        assert resp.status_code == 400, (bad, resp.text)
    resp = await _post(
        ops, t.tenant_id, secret, {**body, "transaction_id": "wx-4", "bill_id": str(uuid.uuid4())}
    )
    assert resp.status_code == 404
    resp = await _post(
        ops, t.tenant_id, secret, {**body, "transaction_id": "wx-0003", "amount": 11063}
    )
    assert resp.json()["bill_status"] == "paid" and resp.json()["outstanding"] == 0

    r = await ops.gql(
        "query($id: ID!) { feeBill(id: $id) { status paid payments { receiptNo provider amount } } }",
        {"id": bill["id"]},
        token=owner,
    )
    fb = r["data"]["feeBill"]
    assert fb["status"] == "paid" and fb["paid"] == 21063
    assert [p["amount"] for p in fb["payments"]] == [10000, 11063] and all(
        p["receiptNo"].startswith("R2026") for p in fb["payments"]
    )
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Payment)) == 2
    paid = await ops.events(t.tenant_id, "fee.paid")
    assert [e.payload["amount"] for e in paid] == [10000, 11063]

    r = await ops.gql(
        'query { collectionStats(period: "2026-11") { bills paidBills billed collected rateBp } }',
        token=t.token,
    )
    s = r["data"]["collectionStats"]
    assert (
        s["bills"] == 5
        and s["paidBills"] == 1
        and s["collected"] == 21063
        and s["rateBp"] == 21063 * 10000 // s["billed"]
    )

    # another tenant: its own secret cannot pay this tenant's bill, nor this secret reach its path
    b = await new_tenant("fee-b")
    await ops.enable(b.token, "fees")
    r = await ops.gql("mutation { rotateFeeWebhookSecret { secret } }", token=b.token)
    secret_b = r["data"]["rotateFeeWebhookSecret"]["secret"]
    resp = await _post(ops, b.tenant_id, secret_b, {**body, "transaction_id": "wx-9", "amount": 1})
    assert resp.status_code == 404  # A's bill does not exist in B
    resp = await _post(ops, b.tenant_id, secret, {**body, "transaction_id": "wx-9", "amount": 1})
    assert resp.status_code == 401
    resp = await _post(ops, uuid.uuid4(), secret, body)
    assert resp.status_code == 404


async def test_bad_input_writes_nothing(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    for bad in (
        {"code": "X", "name": "x", "kind": "area", "unitPrice": -1},
        {"code": "has space", "name": "x", "kind": "area", "unitPrice": 1},
        {"code": "Y", "name": "x", "kind": "percent", "unitPrice": 1},
        {"code": "Z", "name": "x", "kind": "meter", "unitPrice": 1},
        {"code": "", "name": "x", "kind": "area", "unitPrice": 1},
    ):
        r = await ops.gql(ITEM, {"i": bad}, token=t.token)
        assert code_of(r) == "BAD_USER_INPUT", (bad, r)
    r = await ops.gql(
        ITEM,
        {"i": {"code": "PROP", "name": "again", "kind": "area", "unitPrice": 1}},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"
    for period in ("2026-13", "2026-1", "26-11", "", "2026-11-01"):
        r = await ops.gql(RUN, {"p": period}, token=t.token)
        assert code_of(r) == "BAD_USER_INPUT", period
    r = await ops.gql(
        'mutation($i: ID!, $u: ID!) { recordMeterReading(itemId: $i, unitId: $u, period: "2026-12", previous: 100, current: 99) }',
        {"i": items["WATER"], "u": gid("Unit", estate.units[1])},
        token=t.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"
    r = await ops.gql(
        "mutation($i: ID!, $u: ID!) { assignFeeItem(itemId: $i, unitId: $u) }",
        {"i": items["PROP"], "u": gid("Unit", estate.units[1])},
        token=t.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(FeeItem)) == 3
        assert await s.scalar(select(func.count()).select_from(Bill)) == 0
    r = await ops.gql(RUN, {"p": "2026-11"}, token=owner)
    assert code_of(r) == "FORBIDDEN"


async def test_arrears_and_weekly_reminders(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    r = await ops.gql(RUN, {"p": "2026-01"}, token=t.token)  # due 2026-01-31: overdue now
    assert r["data"]["runBilling"]["billsCreated"] == 4  # no water reading for January
    r = await ops.gql("{ arrears { unitId bills outstanding oldestDue } }", token=t.token)
    arrears = r["data"]["arrears"]
    assert arrears[0] == {
        "unitId": gid("Unit", estate.units[0]),
        "bills": 2,
        "outstanding": 81063,
        "oldestDue": "2026-01-31",
    }
    assert len(arrears) == 3
    now = utcnow()
    assert await remind_all(ops.runtime, now=now, only={t.tenant_id}) == 4
    assert await remind_all(ops.runtime, now=now + timedelta(days=1), only={t.tenant_id}) == 0
    assert await remind_all(ops.runtime, now=now + timedelta(days=8), only={t.tenant_id}) == 4
    reminders = await ops.events(t.tenant_id, "fee.reminder_due")
    assert len(reminders) == 8 and {e.payload["reminders"] for e in reminders} == {1, 2}


async def test_tenant_isolation(ops, new_tenant):
    a, estate, owner, items = await _setup(ops, new_tenant)
    await ops.gql(RUN, {"p": "2026-11"}, token=a.token)
    r = await ops.gql(BILLS, {"p": "2026-11"}, token=a.token)
    a_bill = r["data"]["bills"]["edges"][0]["node"]["id"]
    b = await new_tenant("fee-b")
    await ops.enable(b.token, "fees")
    r = await ops.gql(RUN, {"p": "2026-11"}, token=b.token)
    assert r["data"]["runBilling"]["billsCreated"] == 0
    r = await ops.gql(BILLS, {"p": "2026-11"}, token=b.token)
    assert r["data"]["bills"]["edges"] == []
    r = await ops.gql(
        "query($id: ID!) { feeBill(id: $id) { id } node(id: $id) { id } }",
        {"id": a_bill},
        token=b.token,
    )
    assert r["data"] == {"feeBill": None, "node": None}
    r = await ops.gql(
        'mutation($b: ID!) { recordFeePayment(billId: $b, amount: 1, reference: "cash-1") { id } }',
        {"b": a_bill},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(
        "mutation($i: ID!, $u: ID!) { assignFeeItem(itemId: $i, unitId: $u) }",
        {"i": items["PARK"], "u": gid("Unit", estate.units[0])},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(
        RUN, {"p": "2026-11", "c": gid("Community", estate.community_id)}, token=b.token
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql("{ feeItems { id } collectionStats { bills } }", token=b.token)
    assert r["data"] == {"feeItems": [], "collectionStats": {"bills": 0}}
    # counter payments stay in A
    r = await ops.gql(
        'mutation($b: ID!) { recordFeePayment(billId: $b, amount: 100, reference: "cash-1") { paid status } }',
        {"b": a_bill},
        token=a.token,
    )
    assert r["data"]["recordFeePayment"] == {"paid": 100, "status": "partial"}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    areas=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=6),
    price=st.integers(0, 2_000_000),
    parking=st.lists(st.integers(1, 3), max_size=3),
    park_price=st.integers(0, 100_000),
)
async def test_billing_equals_reference_and_reruns_add_nothing(
    ops, fees_tenant, areas, price, parking, park_price
):
    from tenants.estate import service as estate

    tid = fees_tenant
    async with ops.runtime.db.tenant(tid) as s:
        c = await estate.create_community(s, code=f"H{uuid.uuid4().hex[:8]}", name="h")
        cp = await estate.create_compound(s, community_id=c.id, name="h")
        b = await estate.create_building(s, compound_id=cp.id, name="h")
        units = [
            await estate.create_unit(s, building_id=b.id, number=str(i), registered_area=a)
            for i, a in enumerate(areas)
        ]
        prop = await service.create_item(
            s,
            code=f"P{uuid.uuid4().hex[:8]}",
            name="物业费",
            kind="area",
            unit_price=price,
            community_id=c.id,
        )
        park = await service.create_item(
            s,
            code=f"K{uuid.uuid4().hex[:8]}",
            name="车位",
            kind="fixed",
            unit_price=park_price,
            community_id=c.id,
        )
        for u, q in zip(units, parking, strict=False):
            await service.assign(s, item_id=park.id, unit_id=u.id, quantity=q)
    expected = {(u.id, prop.id): reference_area_amount(u.registered_area, price) for u in units}
    expected |= {(u.id, park.id): park_price * q for u, q in zip(units, parking, strict=False)}
    for attempt in range(2):
        async with ops.runtime.db.tenant(tid) as s:
            run = await service.run_billing(
                s, tid, "2026-10", runtime=ops.runtime, community_id=c.id
            )
        assert run.bills_created == (len(expected) if attempt == 0 else 0)
        async with ops.runtime.db.tenant(tid) as s:
            rows = (
                await s.execute(
                    select(Bill.unit_id, Bill.item_id, Bill.amount).where(Bill.community_id == c.id)
                )
            ).all()
        assert {(u, i): a for u, i, a in rows} == expected
        assert len(rows) == len(expected)


@pytest_asyncio.fixture
async def fees_tenant(ops, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant("fee-h")
    await ops.enable(t.token, "fees")
    return t.tenant_id


def field_of(result: dict) -> str | None:  # type: ignore[type-arg]
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("field") if errors else None


async def _fee_audit(ops, tenant_id):  # type: ignore[no-untyped-def]
    from kernel.audit import AuditEntry

    async with ops.runtime.db.tenant(tenant_id) as s:
        return (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor, AuditEntry.detail)
                .where(AuditEntry.action.like("fees.%"))
                .order_by(AuditEntry.seq)
            )
        ).all()


async def test_the_service_audits_and_announces_every_entry_point_alike(ops, new_tenant):
    """GraphQL, the CLI and the payment webhook go through the same service functions, which
    write the audit entry and publish the event themselves."""
    from plugins.fees.cli import bill

    t, estate, owner, items = await _setup(ops, new_tenant)
    run = await bill(t.slug, "2026-11", None, runtime=ops.runtime)  # the CLI
    r = await ops.gql('{ myBills(period: "2026-11") { id amount } }', token=owner)
    bill_id = next(b["id"] for b in r["data"]["myBills"] if b["amount"] == 21063)
    r = await ops.gql(
        'mutation($b: ID!) { recordFeePayment(billId: $b, amount: 63, reference: "C-1") { status } }',
        {"b": bill_id},
        token=t.token,
    )
    assert r["data"]["recordFeePayment"]["status"] == "partial"
    r = await ops.gql("mutation { rotateFeeWebhookSecret { secret } }", token=t.token)
    secret = r["data"]["rotateFeeWebhookSecret"]["secret"]
    body = {"provider": "WeChat", "transaction_id": "wx-1", "bill_id": bill_id, "amount": 21000}
    for _ in range(2):  # the provider retries: one payment, one entry, one event
        resp = await _post(ops, t.tenant_id, secret, body)
        assert resp.status_code == 200, resp.text
    rows = await _fee_audit(ops, t.tenant_id)
    assert [a for a, _, _ in rows] == [
        "fees.item_created",
        "fees.item_created",
        "fees.item_created",
        "fees.item_assigned",
        "fees.billing_run",
        "fees.payment_received",
        "fees.webhook_secret_rotated",
        "fees.payment_received",
    ]
    admin = rows[0][1]
    assert admin.startswith("account:")
    assert [actor for _, actor, _ in rows[4:]] == ["cli", admin, admin, "webhook:wechat"]
    assert rows[4][2] == {"period": "2026-11", "created": 5, "amount": run.amount_total}
    completed = await ops.events(t.tenant_id, "fee.billing_completed")
    assert [(e.actor, e.payload["run_id"]) for e in completed] == [("cli", str(run.id))]
    paid = await ops.events(t.tenant_id, "fee.paid")
    assert [(e.actor, e.payload["amount"]) for e in paid] == [(admin, 63), ("webhook:wechat", 21000)]
    assert paid[-1].payload["bill_status"] == "paid"


async def test_bad_input_names_the_field(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    good = {"code": "NEW", "name": "新费用", "kind": "area", "unitPrice": 1}
    for bad, field in (
        ({"code": "has space"}, "code"),
        ({"name": " "}, "name"),
        ({"kind": "percent"}, "kind"),
        ({"unitPrice": -1}, "unitPrice"),
        ({"kind": "meter"}, "meterUnit"),
    ):
        r = await ops.gql(ITEM, {"i": {**good, **bad}}, token=t.token)
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (bad, r)
    unit = gid("Unit", estate.units[1])
    for args, field in (
        ('period: "2026-13", previous: 1, current: 2', "period"),
        ('period: "2026-12", previous: -1, current: 2', "previous"),
        ('period: "2026-12", previous: 5, current: 2', "current"),
    ):
        r = await ops.gql(
            f"mutation($i: ID!, $u: ID!) {{ recordMeterReading(itemId: $i, unitId: $u, {args}) }}",
            {"i": items["WATER"], "u": unit},
            token=t.token,
        )
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (args, r)
    r = await ops.gql(
        "mutation($i: ID!, $u: ID!) { assignFeeItem(itemId: $i, unitId: $u, quantity: 101) }",
        {"i": items["PARK"], "u": unit},
        token=t.token,
    )
    assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", "quantity")
    await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    r = await ops.gql('{ myBills(period: "2026-11") { id } }', token=owner)
    bill_id = r["data"]["myBills"][0]["id"]
    for args, field in (('amount: 0, reference: "C-1"', "amount"), ('amount: 1, reference: "a b"', "transactionId")):
        r = await ops.gql(
            f"mutation($b: ID!) {{ recordFeePayment(billId: $b, {args}) {{ status }} }}",
            {"b": bill_id},
            token=t.token,
        )
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (args, r)
    rows = await _fee_audit(ops, t.tenant_id)
    assert "fees.payment_received" not in {a for a, _, _ in rows}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pairs=st.lists(
        st.tuples(st.integers(1, 10_000_000), st.integers(0, 10_000_000)), min_size=1, max_size=40
    )
)
async def test_area_amount_in_sql_equals_the_python_rule(ops, fees_tenant, pairs):
    """The billing run computes amounts in SQL (``area_amount_sql``); the database's integer
    arithmetic must give exactly ``area_amount`` (itself checked against Decimal above)."""
    from sqlalchemy import BigInteger, literal, union_all

    values = union_all(
        *(
            select(literal(a, BigInteger).label("a"), literal(p, BigInteger).label("p"))
            for a, p in [*pairs, (50, 1), (49, 1), (8963, 235)]
        )
    ).subquery()
    async with ops.runtime.db.tenant(fees_tenant) as s:
        rows = (
            await s.execute(
                select(values.c.a, values.c.p, service.area_amount_sql(values.c.a, values.c.p))
            )
        ).all()
    assert len(rows) == len(pairs) + 3
    assert [(a, p, int(x)) for a, p, x in rows] == [
        (a, p, service.area_amount(a, p)) for a, p, _ in rows
    ]


async def test_billing_in_chunks_reports_progress_and_marks_zero_bills_paid(
    ops, fees_tenant, monkeypatch
):
    """Several chunks of units (CHUNK lowered to 2): progress climbs to the total, every unit
    is billed once, a zero amount is a paid bill, a re-run inserts nothing and counts all."""
    from tenants.estate import service as estate

    monkeypatch.setattr(service, "CHUNK", 2)
    tid = fees_tenant
    areas = [8963, 10450, 12788, 5000, 7777]
    async with ops.runtime.db.tenant(tid) as s:
        c = await estate.create_community(s, code=f"C{uuid.uuid4().hex[:8]}", name="c")
        cp = await estate.create_compound(s, community_id=c.id, name="c")
        b = await estate.create_building(s, compound_id=cp.id, name="c")
        units = [
            await estate.create_unit(s, building_id=b.id, number=str(i), registered_area=a)
            for i, a in enumerate(areas)
        ]
        prop = await service.create_item(
            s, code=f"P{uuid.uuid4().hex[:8]}", name="物业费", kind="area", unit_price=235,
            community_id=c.id,
        )
        free = await service.create_item(
            s, code=f"F{uuid.uuid4().hex[:8]}", name="免费", kind="area", unit_price=0,
            community_id=c.id,
        )
    calls: list[tuple[int, int]] = []
    async with ops.runtime.db.tenant(tid) as s:
        run = await service.run_billing(
            s, tid, "2026-09", runtime=ops.runtime, community_id=c.id,
            progress=lambda d, t: calls.append((d, t)),
        )
    assert (run.bills_created, run.bills_existing) == (10, 0)
    assert run.amount_total == sum(service.area_amount(a, 235) for a in areas)
    assert calls[0] == (0, 10) and calls[-1] == (10, 10) and len(calls) >= 4
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    async with ops.runtime.db.tenant(tid) as s:
        rows = (
            await s.execute(
                select(Bill.unit_id, Bill.item_id, Bill.amount, Bill.status, Bill.run_id).where(
                    Bill.community_id == c.id
                )
            )
        ).all()
    assert sorted((u, i, a, st_, r) for u, i, a, st_, r in rows) == sorted(
        [(u.id, prop.id, service.area_amount(u.registered_area, 235), "open", run.id) for u in units]
        + [(u.id, free.id, 0, "paid", run.id) for u in units]
    )
    calls.clear()
    async with ops.runtime.db.tenant(tid) as s:
        again = await service.run_billing(
            s, tid, "2026-09", runtime=ops.runtime, community_id=c.id,
            progress=lambda d, t: calls.append((d, t)),
        )
    assert (again.bills_created, again.bills_existing, again.amount_total) == (0, 10, 0)
    assert calls == [(0, 0)]


async def test_a_concurrent_run_of_the_same_period_fails_with_conflict(
    ops, fees_tenant, linli_backend
):
    """Run B counts its lines while run A's bills are uncommitted, then meets them at insert
    time (ON CONFLICT waits for A): when A commits, B fails as a whole with CONFLICT and wrote
    nothing; A's bills are the period's."""
    import asyncio

    import pytest

    from kernel.sdk import Conflict
    from tenants.estate import service as estate

    if linli_backend != "postgres":
        pytest.skip("two writers at once: PostgreSQL only (SQLite serialises the transactions)")
    tid = fees_tenant
    async with ops.runtime.db.tenant(tid) as s:
        c = await estate.create_community(s, code=f"K{uuid.uuid4().hex[:8]}", name="k")
        cp = await estate.create_compound(s, community_id=c.id, name="k")
        b = await estate.create_building(s, compound_id=cp.id, name="k")
        for i, a in enumerate([8963, 10450, 12788]):
            await estate.create_unit(s, building_id=b.id, number=str(i), registered_area=a)
        await service.create_item(
            s, code=f"P{uuid.uuid4().hex[:8]}", name="物业费", kind="area", unit_price=235,
            community_id=c.id,
        )

    async def run_b():  # type: ignore[no-untyped-def]
        async with ops.runtime.db.tenant(tid) as s:
            return await service.run_billing(
                s, tid, "2026-08", runtime=ops.runtime, community_id=c.id
            )

    async with ops.runtime.db.tenant(tid) as s:
        first = await service.run_billing(
            s, tid, "2026-08", runtime=ops.runtime, community_id=c.id
        )
        assert first.bills_created == 3
        second = asyncio.create_task(run_b())
        await asyncio.sleep(1.5)
        assert not second.done()  # waiting on A's uncommitted bills
    try:
        await second
    except Conflict:
        pass
    else:
        raise AssertionError("the concurrent run should have failed with CONFLICT")
    async with ops.runtime.db.tenant(tid) as s:
        runs = (
            await s.execute(select(Bill.run_id).where(Bill.community_id == c.id, Bill.period == "2026-08"))
        ).scalars().all()
    assert sorted(runs) == [first.id] * 3
UPDATE = "mutation($id: ID!, $i: FeeItemUpdateInput!) { updateFeeItem(id: $id, input: $i) { id code kind name unitPrice meterUnit active } }"


async def test_update_fee_item_prices_the_next_run_and_is_audited(ops, new_tenant):
    t, estate, owner, items = await _setup(ops, new_tenant)
    r = await ops.gql(RUN, {"p": "2026-11"}, token=t.token)
    assert r["data"]["runBilling"]["billsCreated"] == 5
    # bad input names the field and changes nothing; an owner may not
    for bad, field in (({"name": " ", "unitPrice": 1}, "name"), ({"name": "x", "unitPrice": -1}, "unitPrice")):
        r = await ops.gql(UPDATE, {"id": items["PROP"], "i": bad}, token=t.token)
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (bad, r)
    r = await ops.gql(UPDATE, {"id": items["WATER"], "i": {"name": "水费", "unitPrice": 400}}, token=t.token)
    assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", "meterUnit"), r
    r = await ops.gql(UPDATE, {"id": items["PROP"], "i": {"name": "x", "unitPrice": 1}}, token=owner)
    assert code_of(r) == "FORBIDDEN"
    r = await ops.gql(UPDATE, {"id": items["PROP"], "i": {"name": "物业服务费", "unitPrice": 250}}, token=t.token)
    assert r["data"]["updateFeeItem"] == {
        "id": items["PROP"], "code": "PROP", "kind": "area", "name": "物业服务费",
        "unitPrice": 250, "meterUnit": "", "active": True,
    }
    r = await ops.gql(UPDATE, {"id": items["PARK"], "i": {"name": "车位费", "unitPrice": 30000, "active": False}}, token=t.token)
    assert r["data"]["updateFeeItem"]["active"] is False
    # November's bills keep their price; December's use the new one, without the inactive item
    r = await ops.gql(RUN, {"p": "2026-12"}, token=t.token)
    assert r["data"]["runBilling"]["billsCreated"] == 3  # PROP × 3 units; no PARK, no water reading
    r = await ops.gql(BILLS, {"p": "2026-12"}, token=t.token)
    december = {b["unitId"]: b["amount"] for b in (e["node"] for e in r["data"]["bills"]["edges"])}
    assert december[gid("Unit", estate.units[0])] == service.area_amount(8963, 250)
    r = await ops.gql(BILLS, {"p": "2026-11"}, token=t.token)
    assert 21063 in {e["node"]["amount"] for e in r["data"]["bills"]["edges"]}
    rows = [(a, d) for a, _, d in await _fee_audit(ops, t.tenant_id) if a == "fees.item_updated"]
    assert [d["unit_price_before"] for _, d in rows] == [235, 30000]
    assert rows[0][1]["unit_price"] == 250 and rows[1][1]["active"] is False
