"""Adversarial tenant isolation through GraphQL: tenant A's admin goes after tenant B's data.

Every attempt must end in a coded error or null, never in B's data, and must write nothing in
either tenant (row counts of every tenant table are compared before and after).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords, row_counts, shared_tenants  # noqa: F401 - fixture

from kernel.graphql.pagination import encode_cursor

pytestmark = pytest.mark.usefixtures("fast_passwords")


def codes(result: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


@pytest_asyncio.fixture(scope="module")
async def two_tenants(linli_database):  # type: ignore[no-untyped-def]
    """A and B with estates, built once per module."""
    async with shared_tenants(linli_database, ("alpha", "甲"), ("bravo", "乙")) as (runtime, (a, b)):
        yield runtime, (a, b, a.estate, b.estate)


class World(tuple):
    """(A, B, A's estate, B's estate) plus the row counts refused requests must leave alone."""

    runtime: object
    baseline: tuple[dict[str, int], dict[str, int]]

    async def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return (await row_counts(self.runtime, self[0].tenant_id), await row_counts(self.runtime, self[1].tenant_id))

    async def rebase(self) -> None:
        """Call after a legitimate write."""
        self.baseline = await self.counts()


@pytest_asyncio.fixture
async def world(two_tenants):  # type: ignore[no-untyped-def]
    runtime, members = two_tenants
    w = World(members)
    w.runtime = runtime
    await w.rebase()
    yield w
    assert await w.counts() == w.baseline, "a refused request wrote rows"


def no_b_data(result: dict) -> None:
    assert "乙" not in str(result.get("data")), result


async def test_b_ids_in_queries_give_null(gql, world):
    a, _b, _ea, eb = world
    r = await gql("query($id: ID!) { community(id: $id) { id name } }", {"id": eb.gid("Community")}, token=a.token)
    assert r["data"] == {"community": None} and not r.get("errors"), r
    for kind in ("Community", "Compound", "Building", "Unit"):
        r = await gql("query($id: ID!) { node(id: $id) { id __typename } }", {"id": eb.gid(kind)}, token=a.token)
        assert r["data"] == {"node": None} and not r.get("errors"), (kind, r)


async def test_b_ids_in_mutations_are_not_found_and_write_nothing(gql, world):
    a, _b, _ea, eb = world
    attempts = [
        ('mutation($id: ID!) { createCompound(communityId: $id, name: "x") { id } }', eb.gid("Community")),
        ('mutation($id: ID!) { createBuilding(compoundId: $id, name: "x") { id } }', eb.gid("Compound")),
        ('mutation($id: ID!) { createUnit(input: {buildingId: $id, number: "9", registeredArea: 100}) { id } }', eb.gid("Building")),
        # registerOwner creates the person first, then fails on the unit: the rollback must undo both
        ('mutation($id: ID!) { registerOwner(unitId: $id, name: "王五", idNumber: "110101199003070011") { name } }', eb.gid("Unit")),
    ]
    for query, gid in attempts:
        r = await gql(query, {"id": gid}, token=a.token)
        assert codes(r) == ["NOT_FOUND"], (query, r)
        assert r["data"] is None
        no_b_data(r)


async def test_id_of_another_type_is_bad_input(gql, world):
    a, _b, ea, _eb = world
    r = await gql('mutation($id: ID!) { createCompound(communityId: $id, name: "x") { id } }', {"id": ea.gid("Unit")}, token=a.token)
    assert codes(r) == ["BAD_USER_INPUT"], r


async def test_nested_relations_show_only_own_rows(gql, world):
    a, _b, ea, _eb = world
    q = """query($c: ID!) { community(id: $c) { name votingTotals { units area persons }
      compounds { name }
      buildings(first: 50) { edges { node { name units(first: 50) { edges { node { number owners { name } } } } } } } }
      communities(first: 50) { edges { node { name } } } unitCount }"""
    r = await gql(q, {"c": ea.gid("Community")}, token=a.token)
    assert not r.get("errors"), r
    no_b_data(r)
    assert r["data"]["unitCount"] == 1
    assert [e["node"]["name"] for e in r["data"]["communities"]["edges"]] == ["甲社区"]
    assert r["data"]["community"]["votingTotals"] == {"units": 1, "area": 8963, "persons": 1}


async def test_forged_cursors_do_not_cross_tenants(gql, world):
    a, _b, ea, eb = world
    # cursors forged to sit just before B's sort keys, and one holding B's raw ids
    for cursor in (encode_cursor([""]), encode_cursor([eb.code]), encode_cursor([str(eb.community)]), encode_cursor(["乙1幢"])):
        r = await gql("query($a: String) { communities(first: 10, after: $a) { edges { node { name } } } }", {"a": cursor}, token=a.token)
        assert not r.get("errors"), r
        no_b_data(r)
        r = await gql(
            "query($c: ID!, $a: String) { community(id: $c) { buildings(first: 10, after: $a) { edges { node { name } } } } }",
            {"c": ea.gid("Community"), "a": cursor},
            token=a.token,
        )
        assert not r.get("errors"), r
        no_b_data(r)
    r = await gql('query { communities(first: 10, after: "not-a-cursor") { edges { cursor } } }', token=a.token)
    assert codes(r) == ["BAD_USER_INPUT"], r


def _claims(account_id: uuid.UUID, tenant_id: uuid.UUID, **extra: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"iss": "linli", "sub": str(account_id), "tid": str(tenant_id), "pa": False, "iat": now,
            "exp": now + timedelta(minutes=5), "typ": "access", **extra}


async def _account_id(gql, token: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    r = await gql("{ me { accountId } }", token=token)
    return uuid.UUID(r["data"]["me"]["accountId"])


async def test_token_for_b_without_a_role_there_sees_nothing(gql, runtime, world):
    a, b, _ea, eb = world
    a_account = await _account_id(gql, a.token)
    # validly signed, but A's admin has no role in B: every tenant field is FORBIDDEN
    token = jwt.encode(_claims(a_account, b.tenant_id), runtime.settings.secret_key, algorithm="HS256")
    r = await gql("query($id: ID!) { community(id: $id) { name } }", {"id": eb.gid("Community")}, token=token)
    assert codes(r) == ["FORBIDDEN"], r
    no_b_data(r)
    r = await gql("{ communities { edges { node { name } } } members { username } }", token=token)
    assert set(codes(r)) == {"FORBIDDEN"}, r
    no_b_data(r)
    r = await gql('mutation { createCommunity(code: "X9", name: "hijack") { id } }', token=token)
    assert codes(r) == ["FORBIDDEN"], r
    r = await gql(f'mutation {{ assignRole(username: "{a.admin}", role: "tenant_admin") {{ role }} }}', token=token)
    assert codes(r) == ["FORBIDDEN"], r
    # nor can A log in to B by naming it
    r = await gql(f'mutation {{ login(username: "{a.admin}", password: "correct horse battery", tenant: "{b.slug}") {{ accessToken }} }}')
    assert codes(r) == ["UNAUTHENTICATED"], r


async def test_forged_tokens_are_unauthenticated(gql, runtime, world):
    a, b, _ea, eb = world
    a_account = await _account_id(gql, a.token)
    forged = [
        jwt.encode(_claims(a_account, b.tenant_id), "not-the-secret-" + "y" * 32, algorithm="HS256"),
        jwt.encode(_claims(a_account, b.tenant_id), None, algorithm="none"),
        # alg none with A's own tenant too: the header decides nothing
        jwt.encode(_claims(a_account, a.tenant_id), None, algorithm="none"),
        jwt.encode(_claims(a_account, b.tenant_id, typ="refresh"), runtime.settings.secret_key, algorithm="HS256"),
        a.token[:-4] + ("AAAA" if not a.token.endswith("AAAA") else "BBBB"),
        "garbage",
    ]
    for token in forged:
        r = await gql("query($id: ID!) { community(id: $id) { name } }", {"id": eb.gid("Community")}, token=token)
        assert codes(r) == ["UNAUTHENTICATED"], (token, r)
        no_b_data(r)
        r = await gql('mutation { createCommunity(code: "X9", name: "hijack") { id } }', token=token)
        assert codes(r) == ["UNAUTHENTICATED"], r


async def test_api_keys_cannot_be_mixed_or_moved_across_tenants(gql, world):
    a, b, _ea, eb = world
    r = await gql('mutation { createApiKey(name: "erp", role: "property_staff") { secret } }', token=a.token)
    key = r["data"]["createApiKey"]["secret"]
    await world.rebase()
    # the key works alone, for A only
    r = await gql("{ communities { edges { node { name } } } }", headers={"x-api-key": key})
    assert [e["node"]["name"] for e in r["data"]["communities"]["edges"]] == ["甲社区"], r
    # A's key with B's JWT: ambiguous credentials are refused outright
    r = await gql("{ communities { edges { node { name } } } }", token=b.token, headers={"x-api-key": key})
    assert codes(r) == ["UNAUTHENTICATED"], r
    # A's key re-labelled with B's tenant id does not exist in B
    _lk, _tenant, prefix, secret = key.split(".", 3)
    moved = f"lk.{b.tenant_id.hex}.{prefix}.{secret}"
    r = await gql("query($id: ID!) { community(id: $id) { name } }", {"id": eb.gid("Community")}, headers={"x-api-key": moved})
    assert codes(r) == ["UNAUTHENTICATED"], r
    no_b_data(r)
    # an API key presented as a bearer token is not a JWT
    r = await gql("{ communities { edges { node { name } } } }", token=key)
    assert codes(r) == ["UNAUTHENTICATED"], r
    # a key is not an account and cannot hand out roles it lacks
    r = await gql(f'mutation {{ assignRole(username: "{b.admin}", role: "tenant_admin") {{ role }} }}', headers={"x-api-key": key})
    assert codes(r) == ["FORBIDDEN"], r


async def test_anonymous_sees_nothing(gql, world):
    _a, _b, _ea, eb = world
    r = await gql("query($id: ID!) { community(id: $id) { name } node(id: $id) { id } }", {"id": eb.gid("Community")})
    assert set(codes(r)) == {"UNAUTHENTICATED"}, r
    no_b_data(r)


@pytest.mark.parametrize("field", ["createCommunity", "createApiKey"])
async def test_writes_after_failure_in_same_request_roll_back(gql, world, field):
    """A request whose second mutation fails writes nothing at all (one unit of work)."""
    a, _b, _ea, eb = world
    first = 'createCommunity(code: "C7", name: "甲二") { id }' if field == "createCommunity" else 'createApiKey(name: "k", role: "auditor") { id }'
    r = await gql(
        f'mutation($id: ID!) {{ first: {first} second: createCompound(communityId: $id, name: "x") {{ id }} }}',
        {"id": eb.gid("Community")},
        token=a.token,
    )
    assert "NOT_FOUND" in codes(r), r
