"""Adversarial isolation of people: firm A's admin goes after firm B's accounts, usernames and
members. A foreign name or id must answer exactly like one that does not exist, and write nothing."""

from __future__ import annotations

import uuid

import pytest
from fixtures.estates import PASSWORD, fast_passwords  # noqa: F401 - fixture

from kernel.errors import NotFound
from kernel.identity import service as identity
from kernel.identity.members import require_member

pytestmark = pytest.mark.usefixtures("fast_passwords")

LOGIN = "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }"
ASSIGN = "mutation($u: String!, $r: String!) { assignRole(username: $u, role: $r) { accountId username role } }"


def codes(result: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]


def error(result: dict, *names: str) -> tuple[str, str, dict]:
    """(code, message with the names blanked, extensions without the code) of the only error."""
    (e,) = result["errors"]
    message = e["message"]
    for n in names:
        message = message.replace(n, "<name>")
    ext = {k: v for k, v in e.get("extensions", {}).items() if k != "code"}
    return e["extensions"]["code"], message, ext


async def _me(gql, token: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    r = await gql("{ me { accountId } }", token=token)
    return uuid.UUID(r["data"]["me"]["accountId"])


async def test_assign_role_with_a_foreign_username_is_like_an_unknown_one(gql, new_tenant):
    a, b = await new_tenant("acca"), await new_tenant("accb")
    b_id = await _me(gql, b.token)
    foreign = await gql(ASSIGN, {"u": b.admin, "r": "owner"}, token=a.token)
    unknown = await gql(ASSIGN, {"u": f"{a.slug}-ghost", "r": "owner"}, token=a.token)
    assert foreign["data"] is None and str(b_id) not in str(foreign), foreign
    assert error(foreign, b.admin) == error(unknown, f"{a.slug}-ghost") == ("NOT_FOUND", "no account '<name>' in this property firm", {"field": "username"})
    # nothing happened in either firm: B's admin gained no role in A, A's members are A's
    r = await gql("{ members { username roles } }", token=a.token)
    assert [m["username"] for m in r["data"]["members"]] == [a.admin], r
    r = await gql("{ me { roles } }", token=b.token)
    assert r["data"]["me"]["roles"] == ["tenant_admin"]


async def test_login_names_the_firm_and_a_foreign_username_is_like_an_unknown_one(gql, new_tenant):
    a, b = await new_tenant("logina"), await new_tenant("loginb")
    foreign = await gql(LOGIN, {"u": b.admin, "p": PASSWORD, "t": a.slug})  # B's admin, right password, firm A
    unknown = await gql(LOGIN, {"u": f"{a.slug}-nobody", "p": PASSWORD, "t": a.slug})
    wrong = await gql(LOGIN, {"u": a.admin, "p": "not the password", "t": a.slug})
    assert error(foreign, b.admin) == error(unknown) == error(wrong) == ("UNAUTHENTICATED", "wrong username or password", {"reason": "bad_credentials"})
    # a tenant login without the firm: the same answer (it does not say the username exists somewhere)
    r = await gql(LOGIN, {"u": a.admin, "p": PASSWORD, "t": None})
    assert codes(r) == ["UNAUTHENTICATED"] and r["errors"][0]["extensions"]["reason"] == "bad_credentials", r
    r = await gql(LOGIN, {"u": "nobody-anywhere", "p": PASSWORD, "t": None})
    assert error(r) == error(await gql(LOGIN, {"u": a.admin, "p": PASSWORD, "t": None}))
    # an unknown firm is named as such
    r = await gql(LOGIN, {"u": a.admin, "p": PASSWORD, "t": "no-such-firm"})
    assert codes(r) == ["UNAUTHENTICATED"] and r["errors"][0]["extensions"]["reason"] == "unknown_tenant", r
    assert "no-such-firm" in r["errors"][0]["message"]


async def test_the_same_username_in_two_firms_is_two_people(gql, runtime, new_tenant):
    a, b = await new_tenant("samea"), await new_tenant("sameb")
    ids = {}
    for t, password in ((a, "password of a 1"), (b, "password of b 2")):
        async with runtime.db.tenant(t.tenant_id) as s:
            ids[t.slug] = (await identity.create_account(s, "zhang.san", password, "张三")).id
    assert ids[a.slug] != ids[b.slug]
    token_a = await gql.login("zhang.san", "password of a 1", a.slug)
    assert await _me(gql, token_a) == ids[a.slug]
    r = await gql(LOGIN, {"u": "zhang.san", "p": "password of a 1", "t": b.slug})
    assert codes(r) == ["UNAUTHENTICATED"], r
    # unique inside one firm
    async with runtime.db.tenant(a.tenant_id) as s:
        with pytest.raises(Exception) as info:
            await identity.create_account(s, "zhang.san", "another password", "张三二")
        assert getattr(info.value, "code", None) == "CONFLICT"


async def test_account_ids_of_another_firm_are_not_found(gql, runtime, new_tenant):
    a, b = await new_tenant("ida"), await new_tenant("idb")
    b_id = await _me(gql, b.token)
    a_id = await _me(gql, a.token)
    async with runtime.db.tenant(a.tenant_id) as s:
        assert (await require_member(s, a_id)).id == a_id
        for foreign_or_unknown in (b_id, uuid.uuid4()):
            with pytest.raises(NotFound) as info:
                await require_member(s, foreign_or_unknown)
            assert info.value.message == f"no account {foreign_or_unknown} in this property firm"
    r = await gql('mutation { enablePlugin(name: "workorders") { enabled } }', token=a.token)
    assert not r.get("errors"), r
    upsert = "mutation($a: ID!) { upsertTechnician(accountId: $a, name: \"师傅\", skills: [\"plumbing\"]) { name } }"
    for foreign_or_unknown in (b_id, uuid.uuid4()):
        r = await gql(upsert, {"a": str(foreign_or_unknown)}, token=a.token)
        assert error(r, str(foreign_or_unknown)) == ("NOT_FOUND", "no account <name> in this property firm", {"field": "accountId"}), r
    r = await gql(upsert, {"a": str(a_id)}, token=a.token)
    assert r["data"] == {"upsertTechnician": {"name": "师傅"}}, r


async def test_a_phone_invited_by_another_firm_is_invisible(gql, new_tenant):
    a, b = await new_tenant("pha"), await new_tenant("phb")
    invite = "mutation($p: String!) { inviteMember(phone: $p, roles: [\"owner\"]) { code invitation { id status } } }"
    rb = await gql(invite, {"p": "13900139000"}, token=b.token)
    assert not rb.get("errors"), rb
    # A invites the same phone: no conflict, no hint; B's invitation stays open
    ra = await gql(invite, {"p": "13900139000"}, token=a.token)
    assert not ra.get("errors") and ra["data"]["inviteMember"]["invitation"]["status"] == "open", ra
    r = await gql("{ invitations { id status } }", token=b.token)
    assert r["data"]["invitations"] == [{"id": rb["data"]["inviteMember"]["invitation"]["id"], "status": "open"}]
    r = await gql("{ invitations { id } }", token=a.token)
    assert [i["id"] for i in r["data"]["invitations"]] == [ra["data"]["inviteMember"]["invitation"]["id"]]
