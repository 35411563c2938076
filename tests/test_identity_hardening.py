"""Identity under attack: parallel guessing, spraying, lock-out attempts, stolen refresh tokens.

Each test failed against the identity code of 0.1 (check-then-count throttle, per-username
lock, stateless access tokens, read-then-write refresh rotation)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fixtures.estates import PASSWORD, fast_passwords  # noqa: F401 - fixture

from kernel.testing import GraphQLClient

pytestmark = pytest.mark.usefixtures("fast_passwords")

LOGIN = "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken refreshToken } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }"


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


def client_from(runtime, address: str) -> GraphQLClient:  # type: ignore[no-untyped-def]
    """A GraphQL client whose requests come from ``address`` (the throttle keys on it)."""
    from gateway.app import create_app

    client = GraphQLClient(create_app(runtime))
    client.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app, client=(address, 40000)), base_url="http://linli.test")
    return client


async def test_forty_parallel_guesses_verify_at_most_the_limit(make_runtime, new_tenant):
    t = await new_tenant()
    strict = make_runtime(login_max_failures=5)
    attacker = client_from(strict, "198.51.100.7")
    try:
        guesses = [f"guess-{i}" for i in range(39)] + [PASSWORD]  # the 40th is right
        results = await asyncio.gather(*(attacker(LOGIN, {"u": t.admin, "p": p, "t": t.slug}) for p in guesses))
    finally:
        await attacker.http.aclose()
    verified = [r for r in results if code(r) != "RATE_LIMITED"]
    assert len(verified) <= 5, [code(r) for r in results]
    assert code(results[-1]) == "RATE_LIMITED", results[-1]
    assert all(code(r) in ("UNAUTHENTICATED", "RATE_LIMITED") for r in results)


async def test_an_attacker_cannot_lock_the_person_out(make_runtime, new_tenant):
    t = await new_tenant()
    strict = make_runtime(login_max_failures=3)
    attacker, person = client_from(strict, "198.51.100.8"), client_from(strict, "203.0.113.20")
    try:
        for i in range(6):
            await attacker(LOGIN, {"u": t.admin, "p": f"guess-{i}", "t": t.slug})
        r = await attacker(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
        assert code(r) == "RATE_LIMITED", r  # the attacker's address is throttled, even when right
        r = await person(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
        assert not r.get("errors"), r  # the person, from elsewhere, logs in
    finally:
        await attacker.http.aclose()
        await person.http.aclose()


async def test_spraying_is_limited_per_source_and_per_tenant(make_runtime, new_tenant):
    t = await new_tenant()
    per_source = make_runtime(login_max_failures_per_source=3)
    sprayer, other = client_from(per_source, "198.51.100.9"), client_from(per_source, "203.0.113.21")
    try:
        for i in range(3):  # one guess each at three usernames
            r = await sprayer(LOGIN, {"u": f"user-{i}", "p": "Summer2026!", "t": t.slug})
            assert code(r) == "UNAUTHENTICATED", r
        r = await sprayer(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
        assert code(r) == "RATE_LIMITED", r
        r = await other(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
        assert not r.get("errors"), r
    finally:
        await sprayer.http.aclose()
        await other.http.aclose()
    u = await new_tenant()
    per_tenant = make_runtime(login_max_failures_per_tenant=3)
    clients = [client_from(per_tenant, f"198.51.100.{20 + i}") for i in range(5)]
    try:
        for i, c in enumerate(clients[:3]):  # a botnet: one guess per address
            r = await c(LOGIN, {"u": f"user-{i}", "p": "Summer2026!", "t": u.slug})
            assert code(r) == "UNAUTHENTICATED", r
        r = await clients[3](LOGIN, {"u": "user-9", "p": "Summer2026!", "t": u.slug})
        assert code(r) == "RATE_LIMITED", r
        # another firm is not affected
        v = await new_tenant()
        r = await clients[4](LOGIN, {"u": v.admin, "p": PASSWORD, "t": v.slug})
        assert not r.get("errors"), r
    finally:
        for c in clients:
            await c.http.aclose()


async def test_ten_parallel_refreshes_yield_one_pair(gql, new_tenant):
    t = await new_tenant()
    login = (await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug}))["data"]["login"]
    results = await asyncio.gather(*(gql(REFRESH, {"r": login["refreshToken"]}) for _ in range(10)))
    won = [r for r in results if not r.get("errors")]
    assert len(won) == 1, [code(r) for r in results]
    assert all(code(r) == "UNAUTHENTICATED" for r in results if r.get("errors"))


async def test_a_revoked_session_stops_its_access_tokens_at_once(gql, new_tenant):
    t = await new_tenant()
    login = (await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug}))["data"]["login"]
    access = login["accessToken"]
    r = await gql("{ me { username } }", token=access)
    assert r["data"]["me"]["username"] == t.admin
    rotated = (await gql(REFRESH, {"r": login["refreshToken"]}))["data"]["refreshToken"]
    # a thief replays the first refresh token: every session of the account is signed out ...
    r = await gql(REFRESH, {"r": login["refreshToken"]})
    assert code(r) == "UNAUTHENTICATED", r
    # ... and their access tokens stop now, not when they expire
    for token in (access, rotated["accessToken"], t.token):
        r = await gql("{ me { username } }", token=token)
        assert code(r) == "UNAUTHENTICATED" and r["errors"][0]["extensions"]["reason"] == "session_revoked", r
    assert code(await gql(REFRESH, {"r": rotated["refreshToken"]})) == "UNAUTHENTICATED"
    # a fresh login works
    r = await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
    fresh = r["data"]["login"]["accessToken"]
    assert (await gql("{ me { username } }", token=fresh))["data"]["me"]["username"] == t.admin
