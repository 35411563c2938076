"""Bad input always gets a coded error (never a 500) and writes nothing; suspended tenants are
refused everywhere until resumed."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio
from fixtures.estates import PASSWORD, build_estate, fast_passwords, row_counts, shared_tenants  # noqa: F401 - fixture

from kernel.errors import BadUserInput
from kernel.graphql.pagination import encode_cursor
from kernel.sdk.inputs import parse_input
from kernel.tenancy import TenantStatus
from tenants.estate.inputs import NewBuilding, NewCommunity, NewUnit
from tenants.lifecycle import set_status

pytestmark = pytest.mark.usefixtures("fast_passwords")


def codes(result: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


class Firm(tuple):
    """(tenant, estate) and the row counts bad input must leave alone."""

    runtime: object
    baseline: dict[str, int]

    async def counts(self) -> dict[str, int]:
        counts = await row_counts(self.runtime, self[0].tenant_id)
        counts.pop("audit_entries")  # logins are audited
        counts.pop("audit_heads")
        return counts

    async def rebase(self) -> None:
        """Call after a legitimate write."""
        self.baseline = await self.counts()


@pytest_asyncio.fixture(scope="module")
async def shared_firm(linli_database):  # type: ignore[no-untyped-def]
    async with shared_tenants(linli_database, ("firm", "甲")) as (runtime, (t,)):
        yield runtime, t


@pytest_asyncio.fixture
async def firm(shared_firm):  # type: ignore[no-untyped-def]
    runtime, t = shared_firm
    f = Firm((t, t.estate))
    f.runtime = runtime
    await f.rebase()
    yield f
    assert await f.counts() == f.baseline, "bad input wrote rows"


@pytest_asyncio.fixture
async def own_firm(runtime, new_tenant):  # type: ignore[no-untyped-def]
    """A tenant of the test's own, for tests that change the tenant's status."""
    t = await new_tenant()
    f = Firm((t, await build_estate(runtime, t.tenant_id, marker="甲")))
    f.runtime = runtime
    await f.rebase()
    yield f
    assert await f.counts() == f.baseline, "bad input wrote rows"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ communities { edges { node { name }", {}),  # unterminated
        ("query { communities(first: ) { edges { cursor } } }", {}),  # syntax
        ("{ communities { edges { node { name colour } } } }", {}),  # unknown field
        ("{ nosuchroot }", {}),
        ("mutation { createCommunity(code: 1, name: 2) { id } }", {}),  # wrong literal types
        ("query($id: ID!) { community(id: $id) { name } }", {}),  # missing variable
        ("query($id: ID!) { community(id: $id) { name } }", {"id": {"not": "an id"}}),
        ("query($f: Int) { communities(first: $f) { edges { cursor } } }", {"f": "ten"}),
        ("query($f: Int) { communities(first: $f) { edges { cursor } } }", {"f": 2**40}),  # over Int32
        ('mutation($c: String) { createCommunity(code: "Z9", name: "z", city: $c) { id } }', {"c": None}),  # null for String! = ""
        ("subscription { nothing }", {}),
        ("", {}),
    ],
)
async def test_malformed_operations(gql, firm, query, variables):
    t, _ = firm
    r = await gql(query, variables, token=t.token)
    assert r.get("errors") and set(codes(r)) == {"BAD_USER_INPUT"}, r


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($f: Int) { communities(first: $f) { edges { cursor } } }", {"f": 0}),
        ("query($f: Int) { communities(first: $f) { edges { cursor } } }", {"f": -1}),
        ("query($f: Int) { communities(first: $f) { edges { cursor } } }", {"f": 10000}),
        ("query($a: String) { communities(after: $a) { edges { cursor } } }", {"a": "bm9wZQ"}),
        ("query($a: String) { communities(after: $a) { edges { cursor } } }", {"a": encode_cursor(["a", "b"])}),
        ("query($a: String) { communities(after: $a) { edges { cursor } } }", {"a": "%%%"}),
        ("query($id: ID!) { community(id: $id) { name } }", {"id": "not-a-global-id"}),
        ("query($id: ID!) { community(id: $id) { name } }", {"id": "Q29tbXVuaXR5Om5vdC1hLXV1aWQ="}),  # Community:not-a-uuid
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "!!!"}),
    ],
)
async def test_bad_arguments(gql, firm, query, variables):
    t, _ = firm
    r = await gql(query, variables, token=t.token)
    assert set(codes(r)) == {"BAD_USER_INPUT"}, r


async def test_wrong_id_type_and_bad_values_in_mutations(gql, firm):
    t, estate = firm
    cases = [
        ('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "2", registeredArea: -500}) { id } }', {"b": estate.gid("Building")}),
        ('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "2", registeredArea: 0}) { id } }', {"b": estate.gid("Building")}),
        ('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "  ", registeredArea: 100}) { id } }', {"b": estate.gid("Building")}),
        ('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "2", registeredArea: 100}) { id } }', {"b": estate.gid("Community")}),
        ('mutation($c: ID!) { createBuilding(compoundId: $c, name: "9幢", floors: 0) { id } }', {"c": estate.gid("Compound")}),
        ('mutation($u: ID!) { registerOwner(unitId: $u, name: "李四", phone: "12345") { name } }', {"u": estate.gid("Unit")}),
        ('mutation($u: ID!) { registerOwner(unitId: $u, name: "李四", idNumber: "123") { name } }', {"u": estate.gid("Unit")}),
        ('mutation($u: ID!) { registerOwner(unitId: $u, name: "李四", shareBp: 20000) { name } }', {"u": estate.gid("Unit")}),
        ('mutation { createCommunity(code: "", name: "") { id } }', {}),
    ]
    for query, variables in cases:
        r = await gql(query, variables, token=t.token)
        assert codes(r) == ["BAD_USER_INPUT"] and r["data"] is None, (query, r)
    r = await gql('mutation { createCommunity(code: "C1", name: "重复") { id } }', token=t.token)
    assert codes(r) == ["CONFLICT"], r


async def test_estate_names_are_bounded_with_a_coded_error(gql, firm):
    """A 60,000-character community name (and any name, code or number over its column) is
    BAD_USER_INPUT naming the field — on SQLite it used to be stored whole."""
    t, estate = firm
    long = "名" * 60_000
    cases = [
        ("mutation($n: String!) { createCommunity(code: \"L1\", name: $n) { id } }", {"n": long}, "name"),
        ("mutation($n: String!) { createCommunity(code: \"L1\", name: $n) { id } }", {"n": "x" * 201}, "name"),
        ("mutation($n: String!) { createCommunity(code: $n, name: \"长\") { id } }", {"n": "C" * 33}, "code"),
        ("mutation($n: String!) { createCommunity(code: \"L1\", name: \"长\", city: $n) { id } }", {"n": "x" * 65}, "city"),
        ("mutation($n: String!) { createCommunity(code: \"L1\", name: \"长\", streetCode: $n) { id } }", {"n": "1" * 33}, "streetCode"),
        ("mutation($c: ID!, $n: String!) { createCompound(communityId: $c, name: $n) { id } }", {"c": estate.gid("Community"), "n": long}, "name"),
        ("mutation($c: ID!, $n: String!) { createBuilding(compoundId: $c, name: $n) { id } }", {"c": estate.gid("Compound"), "n": "幢" * 65}, "name"),
        (
            "mutation($b: ID!, $n: String!) { createUnit(input: {buildingId: $b, number: $n, registeredArea: 100}) { id } }",
            {"b": estate.gid("Building"), "n": "1" * 33},
            "number",
        ),
    ]
    for query, variables, field in cases:
        r = await gql(query, variables, token=t.token)
        assert codes(r) == ["BAD_USER_INPUT"] and r["data"] is None, (query[:60], r)
        assert r["errors"][0]["extensions"].get("field") == field, r["errors"][0]
    # at the bound it is accepted, stripped
    spec = parse_input(NewCommunity, code=" L1 ", name="名" * 200, city="杭州")
    assert (spec.code, spec.name, spec.city) == ("L1", "名" * 200, "杭州")
    assert parse_input(NewUnit, number="1" * 32, registered_area=100).number == "1" * 32
    assert parse_input(NewBuilding, name="幢" * 64, floors=200).floors == 200
    with pytest.raises(BadUserInput) as bad:
        parse_input(NewCommunity, code="L1", name=60_000)  # not text at all: coded, not a crash
    assert bad.value.details.get("field") == "name"


async def test_too_deep_and_too_costly(make_runtime, gql_factory, firm):
    t, estate = firm
    client = gql_factory(make_runtime(max_query_depth=6))
    deep = "query($c: ID!) { community(id: $c) { buildings { edges { node { units { edges { node { owners { name } } } } } } } } }"
    r = await client(deep, {"c": estate.gid("Community")}, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"] and r["errors"][0]["extensions"]["depth"] == 9, r
    client = gql_factory(make_runtime())
    costly = "{ communities(first: 100) { edges { node { buildings(first: 100) { edges { node { units(first: 100) { edges { node { number } } } } } } } } } }"
    r = await client(costly, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"] and r["errors"][0]["extensions"]["cost"] > 25_000, r
    # fragments are counted too
    via_fragment = "{ communities(first: 100) { edges { node { ...B } } } } fragment B on Community { buildings(first: 100) { edges { node { units(first: 100) { edges { cursor } } } } } }"
    r = await client(via_fragment, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"], r


async def test_oversized_and_garbled_bodies(gql, runtime, firm):
    t, _ = firm
    limit = runtime.settings.max_body_bytes
    body = json.dumps({"query": "{ unitCount }", "variables": {"pad": "x" * (limit + 10)}})
    headers = {"authorization": f"Bearer {t.token}", "content-type": "application/json"}
    response = await gql.http.post("/graphql", content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    # the same body streamed without a Content-Length header
    async def chunks():  # type: ignore[no-untyped-def]
        data = body.encode()
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    response = await gql.http.post("/graphql", content=chunks(), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    for garbled in ("{not json", "[]", '{"query": 5}'):
        response = await gql.http.post("/graphql", content=garbled, headers=headers)
        assert 400 <= response.status_code < 500, (garbled, response.status_code, response.text)


async def test_suspended_tenant_is_refused_everywhere_until_resumed(gql, runtime, own_firm):
    firm = own_firm
    t, estate = firm
    r = await gql('mutation { createApiKey(name: "erp", role: "auditor") { secret } }', token=t.token)
    key = r["data"]["createApiKey"]["secret"]
    await firm.rebase()
    login = await gql(
        "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { refreshToken } }",
        {"u": t.admin, "p": PASSWORD, "t": t.slug},
    )
    refresh = login["data"]["login"]["refreshToken"]
    await firm.rebase()  # a login writes its session (a tenant row)
    await set_status(runtime, t.slug, TenantStatus.SUSPENDED, "unpaid invoice")
    requests = [
        ({"query": "{ me { username } }"}, {"token": t.token}),
        ({"query": "{ communities { edges { node { name } } } }"}, {"token": t.token}),
        ({"query": "query($c: ID!) { community(id: $c) { name } }", "variables": {"c": estate.gid("Community")}}, {"token": t.token}),
        ({"query": "query($c: ID!) { node(id: $c) { id } }", "variables": {"c": estate.gid("Community")}}, {"token": t.token}),
        ({"query": 'mutation { createCommunity(code: "Z1", name: "停") { id } }'}, {"token": t.token}),
        ({"query": "{ plugins { name } members { username } }"}, {"token": t.token}),
        ({"query": "{ unitCount }"}, {"headers": {"x-api-key": key}}),
    ]
    for body, auth in requests:
        r = await gql(body["query"], body.get("variables"), **auth)
        assert r.get("errors") and set(codes(r)) == {"TENANT_SUSPENDED"}, (body, r)
    r = await gql(
        "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }",
        {"u": t.admin, "p": PASSWORD, "t": t.slug},
    )
    assert codes(r) == ["TENANT_SUSPENDED"], r
    r = await gql("mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }", {"r": refresh})
    assert codes(r) == ["TENANT_SUSPENDED"], r

    await set_status(runtime, t.slug, TenantStatus.ACTIVE)
    r = await gql("{ me { username } communities { edges { node { name } } } }", token=t.token)
    assert not r.get("errors") and r["data"]["me"]["username"] == t.admin, r
    r = await gql("{ unitCount }", headers={"x-api-key": key})
    assert r["data"] == {"unitCount": 1}, r
    await gql.login(t.admin, PASSWORD, t.slug)
    await firm.rebase()
