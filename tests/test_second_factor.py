"""The second factor: enrolment forced at login for the required roles, TOTP and recovery codes
at login, optional enrolment for others, platform accounts, and the throttle on code guessing."""

from __future__ import annotations

import uuid

import pyotp
import pytest
from fixtures.estates import PASSWORD, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select

from kernel.identity.models import Account
from kernel.identity.platform import create_platform_account
from kernel.testing import totp_code

pytestmark = pytest.mark.usefixtures("fast_passwords")

LOGIN = """mutation($u: String!, $p: String!, $t: String, $f: String) {
  login(username: $u, password: $p, tenant: $t, secondFactor: $f) { accessToken } }"""
ENROL = "mutation($e: String) { enrolTotp(enrolmentToken: $e) { secret otpauthUri } }"
CONFIRM = "mutation($c: String!, $e: String) { confirmTotp(code: $c, enrolmentToken: $e) { recoveryCodes auth { accessToken } } }"


def err(result: dict) -> tuple[str | None, str | None]:
    errors = result.get("errors") or []
    if not errors:
        return None, None
    ext = errors[0].get("extensions", {})
    return ext.get("code"), ext.get("reason")


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


async def test_admins_enrol_at_first_login_then_need_the_code(make_runtime, gql_factory, new_tenant):
    t = await new_tenant("tfa")
    runtime = make_runtime(second_factor_roles=["tenant_admin"])
    gql = gql_factory(runtime)
    login = {"u": t.admin, "p": PASSWORD, "t": t.slug}
    r = await gql(LOGIN, login)
    assert err(r) == ("UNAUTHENTICATED", "second_factor_enrolment_required") and r["data"] is None, r
    token = r["errors"][0]["extensions"]["enrolmentToken"]
    enrolment = ok(await gql(ENROL, {"e": token}))["enrolTotp"]
    assert enrolment["otpauthUri"].startswith("otpauth://totp/") and "issuer=Linli" in enrolment["otpauthUri"]
    totp = pyotp.TOTP(enrolment["secret"])
    assert err(await gql(CONFIRM, {"c": "000000" if totp.now() != "000000" else "111111", "e": token})) == ("BAD_USER_INPUT", None)
    confirmed = ok(await gql(CONFIRM, {"c": totp_code(enrolment["secret"]), "e": token}))["confirmTotp"]
    codes = confirmed["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert ok(await gql("{ me { username } }", token=confirmed["auth"]["accessToken"]))["me"]["username"] == t.admin
    async with runtime.db.tenant(t.tenant_id) as s:
        account = await s.scalar(select(Account).where(Account.username == t.admin))
        assert enrolment["secret"] not in (account.totp_secret_enc or "") and not set(codes) & set(account.recovery_hashes)
    assert err(await gql(ENROL, {"e": token})) == ("CONFLICT", "enrolled")
    # from now on: the code, or a recovery code once
    assert err(await gql(LOGIN, login)) == ("UNAUTHENTICATED", "second_factor_required")
    assert err(await gql(LOGIN, {**login, "f": "123 456" if totp.now() != "123456" else "654321"})) == ("UNAUTHENTICATED", "bad_second_factor")
    code = totp_code(enrolment["secret"])
    assert ok(await gql(LOGIN, {**login, "f": code}))["login"]["accessToken"]
    # each code logs in once: replayed (or read over a shoulder), it is refused
    assert err(await gql(LOGIN, {**login, "f": code})) == ("UNAUTHENTICATED", "second_factor_reused")
    assert ok(await gql(LOGIN, {**login, "f": codes[0].lower()}))["login"]["accessToken"]
    assert err(await gql(LOGIN, {**login, "f": codes[0]})) == ("UNAUTHENTICATED", "bad_second_factor")
    assert ok(await gql(LOGIN, {**login, "f": codes[1]}))["login"]["accessToken"]
    # a forged or foreign enrolment token enrols nothing
    assert err(await gql(ENROL, {"e": "not-a-token"})) == ("UNAUTHENTICATED", "bad_enrolment_token")
    assert err(await gql(ENROL, {"e": None})) == ("UNAUTHENTICATED", None)


async def test_second_factor_is_optional_for_staff_and_guessing_codes_is_throttled(make_runtime, gql_factory, new_tenant, runtime):
    from kernel.testing import add_member

    t = await new_tenant("tfb")
    strict = make_runtime(second_factor_roles=["tenant_admin"], login_max_failures=3)
    gql = gql_factory(strict)
    username = f"{t.slug}-staff"
    await add_member(runtime, t.tenant_id, username, PASSWORD, "property_staff")
    login = {"u": username, "p": PASSWORD, "t": t.slug}
    staff = ok(await gql(LOGIN, login))["login"]["accessToken"]  # not required for staff
    secret = ok(await gql(ENROL, {}, token=staff))["enrolTotp"]["secret"]
    confirmed = ok(await gql(CONFIRM, {"c": totp_code(secret)}, token=staff))["confirmTotp"]
    assert confirmed["auth"] is None and len(confirmed["recoveryCodes"]) == 10
    assert err(await gql(LOGIN, login)) == ("UNAUTHENTICATED", "second_factor_required")
    # someone with the password guesses codes: three wrong ones, asking again in between does not reset the count
    for guess in ("000001", "000002"):
        assert err(await gql(LOGIN, {**login, "f": guess}))[1] in ("bad_second_factor", None)
        assert err(await gql(LOGIN, login)) == ("UNAUTHENTICATED", "second_factor_required")
    assert err(await gql(LOGIN, {**login, "f": "000003"}))[1] == "bad_second_factor"
    assert err(await gql(LOGIN, {**login, "f": pyotp.TOTP(secret).now()})) == ("RATE_LIMITED", None)


async def test_a_regulator_enrols_and_logs_in_without_a_tenant(make_runtime, gql_factory):
    runtime = make_runtime(second_factor_roles=["regulator"])
    gql = gql_factory(runtime)
    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        await create_platform_account(s, username, PASSWORD, "街道办", regulator_street_code="S-2FA")
    r = await gql(LOGIN, {"u": username, "p": PASSWORD, "t": None})
    assert err(r) == ("UNAUTHENTICATED", "second_factor_enrolment_required"), r
    token = r["errors"][0]["extensions"]["enrolmentToken"]
    secret = ok(await gql(ENROL, {"e": token}))["enrolTotp"]["secret"]
    auth = ok(await gql(CONFIRM, {"c": totp_code(secret), "e": token}))["confirmTotp"]["auth"]
    r = await gql("{ streetFilings { title } }", token=auth["accessToken"])
    assert not r.get("errors"), r
    assert err(await gql(LOGIN, {"u": username, "p": PASSWORD, "t": None})) == ("UNAUTHENTICATED", "second_factor_required")
    assert ok(await gql(LOGIN, {"u": username, "p": PASSWORD, "t": None, "f": totp_code(secret)}))["login"]["accessToken"]
