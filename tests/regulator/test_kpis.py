"""Street-office KPIs: per community, firm and jurisdiction, as figures and series, groups under
five persons suppressed, every firm read audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.db.base import utcnow
from tests.fixtures.supervision import Volume, enable_kpi_plugins, midday, seed_community

pytestmark = pytest.mark.usefixtures("fast_passwords")

QUERY = """query($keys: [String!], $bucket: KpiBucket, $since: DateTime, $until: DateTime, $firm: String, $communityId: ID, $street: String) {
  regulatorKpis(keys: $keys, bucket: $bucket, since: $since, until: $until, firm: $firm, communityId: $communityId, street: $street) {
    jurisdiction bucket
    kpis { key plugin unit aggregate
      groups { level street firm firmSlug community communityId
        figure { value samples suppressed }
        series { start value samples suppressed } } } } }"""
KEYS = ["workorders.closure_rate", "workorders.handling_hours", "fees.collection_rate", "participation.satisfaction"]


def groups(data: dict, key: str) -> list[dict]:
    return next(k for k in data["regulatorKpis"]["kpis"] if k["key"] == key)["groups"]


def one(gs: list[dict], **match: object) -> dict:
    found = [g for g in gs if all(g[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, gs)
    return found[0]


async def test_street_kpis_per_community_firm_and_street_with_suppression_and_audit(runtime, gql, new_tenant, jurisdiction, regulator):
    street, other = await jurisdiction("S", name="滨江街道"), await jurisdiction("O")
    a, b, c = await new_tenant("ka"), await new_tenant("kb"), await new_tenant("kc")
    now = utcnow()
    at = midday(3, now)
    for t in (a, b, c):
        await enable_kpi_plugins(runtime, t.tenant_id)
    async with runtime.db.tenant(a.tenant_id) as s:
        a1 = await seed_community(s, code="A1", street=street, at=at)
        await seed_community(s, code="A2", street=street, at=at, volume=Volume(units=4, orders=4, closed=1, hours=2, answers=3, score=2))
    async with runtime.db.tenant(b.tenant_id) as s:
        await seed_community(s, code="B1", street=street, at=at, volume=Volume(closed=10, hours=10, paid_share=1.0))
    async with runtime.db.tenant(c.tenant_id) as s:
        await seed_community(s, code="C1", street=other, at=at)  # another street's: never read

    label, token = await regulator(street)
    r = await gql(QUERY, {"keys": KEYS, "bucket": "WEEK"}, token=token)
    assert not r.get("errors"), r
    assert r["data"]["regulatorKpis"]["jurisdiction"] == street

    closure = groups(r["data"], "workorders.closure_rate")
    assert one(closure, level="community", community="A1社区")["figure"] == {"value": 80.0, "samples": 10, "suppressed": False}
    # A2: four units reported — fewer than five persons, so nothing is shown
    assert one(closure, level="community", community="A2社区")["figure"] == {"value": None, "samples": 0, "suppressed": True}
    assert one(closure, level="firm", firmSlug=a.slug)["figure"]["value"] == round(9 / 14 * 100, 2)
    assert one(closure, level="firm", firmSlug=b.slug)["figure"]["value"] == 100.0
    assert one(closure, level="jurisdiction")["figure"] == {"value": round(19 / 24 * 100, 2), "samples": 24, "suppressed": False}
    assert not [g for g in closure if g["firmSlug"] == c.slug or g["community"] == "C1社区"]
    assert one(closure, level="community", community="A1社区")["communityId"] == str(relay.GlobalID("Community", str(a1)))

    hours = groups(r["data"], "workorders.handling_hours")
    assert one(hours, level="community", community="A1社区")["figure"]["value"] == 6.0
    assert one(hours, level="firm", firmSlug=b.slug)["figure"]["value"] == 10.0

    fees = groups(r["data"], "fees.collection_rate")
    assert one(fees, level="firm", firmSlug=a.slug)["figure"]["value"] == 50.0
    assert one(fees, level="jurisdiction")["figure"]["value"] == round((10 * 5000 + 4 * 5000 + 10 * 10000) / (24 * 10000) * 100, 2)

    satisfaction = groups(r["data"], "participation.satisfaction")
    assert one(satisfaction, level="community", community="A2社区")["figure"]["suppressed"] is True
    assert one(satisfaction, level="firm", firmSlug=a.slug)["figure"]["value"] == round((6 * 4 + 3 * 2) / 9, 2)

    # the series: one point per week, the data in the week of `at`, empty weeks empty (not suppressed)
    series = one(closure, level="community", community="A1社区")["series"]
    assert len(series) >= 13
    filled = [p for p in series if p["samples"]]
    assert len(filled) == 1 and filled[0]["value"] == 80.0
    assert all(p["value"] is None and not p["suppressed"] for p in series if p is not filled[0])

    for t, expected in ((a, 1), (b, 1), (c, 0)):
        async with runtime.db.tenant(t.tenant_id) as s:
            reads = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "regulator.read_kpis"))).all()
        assert len(reads) == expected, t.slug
        assert all(e.actor == label for e in reads)


async def test_the_fee_rate_is_weighted_by_amount_and_the_month_series_covers_the_period(runtime, gql, new_tenant, jurisdiction, regulator):
    street = await jurisdiction("F")
    t = await new_tenant("kf")
    await enable_kpi_plugins(runtime, t.tenant_id)
    now = utcnow()
    async with runtime.db.tenant(t.tenant_id) as s:
        await seed_community(s, code="F1", street=street, at=midday(2, now), volume=Volume(units=10, paid_share=1.0))
        await seed_community(s, code="F2", street=street, at=midday(2, now), volume=Volume(units=30, paid_share=0.0))
    _, token = await regulator(street)
    since = (now - timedelta(days=70)).isoformat()
    r = await gql(QUERY, {"keys": ["fees.collection_rate"], "bucket": "MONTH", "since": since, "until": now.isoformat()}, token=token)
    assert not r.get("errors"), r
    whole = one(groups(r["data"], "fees.collection_rate"), level="jurisdiction")
    assert whole["figure"]["value"] == 25.0  # 10 paid bills of 40, equal amounts
    assert 3 <= len(whole["series"]) <= 4
    assert whole["series"][-1]["value"] == 25.0


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"since": "2026-01-01T00:00:00", "until": "2026-02-01T00:00:00+00:00"}, "BAD_USER_INPUT"),
        ({"since": "2024-01-01T00:00:00+00:00", "until": "2026-02-01T00:00:00+00:00"}, "BAD_USER_INPUT"),
        ({"keys": ["nope.kpi"]}, "BAD_USER_INPUT"),
        ({"communityId": "not-an-id"}, "BAD_USER_INPUT"),
    ],
)
async def test_bad_input_is_a_coded_error(gql, jurisdiction, regulator, variables, code):
    _, token = await regulator(await jurisdiction("B"))
    r = await gql(QUERY, variables, token=token)
    assert r["errors"][0]["extensions"]["code"] == code, r


async def test_a_district_of_one_street_gets_that_streets_group(runtime, gql, new_tenant, jurisdiction, regulator):
    """Issue 14: a district with a single street had no street-level group (only with two or more)."""
    district = await jurisdiction("D", kind="district")
    street = await jurisdiction("S1", parent=district)
    t = await new_tenant("kd")
    await enable_kpi_plugins(runtime, t.tenant_id)
    async with runtime.db.tenant(t.tenant_id) as s:
        await seed_community(s, code="D1", street=street, at=midday(2, utcnow()), volume=Volume(units=10, paid_share=1.0))
    _, token = await regulator(district)
    r = await gql(QUERY, {"keys": ["fees.collection_rate"]}, token=token)
    assert not r.get("errors"), r
    gs = groups(r["data"], "fees.collection_rate")
    assert one(gs, level="street")["street"] == street
    assert one(gs, level="street")["figure"] == one(gs, level="jurisdiction")["figure"] == {"value": 100.0, "samples": 10, "suppressed": False}
    # a street account sees no street group (its jurisdiction is the street)
    _, street_token = await regulator(street)
    r = await gql(QUERY, {"keys": ["fees.collection_rate"]}, token=street_token)
    assert not [g for g in groups(r["data"], "fees.collection_rate") if g["level"] == "street"]
