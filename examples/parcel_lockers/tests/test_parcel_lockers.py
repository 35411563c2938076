"""The parcel-locker plugin end to end, through the testing kit's fixtures (``tenant``, ``actor``,
``enable_plugin``, ``gql``, ``deliver``): a deposit from the locker's telemetry, the code seen by
the recipient unit only, pickup through the locker's RPC, reminders, and storage billed by fees."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from parcel_lockers import remind_all
from parcel_lockers.service import storage_days
from strawberry import relay

from kernel.sdk.estate import Person, Residency

PARCELS = """query($w: Boolean!) { parcels(waitingOnly: $w) { edges { node {
  id compartment trackingNumber status pickupCode reminders unitId } } } }"""
COLLECT = "mutation($c: String!) { collectParcel(code: $c) { id status collectedAt } }"


def gid_uuid(gid: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(gid).node_id)


class Site:
    """A tenant with the plugin enabled, one unit with a resident and one locker."""

    def __init__(self, tenant, resident, unit, locker_token, locker_id):  # type: ignore[no-untyped-def]
        self.tenant, self.resident, self.unit = tenant, resident, unit
        self.locker_token, self.locker_id = locker_token, locker_id


@pytest.fixture
async def site(runtime, gql, new_tenant, actor, enable_plugin):  # type: ignore[no-untyped-def]
    async def make(prefix: str = "lockers") -> Site:
        t = await new_tenant(prefix)
        await enable_plugin(t, "parcel_lockers")

        async def ok(query: str, variables: dict | None = None) -> dict:
            r = await gql(query, variables, token=t.token)
            assert not r.get("errors"), r
            return r["data"]

        cid = (await ok('mutation { createCommunity(code: "C1", name: "幸福里") { id } }'))["createCommunity"]["id"]
        comp = (await ok('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": cid}))["createCompound"]["id"]
        bid = (await ok('mutation($c: ID!) { createBuilding(compoundId: $c, name: "1幢", floors: 18) { id } }', {"c": comp}))["createBuilding"]["id"]
        unit = (await ok('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "101", registeredArea: 8963}) { id } }', {"b": bid}))["createUnit"]["id"]
        resident = await actor(t, "resident")
        async with runtime.db.tenant(t.tenant_id) as s:  # the owner register links the login to the unit
            person = Person(id=uuid.uuid4(), name="张三", account_id=resident.account_id)
            s.add(person)
            await s.flush()
            s.add(Residency(id=uuid.uuid4(), unit_id=gid_uuid(unit), person_id=person.id, kind="renter"))
        device = (await ok(
            "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token device { id } } }",
            {"i": {"name": "1幢快递柜", "type": "parcel_locker", "placeId": bid}},
        ))["provisionDevice"]
        return Site(t, resident, unit, device["token"], device["device"]["id"])

    return make


async def deposit(gql, site: Site, compartment: str, *, unit: str = "101", ts: int | None = None) -> None:  # type: ignore[no-untyped-def]
    body = {"ts": ts or int(time.time() * 1000), "values": {
        "deposit_compartment": compartment, "deposit_building": "1幢", "deposit_unit": unit, "deposit_tracking": "SF1234567890",
    }}
    r = await gql.http.post(f"/api/v1/{site.locker_token}/telemetry", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


async def parcels(gql, token: str, waiting_only: bool = False) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await gql(PARCELS, {"w": waiting_only}, token=token)
    assert not r.get("errors"), r
    return [e["node"] for e in r["data"]["parcels"]["edges"]]


async def test_a_deposit_gives_the_recipient_unit_a_pickup_code_and_the_code_opens_the_compartment(site, gql, deliver):  # type: ignore[no-untyped-def]
    s = await site()
    await deposit(gql, s, "A03")
    await deliver(s.tenant)
    await deliver(s.tenant)  # nothing delivered twice: still one parcel

    mine = await parcels(gql, s.resident.token)
    assert len(mine) == 1
    parcel = mine[0]
    assert parcel["compartment"] == "A03" and parcel["status"] == "WAITING" and parcel["unitId"] == s.unit
    code = parcel["pickupCode"]
    assert code is not None and len(code) == 6 and code.isdigit()
    # staff see the parcel, never the code
    staff_view = await parcels(gql, s.tenant.token)
    assert [p["id"] for p in staff_view] == [parcel["id"]] and staff_view[0]["pickupCode"] is None

    # the unit's people are notified (inbox), without the code
    await deliver(s.tenant)
    r = await gql("{ myNotifications { edges { node { template body } } } }", token=s.resident.token)
    assert not r.get("errors"), r
    [note] = [e["node"] for e in r["data"]["myNotifications"]["edges"] if e["node"]["template"] == "parcel_lockers.arrived"]
    assert "A03" in note["body"] and "7890" in note["body"] and code not in note["body"]

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = await gql(COLLECT, {"c": wrong}, token=s.resident.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    r = await gql(COLLECT, {"c": code}, token=s.resident.token)
    assert not r.get("errors"), r
    assert r["data"]["collectParcel"]["status"] == "COLLECTED"
    # the locker receives the command for that compartment
    polled = await gql.http.get(f"/api/v1/{s.locker_token}/rpc", params={"timeout": 2000})
    assert polled.status_code == 200, polled.text
    assert polled.json()["method"] == "open_compartment" and polled.json()["params"] == {"compartment": "A03"}
    # a code works once
    r = await gql(COLLECT, {"c": code}, token=s.resident.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await parcels(gql, s.resident.token, waiting_only=True) == []


async def test_another_tenant_cannot_see_or_collect_a_parcel(site, gql, deliver, actor):  # type: ignore[no-untyped-def]
    a, b = await site("firm-a"), await site("firm-b")
    await deposit(gql, a, "B07")
    await deliver(a.tenant)
    code = (await parcels(gql, a.resident.token))[0]["pickupCode"]
    assert await parcels(gql, b.resident.token) == []
    assert await parcels(gql, b.tenant.token) == []
    r = await gql(COLLECT, {"c": code}, token=b.resident.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # as an unknown code answers
    # a resident of firm A without a unit sees nothing of the unit's parcels
    stranger = await actor(a.tenant, "resident")
    assert await parcels(gql, stranger.token) == []
    assert (await parcels(gql, a.resident.token))[0]["status"] == "WAITING"


async def test_a_deposit_for_an_unknown_unit_is_kept_for_staff_without_a_recipient(site, gql, deliver):  # type: ignore[no-untyped-def]
    s = await site()
    await deposit(gql, s, "C01", unit="999")
    await deliver(s.tenant)
    staff_view = await parcels(gql, s.tenant.token)
    assert len(staff_view) == 1 and staff_view[0]["unitId"] is None
    assert await parcels(gql, s.resident.token) == []


async def test_the_plugin_disabled_answers_plugin_disabled(site, gql, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant("nolockers")
    r = await gql(PARCELS, {"w": False}, token=t.token)
    assert r["errors"][0]["extensions"]["code"] == "PLUGIN_DISABLED"


async def test_overdue_parcels_are_reminded_once_a_day(site, gql, deliver, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    three_days_ago = int((datetime.now(UTC) - timedelta(days=3)).timestamp() * 1000)
    await deposit(gql, s, "D02", ts=three_days_ago)
    await deposit(gql, s, "D03")  # fresh: not overdue
    await deliver(s.tenant)
    assert await remind_all(runtime) >= 1
    reminders = {p["compartment"]: p["reminders"] for p in await parcels(gql, s.resident.token)}
    assert reminders == {"D02": 1, "D03": 0}
    await deliver(s.tenant)
    r = await gql("{ myNotifications { edges { node { template body } } } }", token=s.resident.token)
    overdue = [e["node"]["body"] for e in r["data"]["myNotifications"]["edges"] if e["node"]["template"] == "parcel_lockers.overdue"]
    assert len(overdue) == 1 and "D02" in overdue[0] and "3" in overdue[0]
    await remind_all(runtime)  # within the day: no second reminder
    reminders = {p["compartment"]: p["reminders"] for p in await parcels(gql, s.resident.token)}
    assert reminders == {"D02": 1, "D03": 0}


def test_storage_days_count_every_started_day_past_the_free_time():
    t0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert storage_days(t0, t0 + timedelta(hours=47)) == 0
    assert storage_days(t0, t0 + timedelta(hours=48)) == 0
    assert storage_days(t0, t0 + timedelta(hours=48, minutes=1)) == 1
    assert storage_days(t0, t0 + timedelta(days=4)) == 2


async def test_overdue_storage_is_billed_through_the_fees_plugin(site, gql, deliver, enable_plugin):  # type: ignore[no-untyped-def]
    s = await site()
    await enable_plugin(s.tenant, "fees")
    r = await gql(
        'mutation { createFeeItem(input: {code: "PARCEL_STORAGE", name: "快递柜超时保管费", kind: fixed, unitPrice: 100}) { id } }',
        token=s.tenant.token,
    )
    assert not r.get("errors"), r
    four_days_ago = int((datetime.now(UTC) - timedelta(days=4, hours=1)).timestamp() * 1000)
    await deposit(gql, s, "E05", ts=four_days_ago)
    await deliver(s.tenant)
    code = (await parcels(gql, s.resident.token))[0]["pickupCode"]
    r = await gql(COLLECT, {"c": code}, token=s.resident.token)
    assert not r.get("errors"), r
    period = datetime.now(UTC).strftime("%Y-%m")
    r = await gql("mutation($p: String!) { runBilling(period: $p) { billsCreated amountTotal } }", {"p": period}, token=s.tenant.token)
    assert not r.get("errors"), r
    # 4 days 1 hour stored, 2 free: 3 started days at 1 yuan
    assert r["data"]["runBilling"] == {"billsCreated": 1, "amountTotal": 300}
    r = await gql("mutation($p: String!) { runBilling(period: $p) { billsCreated } }", {"p": period}, token=s.tenant.token)
    assert r["data"]["runBilling"]["billsCreated"] == 0  # billed once
