"""Log scan (issue #14 item 5): no seeded phone number, ID number, name, password or token in any
log line, and no traceback for a coded user error.

Scenarios run through GraphQL the way clients send them — failing requests with literals inline
(the query text is logged in outline when a request fails), successful ones with variables, a login
with a wrong password, a refresh with a forged token, a document that does not parse — and
everything the process wrote to its log streams is scanned afterwards.
"""

from __future__ import annotations

import pytest
from fixtures.estates import fast_passwords  # noqa: F401 - fixture

from kernel.sdk.testing import PASSWORD as ADMIN_PASSWORD
from kernel.testing import unique_slug

pytestmark = pytest.mark.usefixtures("fast_passwords")

NAME = "欧阳锋"
PHONE = "13712345678"
ID_NUMBER = "11010119900307001X"
PASSWORD = "Tangerine-Sky-4471!"
OTHER_NAME = "黄药师"


def _coded(result: dict) -> list[str]:
    errors = result.get("errors") or []
    assert errors, result
    return [e["extensions"]["code"] for e in errors]


async def test_logs_hold_no_personal_data_or_secret(runtime, gql, tenant, capfd) -> None:  # type: ignore[no-untyped-def]
    created = await gql(
        'mutation { createCommunity(code: "LS1", name: "日志社区") { id } }', token=tenant.token
    )
    assert not created.get("errors"), created
    cid = created["data"]["createCommunity"]["id"]
    compound = await gql(
        f'mutation {{ createCompound(communityId: "{cid}", name: "一期") {{ id }} }}',
        token=tenant.token,
    )
    building = await gql(
        f'mutation {{ createBuilding(compoundId: "{compound["data"]["createCompound"]["id"]}", name: "1幢") {{ id }} }}',
        token=tenant.token,
    )
    unit = await gql(
        'mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "101", registeredArea: 9000}) { id } }',
        {"b": building["data"]["createBuilding"]["id"]},
        token=tenant.token,
    )
    assert not unit.get("errors"), unit
    uid = unit["data"]["createUnit"]["id"]

    # Successful: personal data in variables.
    ok = await gql(
        "mutation($u: ID!, $n: String!, $p: String, $i: String) { registerOwner(unitId: $u, name: $n, phone: $p, idNumber: $i) { name } }",
        {"u": uid, "n": NAME, "p": PHONE, "i": ID_NUMBER},
        token=tenant.token,
    )
    assert not ok.get("errors"), ok
    # Failing, literals inline: a bad share (coded BAD_USER_INPUT) carrying a name, phone and ID number.
    bad = await gql(
        f'mutation {{ registerOwner(unitId: "{uid}", name: "{OTHER_NAME}", phone: "{PHONE}", idNumber: "{ID_NUMBER}", shareBp: 20000) {{ name }} }}',
        token=tenant.token,
    )
    assert "INTERNAL_SERVER_ERROR" not in _coded(bad)
    # A wrong password inline, and one in a document that does not parse.
    wrong = await gql(
        f'mutation {{ login(username: "{tenant.admin}", password: "{PASSWORD}", tenant: "{tenant.slug}") {{ accessToken }} }}'
    )
    assert _coded(wrong) == ["UNAUTHENTICATED"]
    broken = await gql(f'mutation {{ login(username: "x", password: "{PASSWORD}" {{ accessToken }}')
    assert _coded(broken) == ["BAD_USER_INPUT"]
    # A real refresh token, then a forged one inline.
    login = await gql(
        "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { refreshToken accessToken } }",
        {"u": tenant.admin, "p": ADMIN_PASSWORD, "t": tenant.slug},
    )
    assert not login.get("errors"), login
    refresh = login["data"]["login"]["refreshToken"]
    access = login["data"]["login"]["accessToken"]
    forged = await gql(f'mutation {{ refreshToken(refreshToken: "{refresh}x") {{ accessToken }} }}')
    assert "INTERNAL_SERVER_ERROR" not in _coded(forged)
    # An owner claim with personal data inline against a firm that does not exist.
    claim = await gql(
        f'mutation {{ startClaim(firm: "{unique_slug("nofirm")}", unitId: "{uid}", phone: "{PHONE}", name: "{NAME}", '
        f'username: "ouyang", password: "{PASSWORD}") {{ claimId }} }}'
    )
    assert "INTERNAL_SERVER_ERROR" not in _coded(claim)

    out, err = capfd.readouterr()
    logged = out + err
    assert "graphql" in logged or "request" in logged  # the scan reads the real log stream
    for secret in (
        NAME,
        OTHER_NAME,
        PHONE,
        ID_NUMBER,
        PASSWORD,
        ADMIN_PASSWORD,
        refresh,
        access,
        refresh.split(".")[-1],
    ):
        assert secret not in logged, f"{secret!r} appears in the log"
    # coded user errors are summarised in the request's line, never with a traceback
    assert "Traceback" not in logged
