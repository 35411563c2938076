"""Staff onboarding end to end: invite (by e-mail over real SMTP, by phone), accept, roles,
deactivate (everything the person holds stops at once), reactivate, CSV, and bad input."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fixtures.estates import PASSWORD, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select, update

from kernel.db.base import utcnow
from kernel.identity.models import Account, Invitation
from kernel.notifications.testing import MailSink

pytestmark = pytest.mark.usefixtures("fast_passwords")

INVITE = """mutation($roles: [String!]!, $phone: String, $email: String, $name: String!, $locale: String!) {
  inviteMember(roles: $roles, phone: $phone, email: $email, displayName: $name, locale: $locale) {
    code link invitation { id channel contactMasked roles status expiresAt } } }"""
ACCEPT = """mutation($t: String!, $c: String!, $u: String!, $p: String!) {
  acceptInvitation(tenant: $t, code: $c, username: $u, password: $p) { accessToken refreshToken } }"""
ME = "{ me { accountId username roles } }"


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


async def test_invite_accept_roles_deactivate_reactivate(make_runtime, gql_factory, new_tenant):
    async with MailSink() as mail:
        runtime = make_runtime(smtp_host=mail.host, smtp_port=mail.port, public_url="https://linli.example.com")
        gql = gql_factory(runtime)
        t = await new_tenant("onb")
        t.token = await gql.login(t.admin, PASSWORD, t.slug)
        inv = ok(await gql(INVITE, {"roles": ["property_staff"], "email": "Li.Lei@Example.com", "name": "李雷", "locale": "en"}, token=t.token))["inviteMember"]
        assert inv["invitation"]["contactMasked"] == "l***@example.com" and inv["invitation"]["status"] == "open"
        assert inv["link"] == f"https://linli.example.com/join?tenant={t.slug}&code={inv['code']}"
        async with runtime.db.tenant(t.tenant_id) as s:
            row = await s.scalar(select(Invitation))
            assert inv["code"] not in (row.code_hash, row.contact_enc) and "example.com" not in row.contact_enc  # hashed, encrypted
            assert abs(row.expires_at - row.created_at - timedelta(hours=72)) < timedelta(seconds=5)
        await runtime.outbox.drain(t.tenant_id)
        await mail.wait_for(1)
        assert mail.messages[0]["To"] == "li.lei@example.com" and inv["code"] in mail.messages[0].get_content()

        # the person accepts with the code from the e-mail and lands in the firm
        mailed = re.search(r"Invitation code: (\S+)", mail.messages[0].get_content()).group(1)
        r = ok(await gql(ACCEPT, {"t": t.slug, "c": mailed, "u": "li.lei", "p": "li lei's own password"}))
        staff_token = r["acceptInvitation"]["accessToken"]
        me = ok(await gql(ME, token=staff_token))["me"]
        assert me["username"] == "li.lei" and me["roles"] == ["property_staff"]
        staff_id = me["accountId"]
        # single use
        r = await gql(ACCEPT, {"t": t.slug, "c": mailed, "u": "li.lei2", "p": "another password 1"})
        assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "accepted", r
        assert ok(await gql("{ invitations { status } }", token=t.token))["invitations"] == [{"status": "accepted"}]

        # roles change
        r = ok(await gql("mutation($a: ID!) { setMemberRoles(accountId: $a, roles: [\"technician\", \"grid_worker\"]) { roles active } }", {"a": staff_id}, token=t.token))
        assert r["setMemberRoles"] == {"roles": ["grid_worker", "technician"], "active": True}

        # what the person holds: an access token, a refresh token, a second login, an API key of theirs
        second = ok(await gql.__call__("mutation { login(username: \"li.lei\", password: \"li lei's own password\", tenant: \"%s\") { accessToken refreshToken } }" % t.slug))["login"]  # noqa: UP031
        ok(await gql("mutation($a: ID!) { setMemberRoles(accountId: $a, roles: [\"tenant_admin\"]) { roles } }", {"a": staff_id}, token=t.token))
        key = ok(await gql('mutation { createApiKey(name: "li-erp", role: "auditor") { secret } }', token=second["accessToken"]))["createApiKey"]["secret"]
        assert ok(await gql("{ unitCount }", headers={"x-api-key": key}))

        r = ok(await gql("mutation($a: ID!) { deactivateMember(accountId: $a) { active } }", {"a": staff_id}, token=t.token))
        assert r["deactivateMember"] == {"active": False}
        for token in (staff_token, second["accessToken"]):
            r = await gql(ME, token=token)
            assert code(r) == "UNAUTHENTICATED", r
        for refresh in (r_ := second["refreshToken"],):
            assert code(await gql("mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }", {"r": refresh})) == "UNAUTHENTICATED", r_
        assert code(await gql("{ unitCount }", headers={"x-api-key": key})) == "UNAUTHENTICATED"
        r = await gql("mutation { login(username: \"li.lei\", password: \"li lei's own password\", tenant: \"%s\") { accessToken } }" % t.slug)  # noqa: UP031
        assert code(r) == "UNAUTHENTICATED" and r["errors"][0]["extensions"]["reason"] == "deactivated", r

        # reactivated: logs in again; the old tokens and key stay dead
        ok(await gql("mutation($a: ID!) { reactivateMember(accountId: $a) { active } }", {"a": staff_id}, token=t.token))
        fresh = await gql.login("li.lei", "li lei's own password", t.slug)
        assert ok(await gql(ME, token=fresh))["me"]["username"] == "li.lei"
        assert code(await gql(ME, token=staff_token)) == "UNAUTHENTICATED"
        assert code(await gql("{ unitCount }", headers={"x-api-key": key})) == "UNAUTHENTICATED"


async def test_bad_invitations_and_codes(gql, runtime, new_tenant):
    a, b = await new_tenant("bada"), await new_tenant("badb")
    for variables, field in (
        ({"roles": ["owner"], "phone": "12345"}, "phone"),
        ({"roles": ["owner"], "email": "not-an-address"}, "email"),
        ({"roles": ["owner"], "phone": "13800138000", "email": "x@example.com"}, "phone"),
        ({"roles": ["owner"]}, "phone"),
        ({"roles": ["emperor"], "phone": "13800138000"}, "roles"),
        ({"roles": [], "phone": "13800138000"}, "roles"),
        ({"roles": ["owner"], "phone": "13800138000", "locale": "fr"}, "locale"),
    ):
        r = await gql(INVITE, {"name": "", "locale": "zh-CN", **variables}, token=a.token)
        assert code(r) == "BAD_USER_INPUT" and r["errors"][0]["extensions"]["field"] == field, (variables, r)
    assert ok(await gql("{ invitations { id } }", token=a.token))["invitations"] == []

    inv_b = ok(await gql(INVITE, {"roles": ["owner"], "phone": "13800138001", "name": "", "locale": "zh-CN"}, token=b.token))["inviteMember"]
    # B's code presented at A: exactly like an unknown code; and A cannot see or revoke B's invitation
    foreign = await gql(ACCEPT, {"t": a.slug, "c": inv_b["code"], "u": "taker", "p": "a good password 1"})
    unknown = await gql(ACCEPT, {"t": a.slug, "c": "made-up-code", "u": "taker", "p": "a good password 1"})
    assert [foreign["errors"][0]["message"], code(foreign)] == [unknown["errors"][0]["message"], "NOT_FOUND"]
    r = await gql("mutation($id: ID!) { revokeInvitation(id: $id) { status } }", {"id": inv_b["invitation"]["id"]}, token=a.token)
    assert code(r) == "NOT_FOUND", r
    assert ok(await gql("{ invitations { id } }", token=a.token))["invitations"] == []
    # A's admin cannot deactivate or re-role B's people, nor learn they exist
    b_admin = ok(await gql(ME, token=b.token))["me"]["accountId"]
    for mutation in ("deactivateMember(accountId: $a) { active }", "reactivateMember(accountId: $a) { active }", "setMemberRoles(accountId: $a, roles: [\"owner\"]) { roles }"):
        for target in (b_admin, str(uuid.uuid4())):
            r = await gql(f"mutation($a: ID!) {{ {mutation} }}", {"a": target}, token=a.token)
            assert code(r) == "NOT_FOUND" and r["errors"][0]["message"] == f"no account {target} in this property firm", r
    # an expired code
    inv = ok(await gql(INVITE, {"roles": ["owner"], "phone": "13800138002", "name": "", "locale": "zh-CN"}, token=b.token))["inviteMember"]
    async with runtime.db.tenant(b.tenant_id) as s:
        await s.execute(update(Invitation).where(Invitation.id == uuid.UUID(inv["invitation"]["id"])).values(expires_at=utcnow() - timedelta(minutes=1)))
    r = await gql(ACCEPT, {"t": b.slug, "c": inv["code"], "u": "late", "p": "a good password 1"})
    assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "expired", r
    # a revoked code; a weak password or taken username writes nothing
    inv = ok(await gql(INVITE, {"roles": ["owner"], "phone": "13800138003", "name": "", "locale": "zh-CN"}, token=b.token))["inviteMember"]
    r = await gql(ACCEPT, {"t": b.slug, "c": inv["code"], "u": b.admin, "p": "a good password 1"})
    assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["field"] == "username", r
    r = await gql(ACCEPT, {"t": b.slug, "c": inv["code"], "u": "newbie", "p": "short"})
    assert code(r) == "BAD_USER_INPUT", r
    ok(await gql("mutation($id: ID!) { revokeInvitation(id: $id) { status } }", {"id": inv["invitation"]["id"]}, token=b.token))
    r = await gql(ACCEPT, {"t": b.slug, "c": inv["code"], "u": "newbie", "p": "a good password 1"})
    assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "revoked", r
    async with runtime.db.tenant(b.tenant_id) as s:
        assert (await s.scalars(select(Account.username))).all() == [b.admin]
    # the last admin cannot be deactivated or lose the role; nobody deactivates themself
    r = await gql("mutation($a: ID!) { deactivateMember(accountId: $a) { active } }", {"a": b_admin}, token=b.token)
    assert code(r) == "CONFLICT", r
    r = await gql("mutation($a: ID!) { setMemberRoles(accountId: $a, roles: [\"owner\"]) { roles } }", {"a": b_admin}, token=b.token)
    assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "last_admin", r


async def test_bulk_invitations_from_csv_are_all_or_nothing(gql, new_tenant):
    t = await new_tenant("csv")
    bad = "phone,email,roles,display_name\n13800138000,,owner,张三\n,wrong,owner,李四\n13800138000,,staff,王五\n,x@example.com,,赵六\n"
    r = ok(await gql("mutation($c: String!) { inviteMembersCsv(csv: $c) { ok invited { code } errors { line column message } errorReport } }", {"c": bad}, token=t.token))["inviteMembersCsv"]
    assert not r["ok"] and r["invited"] == []
    assert [(e["line"], e["column"]) for e in r["errors"]] == [(3, "email"), (4, "roles"), (5, "roles")]
    assert r["errorReport"].splitlines()[0] == "line,column,error"
    assert ok(await gql("{ invitations { id } }", token=t.token))["invitations"] == []
    good = "\ufeffphone,email,roles,display_name\n13800138000,,owner;resident,张三\n,li@example.com,property_staff,李四\n"
    r = ok(await gql("mutation($c: String!) { inviteMembersCsv(csv: $c) { ok invited { code invitation { roles contactMasked } } errors { line } } }", {"c": good}, token=t.token))["inviteMembersCsv"]
    assert r["ok"] and [i["invitation"]["contactMasked"] for i in r["invited"]] == ["138****8000", "l***@example.com"]
    assert r["invited"][0]["invitation"]["roles"] == ["owner", "resident"]
    r = ok(await gql(ACCEPT, {"t": t.slug, "c": r["invited"][0]["code"], "u": "zhangsan", "p": "zhang's password 1"}))
    me = ok(await gql(ME, token=r["acceptInvitation"]["accessToken"]))["me"]
    assert sorted(me["roles"]) == ["owner", "resident"]


async def test_my_sessions_list_and_revoke(gql, new_tenant):
    t = await new_tenant("sess")
    other = await gql.login(t.admin, PASSWORD, t.slug)
    sessions = ok(await gql("{ mySessions { id current userAgent ipMasked } }", token=t.token))["mySessions"]
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    assert {s["ipMasked"] for s in sessions} == {"127.0.0.x"}
    not_current = next(s["id"] for s in sessions if not s["current"])
    assert ok(await gql("mutation($id: ID!) { revokeSession(id: $id) }", {"id": not_current}, token=t.token))["revokeSession"] is True
    assert code(await gql(ME, token=other)) == "UNAUTHENTICATED"
    assert ok(await gql(ME, token=t.token))["me"]["username"] == t.admin
    r = await gql("mutation($id: ID!) { revokeSession(id: $id) }", {"id": str(uuid.uuid4())}, token=t.token)
    assert code(r) == "NOT_FOUND", r


async def test_password_policy_on_accepting(gql, new_tenant):
    t = await new_tenant("pwp")
    inv = ok(await gql(INVITE, {"roles": ["owner"], "phone": "13800138009", "name": "", "locale": "zh-CN"}, token=t.token))["inviteMember"]
    for username, password, message in (
        ("wangwu", "short", "at least 8 characters"),
        ("wangwu", "Password1", "most common"),
        ("wangwu", "woaini1314", "most common"),
        ("wangwu2026", "WangWu2026", "cannot be the username"),
        ("wangwu", "x" * 300, "at most 256"),
    ):
        r = await gql(ACCEPT, {"t": t.slug, "c": inv["code"], "u": username, "p": password})
        assert code(r) == "BAD_USER_INPUT" and message in r["errors"][0]["message"], (password, r)
        assert r["errors"][0]["extensions"]["field"] == "password"
    # the code survived the refusals (nothing was written)
    r = ok(await gql(ACCEPT, {"t": t.slug, "c": inv["code"], "u": "wangwu", "p": "a sentence nobody guesses"}))
    assert r["acceptInvitation"]["accessToken"]


async def test_password_reset_by_a_code_sent_to_the_person(make_runtime, gql_factory, new_tenant):
    ask = "mutation($t: String!, $u: String!) { requestPasswordReset(tenant: $t, username: $u, locale: \"en\") }"
    reset = "mutation($t: String!, $u: String!, $c: String!, $p: String!) { resetPassword(tenant: $t, username: $u, code: $c, newPassword: $p) }"
    async with MailSink() as mail:
        runtime = make_runtime(smtp_host=mail.host, smtp_port=mail.port, login_max_failures=8)
        gql = gql_factory(runtime)
        t = await new_tenant("reset")
        t.token = await gql.login(t.admin, PASSWORD, t.slug)
        inv = ok(await gql(INVITE, {"roles": ["property_staff"], "email": "han.mei@example.com", "name": "", "locale": "en"}, token=t.token))["inviteMember"]
        session = ok(await gql(ACCEPT, {"t": t.slug, "c": inv["code"], "u": "han.mei", "p": "han mei's first password"}))["acceptInvitation"]["accessToken"]
        await runtime.outbox.drain(t.tenant_id)
        await mail.wait_for(1)
        # an unknown username gets the same answer, and nothing is sent
        assert ok(await gql(ask, {"t": t.slug, "u": "nobody-here"})) == {"requestPasswordReset": True}
        assert ok(await gql(ask, {"t": t.slug, "u": "han.mei"})) == {"requestPasswordReset": True}
        await runtime.outbox.drain(t.tenant_id)
        await mail.wait_for(2)
        assert len(mail.messages) == 2 and mail.messages[1]["To"] == "han.mei@example.com"
        sent = re.search(r"reset code is (\d{8})", mail.messages[1].get_content()).group(1)
        wrong = "00000000" if sent != "00000000" else "11111111"
        r = await gql(reset, {"t": t.slug, "u": "han.mei", "c": wrong, "p": "han mei's new password"})
        assert code(r) == "UNAUTHENTICATED" and r["errors"][0]["extensions"]["reason"] == "bad_reset_code", r
        r = await gql(reset, {"t": t.slug, "u": "han.mei", "c": sent, "p": "password1"})
        assert code(r) == "BAD_USER_INPUT", r  # the policy applies; the code is not used up
        assert ok(await gql(reset, {"t": t.slug, "u": "han.mei", "c": sent, "p": "han mei's new password"})) == {"resetPassword": True}
        assert code(await gql(ME, token=session)) == "UNAUTHENTICATED"  # signed out everywhere
        assert await gql.login("han.mei", "han mei's new password", t.slug)
        r = await gql("mutation { login(username: \"han.mei\", password: \"han mei's first password\", tenant: \"%s\") { accessToken } }" % t.slug)  # noqa: UP031
        assert code(r) == "UNAUTHENTICATED"
        # used once
        r = await gql(reset, {"t": t.slug, "u": "han.mei", "c": sent, "p": "yet another password"})
        assert code(r) == "UNAUTHENTICATED", r
        # five wrong tries burn a code
        ok(await gql(ask, {"t": t.slug, "u": "han.mei"}))
        await runtime.outbox.drain(t.tenant_id)
        await mail.wait_for(3)
        fresh = re.search(r"reset code is (\d{8})", mail.messages[2].get_content()).group(1)
        for _ in range(5):
            await gql(reset, {"t": t.slug, "u": "han.mei", "c": "0" * 8 if fresh != "0" * 8 else "1" * 8, "p": "yet another password"})
        r = await gql(reset, {"t": t.slug, "u": "han.mei", "c": fresh, "p": "yet another password"})
        assert code(r) in ("UNAUTHENTICATED", "RATE_LIMITED"), r
