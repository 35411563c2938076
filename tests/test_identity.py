"""Identity end to end: login, throttling, tokens, refresh rotation, API keys, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fixtures.estates import (
    PASSWORD,
    fast_passwords,  # noqa: F401 - fixture
)
from sqlalchemy import select

from kernel.identity import service as identity
from kernel.identity import throttle
from kernel.identity.models import Account, ApiKey, LoginAttempt

pytestmark = pytest.mark.usefixtures("fast_passwords")

LOGIN = "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken refreshToken expiresIn } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }"


def codes(result: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


async def failures(runtime, username: str, tenant_id) -> int:  # type: ignore[no-untyped-def]
    return await throttle.failures(runtime.db, source="127.0.0.1", tenant_id=tenant_id, username=username)


async def add_account(runtime, username: str, tenant_id) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant_id) as s:
        await identity.create_account(s, username, PASSWORD, "张三")


async def test_login_success_and_failure(gql, runtime, new_tenant):
    t = await new_tenant()
    r = await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
    assert not r.get("errors"), r
    assert r["data"]["login"]["expiresIn"] == runtime.settings.access_token_ttl_seconds
    r = await gql("{ me { username tenantSlug roles } }", token=r["data"]["login"]["accessToken"])
    assert r["data"]["me"] == {"username": t.admin, "tenantSlug": t.slug, "roles": ["tenant_admin"]}
    async with runtime.db.tenant(t.tenant_id) as s:
        stored = await s.scalar(select(Account.password_hash).where(Account.username == t.admin))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    for u, p in ((t.admin, "wrong password"), ("nobody-at-all", PASSWORD)):
        r = await gql(LOGIN, {"u": u, "p": p, "t": t.slug})
        assert codes(r) == ["UNAUTHENTICATED"] and r["data"] is None, r
        assert r["errors"][0]["message"] == "wrong username or password"  # no hint which was wrong
    # a successful login clears the failure count
    r = await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
    assert not r.get("errors"), r
    assert await failures(runtime, t.admin, t.tenant_id) == 0


async def test_brute_force_is_throttled(make_runtime, gql_factory, runtime, new_tenant):
    t = await new_tenant()
    strict = make_runtime(login_max_failures=3)
    client = gql_factory(strict)
    for i in range(3):
        r = await client(LOGIN, {"u": t.admin, "p": f"guess-{i}", "t": t.slug})
        assert codes(r) == ["UNAUTHENTICATED"], r
    # every failure was recorded although its request failed
    assert await failures(strict, t.admin, t.tenant_id) == 3
    r = await client(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
    assert codes(r) == ["RATE_LIMITED"], r
    assert r["errors"][0]["extensions"]["retryAfter"] == strict.settings.login_window_seconds
    # other accounts are not locked out by someone else's failures
    r = await client(LOGIN, {"u": "another-user", "p": "x" * 10, "t": t.slug})
    assert codes(r) == ["UNAUTHENTICATED"], r
    # the window slides: once the failures are old enough, the right password works again
    async with strict.db.platform() as s:
        subject = throttle.subject_key("127.0.0.1", t.tenant_id, t.admin)
        for row in await s.scalars(select(LoginAttempt).where(LoginAttempt.subject_key == subject)):
            row.created_at = datetime.now(UTC) - timedelta(seconds=strict.settings.login_window_seconds + 1)
    r = await client(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug})
    assert not r.get("errors"), r


async def test_expired_access_token(gql, runtime, new_tenant):
    t = await new_tenant()
    claims = jwt.decode(t.token, options={"verify_signature": False})
    claims["exp"] = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
    expired = jwt.encode(claims, runtime.settings.secret_key, algorithm="HS256")
    r = await gql("{ me { username } }", token=expired)
    assert codes(r) == ["UNAUTHENTICATED"], r
    assert "expired" in r["errors"][0]["message"]


async def test_refresh_rotation_and_reuse_detection(gql, new_tenant):
    t = await new_tenant()
    first = (await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug}))["data"]["login"]["refreshToken"]
    other_session = (await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug}))["data"]["login"]["refreshToken"]
    r = await gql(REFRESH, {"r": first})
    assert not r.get("errors"), r
    second = r["data"]["refreshToken"]["refreshToken"]
    assert second != first
    r = await gql("{ me { username } }", token=r["data"]["refreshToken"]["accessToken"])
    assert r["data"]["me"]["username"] == t.admin
    # replaying the rotated token: refused, and the whole family is revoked
    r = await gql(REFRESH, {"r": first})
    assert codes(r) == ["UNAUTHENTICATED"] and "already used" in r["errors"][0]["message"], r
    for token in (second, other_session):
        r = await gql(REFRESH, {"r": token})
        assert codes(r) == ["UNAUTHENTICATED"], r
    r = await gql(REFRESH, {"r": "made-up"})
    assert codes(r) == ["UNAUTHENTICATED"], r


async def test_api_key_create_use_revoke(gql, runtime, new_tenant):
    t = await new_tenant()
    r = await gql('mutation { createApiKey(name: "erp", role: "property_staff") { id role secret } }', token=t.token)
    created = r["data"]["createApiKey"]
    key = created["secret"]
    assert key.startswith(f"lk.{t.tenant_id.hex}.")
    async with runtime.db.tenant(t.tenant_id) as s:
        row = await s.scalar(select(ApiKey))
        assert key.split(".", 3)[3] not in (row.secret_hash, row.prefix)  # only a digest is stored
    headers = {"x-api-key": key}
    r = await gql('mutation { createCommunity(code: "K1", name: "接口社区") { name } }', headers=headers)
    assert r["data"] == {"createCommunity": {"name": "接口社区"}}, r
    # the key acts as its role only: property staff cannot mint keys or hand out roles
    r = await gql('mutation { createApiKey(name: "x", role: "tenant_admin") { id } }', headers=headers)
    assert codes(r) == ["FORBIDDEN"], r
    r = await gql("{ me { username } }", headers=headers)
    assert codes(r) == ["NOT_FOUND"], r
    r = await gql('mutation { createApiKey(name: "x", role: "wizard") { id } }', token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"], r
    # a wrong secret with a real prefix
    lk, tenant_hex, prefix, _secret = key.split(".", 3)
    r = await gql("{ unitCount }", headers={"x-api-key": f"{lk}.{tenant_hex}.{prefix}.wrong"})
    assert codes(r) == ["UNAUTHENTICATED"], r
    other = await new_tenant()
    r = await gql("mutation($id: ID!) { revokeApiKey(id: $id) }", {"id": created["id"]}, token=other.token)
    assert codes(r) == ["NOT_FOUND"], r  # another tenant cannot revoke (or see) it
    r = await gql("{ unitCount }", headers=headers)
    assert not r.get("errors"), r
    r = await gql('mutation { revokeApiKey(id: "not-a-uuid") }', token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"], r
    r = await gql("mutation($id: ID!) { revokeApiKey(id: $id) }", {"id": created["id"]}, token=t.token)
    assert r["data"] == {"revokeApiKey": True}, r
    r = await gql("{ unitCount }", headers=headers)
    assert codes(r) == ["UNAUTHENTICATED"], r
    for malformed in ("lk.nothex.a.b", "xx.y", ""):
        r = await gql("{ unitCount }", headers={"x-api-key": malformed})
        assert set(codes(r)) == {"UNAUTHENTICATED"}, (malformed, r)


@pytest.mark.parametrize("role", ["owner", "resident"])
async def test_roles_via_assign_role(gql, runtime, new_tenant, role):
    t = await new_tenant()
    username = f"{t.slug}-{role}"
    await add_account(runtime, username, t.tenant_id)
    # an account of the tenant without a role logs in and may do nothing
    r = await gql(LOGIN, {"u": username, "p": PASSWORD, "t": t.slug})
    assert not r.get("errors"), r
    r = await gql("{ me { roles } members { username } }", token=r["data"]["login"]["accessToken"])
    assert r["data"] is None or r["data"].get("members") is None, r
    assert "FORBIDDEN" in codes(r), r
    r = await gql("mutation($u: String!, $r: String!) { assignRole(username: $u, role: $r) { role } }", {"u": username, "r": role}, token=t.token)
    assert r["data"] == {"assignRole": {"role": role}}, r
    r = await gql("mutation($u: String!) { assignRole(username: $u, role: \"emperor\") { role } }", {"u": username}, token=t.token)
    assert codes(r) == ["BAD_USER_INPUT"], r
    r = await gql('mutation { assignRole(username: "ghost-account", role: "owner") { role } }', token=t.token)
    assert codes(r) == ["NOT_FOUND"], r
    token = await gql.login(username, PASSWORD, t.slug)
    r = await gql("{ me { roles } }", token=token)
    assert r["data"]["me"]["roles"] == [role]
    for mutation in (
        'mutation { createCommunity(code: "R1", name: "越权") { id } }',
        'mutation { createApiKey(name: "k", role: "tenant_admin") { id } }',
        'mutation { assignRole(username: "%s", role: "tenant_admin") { role } }' % username,  # noqa: UP031
    ):
        r = await gql(mutation, token=token)
        assert codes(r) == ["FORBIDDEN"] and r["data"] is None, r
    r = await gql("{ communities { edges { node { name } } } members { username } }", token=token)
    assert set(codes(r)) == {"FORBIDDEN"}, r
    # the admin's view of members shows the new role
    r = await gql("{ members { username role } }", token=t.token)
    assert {"username": username, "role": role} in r["data"]["members"]


async def test_staff_role_can_write_the_estate(gql, runtime, new_tenant):
    t = await new_tenant()
    username = f"{t.slug}-staff"
    await add_account(runtime, username, t.tenant_id)
    await gql('mutation { assignRole(username: "%s", role: "property_staff") { role } }' % username, token=t.token)  # noqa: UP031
    token = await gql.login(username, PASSWORD, t.slug)
    r = await gql('mutation { createCommunity(code: "S1", name: "员工社区") { name } }', token=token)
    assert r["data"] == {"createCommunity": {"name": "员工社区"}}, r
