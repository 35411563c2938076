"""The gateway's per-process caches must not change answers: memoised casbin decisions follow
role changes (grant and revocation), and cached parsing/validation leaves the depth, cost and
rate limits and validation errors in force on every repetition of the same query text."""

from __future__ import annotations

from kernel.identity import service as identity
from kernel.identity.authz import Policies

OWNERS_PAGE = """query($c: ID!) { community(id: $c) { buildings(first: 10) { edges { node {
  units(first: 10) { edges { node { number owners { name } } } } } } } } }"""


async def _estate_with_an_owner(gql, token: str) -> str:  # type: ignore[no-untyped-def]
    r = await gql('mutation { createCommunity(code: "C1", name: "幸福里") { id } }', token=token)
    cid = r["data"]["createCommunity"]["id"]
    r = await gql('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": cid}, token=token)
    r = await gql('mutation($c: ID!) { createBuilding(compoundId: $c, name: "1幢") { id } }', {"c": r["data"]["createCompound"]["id"]}, token=token)
    r = await gql('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "101", registeredArea: 8963}) { id } }', {"b": r["data"]["createBuilding"]["id"]}, token=token)
    r = await gql('mutation($u: ID!) { registerOwner(unitId: $u, name: "张三明") { name } }', {"u": r["data"]["createUnit"]["id"]}, token=token)
    assert not r.get("errors"), r
    return str(cid)


def _codes(result: dict) -> list[str]:  # type: ignore[type-arg]
    return [e["extensions"]["code"] for e in result.get("errors") or []]


async def test_memoised_permissions_follow_role_grants_and_revocations(runtime, gql, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant()
    cid = await _estate_with_an_owner(gql, t.token)
    async with runtime.db.tenant(t.tenant_id) as s:
        tech = await identity.create_account(s, f"{t.slug}-tech", "tech password 1", "师傅")
    r = await gql("mutation($u: String!) { assignRole(username: $u, role: \"technician\") { role } }", {"u": f"{t.slug}-tech"}, token=t.token)
    assert not r.get("errors"), r
    token = await gql.login(f"{t.slug}-tech", "tech password 1", t.slug)

    for _ in range(2):  # the second answer comes from the memo and must be the same
        r = await gql(OWNERS_PAGE, {"c": cid}, token=token)
        assert _codes(r) == ["FORBIDDEN"], r
        assert "persons:read" in r["errors"][0]["message"]

    r = await gql("mutation($u: String!) { assignRole(username: $u, role: \"committee_member\") { role } }", {"u": f"{t.slug}-tech"}, token=t.token)
    assert not r.get("errors"), r
    for _ in range(2):
        r = await gql(OWNERS_PAGE, {"c": cid}, token=token)
        assert not r.get("errors"), r
        units = r["data"]["community"]["buildings"]["edges"][0]["node"]["units"]["edges"]
        assert units[0]["node"]["owners"] == [{"name": "张*明"}]

    async with runtime.db.tenant(t.tenant_id) as ts:
        await Policies(ts, t.tenant_id).remove_role(tech.id, "committee_member")
    r = await gql(OWNERS_PAGE, {"c": cid}, token=token)
    assert _codes(r) == ["FORBIDDEN"], r


async def test_limits_and_validation_hold_on_repeated_query_texts(make_runtime, gql_factory, new_tenant, gql):  # type: ignore[no-untyped-def]
    t = await new_tenant()
    deep = "query { communities { edges { node { buildings { edges { node { units { edges { node { owners { name } } } } } } } } } } }"
    costly = "query { communities(first: 100) { edges { node { buildings(first: 100) { edges { node { units(first: 100) { edges { node { number } } } } } } } } } }"
    invalid = "query { communities { edges { node { noSuchField } } } }"
    for _ in range(3):
        r = await gql(deep, token=t.token)
        assert _codes(r) == ["BAD_USER_INPUT"] and "levels deep" in r["errors"][0]["message"], r
        r = await gql(costly, token=t.token)
        assert _codes(r) == ["BAD_USER_INPUT"] and "would cost" in r["errors"][0]["message"], r
        r = await gql(invalid, token=t.token)
        assert _codes(r) == ["BAD_USER_INPUT"] and "noSuchField" in r["errors"][0]["message"], r
        r = await gql("query { unitCount }", token=t.token)
        assert r == {"data": {"unitCount": 0}}, r

    # a tiny budget: the same (cached) query text is charged on each request until refused
    small = make_runtime(rate_limit_cost_per_minute=3)
    client = gql_factory(small)
    token = await client.login(t.admin, "correct horse battery", t.slug)
    answers = [await client("query { unitCount }", token=token) for _ in range(4)]
    assert "RATE_LIMITED" in [c for a in answers for c in _codes(a)], answers
    assert answers[0] == {"data": {"unitCount": 0}}
