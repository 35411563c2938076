"""Jurisdictions: a district account sees its streets' roll-up; anything outside the caller's
jurisdiction is NOT_FOUND exactly as anything unknown; firm accounts are no regulators."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.db.base import utcnow
from kernel.errors import BadUserInput, Conflict
from kernel.supervision.jurisdictions import create_jurisdiction, scope_of
from tests.fixtures.supervision import Volume, enable_kpi_plugins, midday, seed_community
from tests.regulator.test_kpis import QUERY, groups, one

pytestmark = pytest.mark.usefixtures("fast_passwords")
KEYS = ["workorders.closure_rate"]


@pytest.fixture
async def district(runtime, new_tenant, jurisdiction):
    """District D with streets S1 (firm a) and S2 (firms a and b)."""
    d = await jurisdiction("D", name="滨江区", kind="district")
    s1 = await jurisdiction("S1", name="长河街道", parent=d)
    s2 = await jurisdiction("S2", name="西兴街道", parent=d)
    a, b = await new_tenant("da"), await new_tenant("db")
    at = midday(1, utcnow())
    ids = {}
    for t in (a, b):
        await enable_kpi_plugins(runtime, t.tenant_id)
    async with runtime.db.tenant(a.tenant_id) as s:
        ids["A1"] = await seed_community(s, code="A1", street=s1, at=at)
        ids["A2"] = await seed_community(s, code="A2", street=s2, at=at, volume=Volume(closed=5))
    async with runtime.db.tenant(b.tenant_id) as s:
        ids["B2"] = await seed_community(s, code="B2", street=s2, at=at, volume=Volume(closed=10))
    return {"d": d, "s1": s1, "s2": s2, "a": a, "b": b, "ids": ids}


async def test_a_district_account_sees_each_street_and_the_roll_up(gql, regulator, district):
    _, token = await regulator(district["d"])
    r = await gql("{ myJurisdiction { code name kind streets { code name } } }", token=token)
    assert r["data"]["myJurisdiction"] == {
        "code": district["d"], "name": "滨江区", "kind": "district",
        "streets": sorted([{"code": district["s1"], "name": "长河街道"}, {"code": district["s2"], "name": "西兴街道"}], key=lambda s: s["code"]),
    }
    r = await gql(QUERY, {"keys": KEYS}, token=token)
    assert not r.get("errors"), r
    gs = groups(r["data"], KEYS[0])
    assert one(gs, level="street", street=district["s1"])["figure"]["value"] == 80.0
    assert one(gs, level="street", street=district["s2"])["figure"]["value"] == 75.0
    assert one(gs, level="jurisdiction")["figure"]["value"] == round(23 / 30 * 100, 2)
    assert {g["community"] for g in gs if g["level"] == "community"} == {"A1社区", "A2社区", "B2社区"}
    # narrowed to one of its streets
    r = await gql(QUERY, {"keys": KEYS, "street": district["s2"]}, token=token)
    assert {g["community"] for g in groups(r["data"], KEYS[0]) if g["level"] == "community"} == {"A2社区", "B2社区"}


async def test_a_street_regulator_sees_only_its_street(gql, regulator, district):
    _, token = await regulator(district["s1"])
    r = await gql(QUERY, {"keys": KEYS}, token=token)
    gs = groups(r["data"], KEYS[0])
    assert {g["community"] for g in gs if g["level"] == "community"} == {"A1社区"}
    assert not [g for g in gs if g["level"] == "street"]
    assert one(gs, level="jurisdiction")["figure"]["value"] == 80.0


def _gid(value: uuid.UUID) -> str:
    return str(relay.GlobalID("Community", str(value)))


async def test_outside_the_jurisdiction_is_not_found_exactly_as_unknown(runtime, gql, regulator, district, new_tenant):
    label, token = await regulator(district["s1"])
    a, b = district["a"], district["b"]
    outside = [
        {"communityId": _gid(district["ids"]["A2"])},  # the same firm's community in another street
        {"communityId": _gid(district["ids"]["B2"])},  # another firm's, another street
        {"firm": b.slug},  # a firm with nothing in this street
        {"street": district["s2"]},  # a sibling street
        {"street": district["d"]},  # the district above
    ]
    unknown = [{"communityId": _gid(uuid.uuid4())}, {"firm": "no-such-firm"}, {"street": "NO-SUCH"}]
    answers = []
    for variables in outside + unknown:
        r = await gql(QUERY, {"keys": KEYS, **variables}, token=token)
        assert r["data"] is None, (variables, r)
        answers.append((r["errors"][0]["extensions"], r["errors"][0]["message"]))
    assert {e["code"] for e, _ in answers} == {"NOT_FOUND"}
    assert len({m for _, m in answers[:2] + answers[5:6]}) == 1  # a community: one message, foreign or unknown
    assert len({m for _, m in answers[2:3] + answers[6:7]}) == 1  # a firm: one message
    # nothing read, nothing audited in firm b
    async with runtime.db.tenant(b.tenant_id) as s:
        assert not (await s.scalars(select(AuditEntry).where(AuditEntry.action == "regulator.read_kpis"))).all()
    # inside: its community, its firm
    r = await gql(QUERY, {"keys": KEYS, "communityId": _gid(district["ids"]["A1"]), "firm": a.slug}, token=token)
    assert {g["community"] for g in groups(r["data"], KEYS[0]) if g["level"] == "community"} == {"A1社区"}


async def test_firm_accounts_and_strangers_are_no_regulators(gql, district):
    a = district["a"]
    for query in (QUERY, "{ myJurisdiction { code } }"):
        r = await gql(query, {"keys": KEYS} if query is QUERY else None, token=a.token)
        assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        r = await gql(query, {"keys": KEYS} if query is QUERY else None)
        assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_jurisdiction_rules(runtime, jurisdiction):
    d = await jurisdiction("D", kind="district")
    s = await jurisdiction("S", parent=d)
    async with runtime.db.platform() as session:
        for kwargs in (
            {"code": "", "name": "x"},
            {"code": "X" * 33, "name": "x"},
            {"code": f"N-{uuid.uuid4().hex[:6]}", "name": " "},
            {"code": f"K-{uuid.uuid4().hex[:6]}", "name": "x", "kind": "city"},
            {"code": f"P-{uuid.uuid4().hex[:6]}", "name": "x", "parent_code": s},  # a street is no parent
            {"code": f"Q-{uuid.uuid4().hex[:6]}", "name": "x", "kind": "district", "parent_code": d},
        ):
            with pytest.raises(BadUserInput):
                await create_jurisdiction(session, **kwargs)
        with pytest.raises(Conflict):
            await create_jurisdiction(session, code=s, name="again")
        assert (await scope_of(session, d)).streets == (s,)
        assert (await scope_of(session, s)).streets == (s,)
        legacy = await scope_of(session, "LEGACY-STREET")  # an account made before jurisdictions existed
        assert legacy.kind == "street" and legacy.streets == ("LEGACY-STREET",)
