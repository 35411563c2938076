"""Owner and resident claims through GraphQL, with the SMS gateway a real HTTP server: the code goes only to
the phone the register holds; a verified claim creates the login, links it to its person and gives the role;
staff approve from the evidence. Bad input: unknown firm, another firm's unit, a number not in the register
(one answer whatever the register holds), wrong codes (counted, throttled), an expired code, a phone
already claimed, another firm's claim id."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.db.base import utcnow
from kernel.notifications.testing import WebhookReceiver
from tenants.estate import service as estate
from tenants.estate.models import OwnerClaim, Person
from tests.fixtures.estates import fast_passwords  # noqa: F401
from tests.governance.conftest import build_voting_estate, gid

pytestmark = pytest.mark.usefixtures("fast_passwords")

START = """mutation($f: String!, $u: ID!, $p: String!, $n: String!, $user: String!, $pw: String!, $k: ClaimKind!, $v: ClaimVerification!, $ev: String!) {
  startClaim(firm: $f, unitId: $u, phone: $p, name: $n, username: $user, password: $pw, kind: $k, verification: $v, evidence: $ev) {
    claimId verification status codeSentTo expiresAt } }"""
VERIFY = "mutation($f: String!, $c: ID!, $code: String!) { verifyClaim(firm: $f, claimId: $c, code: $code) { status username } }"
QUEUE = """{ pendingClaims(first: 10) { edges { node { id kind verification claimantName phone unitNumber buildingName evidence
  register { personId name phone phoneMatches hasLogin } } } } }"""
APPROVE = "mutation($id: ID!, $p: ID) { approveClaim(id: $id, personId: $p) { status username } }"
REJECT = "mutation($id: ID!, $r: String!) { rejectClaim(id: $id, reason: $r) { status } }"
PASSWORD = "a long claim password"


def code(r: dict) -> str | None:
    return r["errors"][0]["extensions"].get("code") if r.get("errors") else None


def ok(r: dict) -> dict:
    assert not r.get("errors"), r
    return r["data"]


async def test_claims_by_code_and_by_staff(make_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    async with WebhookReceiver() as sms:
        runtime = make_runtime(notify_webhook_url=sms.url, notify_webhook_secret="claims-secret")
        gql = gql_factory(runtime)
        e = await build_voting_estate(runtime, gql, prefix="claim")
        other = await build_voting_estate(runtime, gql, prefix="claim-b")
        async with runtime.db.tenant(e.tenant_id) as s:
            units = {}
            for number in ("u7", "u8"):
                units[number] = (await estate.create_unit(s, building_id=e.buildings[0], number=number, registered_area=9000)).id
            zhang = await estate.register_person(s, runtime.vault, e.tenant_id, name="张七", phone="13900000007")
            wang = await estate.register_person(s, runtime.vault, e.tenant_id, name="王八", phone="13900000009")
            li = await estate.register_person(s, runtime.vault, e.tenant_id, name="李租", phone="13900000008")
            await estate.add_ownership(s, unit_id=units["u7"], person_id=zhang.id)
            await estate.add_ownership(s, unit_id=units["u8"], person_id=wang.id)
            await estate.add_residency(s, unit_id=units["u7"], person_id=li.id, kind="renter")
        u7, u8 = gid("Unit", units["u7"]), gid("Unit", units["u8"])

        def start(unit: str, phone: str, name: str, user: str, *, kind: str = "OWNER", verification: str = "CODE", firm: str = e.slug, evidence: str = ""):  # type: ignore[no-untyped-def]
            return gql(START, {"f": firm, "u": unit, "p": phone, "n": name, "user": user, "pw": PASSWORD, "k": kind, "v": verification, "ev": evidence})

        async def sent_code(phone: str) -> str:
            await runtime.outbox.drain(e.tenant_id)
            body = next(r.json() for r in reversed(sms.requests) if r.json()["to"]["phone"] == phone)
            return re.search(r"\d{6}", body["body"]).group(0)  # type: ignore[union-attr]

        # Unknown firm, another firm's unit, an unknown unit: NOT_FOUND.
        assert code(await start(u7, "13900000007", "张七", "zhang7", firm="no-such-firm")) == "NOT_FOUND"
        assert code(await start(gid("Unit", other.units["u1"]), "13900000007", "张七", "zhang7")) == "NOT_FOUND"
        assert code(await start(gid("Unit", uuid.uuid4()), "13900000007", "张七", "zhang7")) == "NOT_FOUND"
        assert code(await start(u7, "12345", "张七", "zhang7")) == "BAD_USER_INPUT"
        # A number the register does not hold for the unit: one answer, whoever the register holds (nobody too).
        answers = []
        for unit, phone in ((u7, "13911112222"), (u8, "13900000007"), (gid("Unit", e.units["u4"]), "13911112222")):
            r = await start(unit, phone, "冒充者", "fake1")
            assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "register_mismatch", r
            answers.append(r["errors"][0]["message"])
        assert len(set(answers)) == 1 and "张" not in answers[0] and "王" not in answers[0] and "0007" not in answers[0]

        # The owner's claim: the code goes to the register's phone.
        r = ok(await start(u7, "13900000007", "张七", "zhang7"))["startClaim"]
        assert (r["verification"], r["status"], r["codeSentTo"]) == ("CODE", "pending", "139****0007") and r["expiresAt"]
        claim = r["claimId"]
        the_code = await sent_code("13900000007")
        wrong = "000000" if the_code != "000000" else "111111"
        r = await gql(VERIFY, {"f": e.slug, "c": claim, "code": wrong})
        assert code(r) == "BAD_USER_INPUT" and r["errors"][0]["extensions"]["attempts_left"] == 4
        r = await gql(VERIFY, {"f": e.slug, "c": claim, "code": wrong})
        assert r["errors"][0]["extensions"]["attempts_left"] == 3  # the count was committed
        assert code(await gql(VERIFY, {"f": other.slug, "c": claim, "code": the_code})) == "NOT_FOUND"  # another firm
        assert ok(await gql(VERIFY, {"f": e.slug, "c": claim, "code": the_code}))["verifyClaim"] == {"status": "verified", "username": "zhang7"}
        assert code(await gql(VERIFY, {"f": e.slug, "c": claim, "code": the_code})) == "CONFLICT"  # used
        token = await gql.login("zhang7", PASSWORD, e.slug)
        assert [u["number"] for u in ok(await gql("{ myUnits { number } }", token=token))["myUnits"]] == ["u7"]
        async with runtime.db.tenant(e.tenant_id) as s:
            linked = await s.scalar(select(Person.account_id).where(Person.id == zhang.id))
            row = await s.scalar(select(OwnerClaim).where(OwnerClaim.id == uuid.UUID(claim)))
            assert linked is not None and row.account_id == linked and row.password_hash is None and row.code_hash is None
        # A phone already claimed.
        r = await start(u7, "13900000007", "张七", "zhang7b")
        assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "phone_claimed"

        # The renter's claim: an expired code is refused; a new claim sends a new code; a renter is no owner.
        r = ok(await start(u7, "13900000008", "李租", "li8", kind="RESIDENT"))["startClaim"]
        old = r["claimId"]
        old_code = await sent_code("13900000008")
        async with runtime.db.tenant(e.tenant_id) as s:
            await s.execute(update(OwnerClaim).where(OwnerClaim.id == uuid.UUID(old)).values(code_expires_at=utcnow() - timedelta(minutes=1)))
        r = await gql(VERIFY, {"f": e.slug, "c": old, "code": old_code})
        assert code(r) == "CONFLICT" and r["errors"][0]["extensions"]["reason"] == "code_expired"
        new = ok(await start(u7, "13900000008", "李租", "li8", kind="RESIDENT"))["startClaim"]["claimId"]
        new_code = await sent_code("13900000008")
        assert code(await gql(VERIFY, {"f": e.slug, "c": old, "code": old_code})) == "CONFLICT"  # superseded
        ok(await gql(VERIFY, {"f": e.slug, "c": new, "code": new_code}))
        li_token = await gql.login("li8", PASSWORD, e.slug)
        assert ok(await gql("{ myHomes { number kind } }", token=li_token))["myHomes"] == [{"number": "u7", "kind": "renter"}]
        r = await gql("mutation($p: ID!) { castVote(proposalId: $p, choice: FOR) { status } }", {"p": str(relay.GlobalID("Proposal", str(uuid.uuid4())))}, token=li_token)
        assert code(r) == "FORBIDDEN"

        # Wrong codes are throttled: after five, even the right one is refused.
        r = ok(await start(u8, "13900000009", "王八", "wang9"))["startClaim"]
        wang_code = await sent_code("13900000009")
        bad = "000000" if wang_code != "000000" else "111111"
        results = [code(await gql(VERIFY, {"f": e.slug, "c": r["claimId"], "code": bad})) for _ in range(5)]
        assert results == ["BAD_USER_INPUT"] * 4 + ["RATE_LIMITED"]
        assert code(await gql(VERIFY, {"f": e.slug, "c": r["claimId"], "code": wang_code})) == "RATE_LIMITED"

        # Staff approval: a changed phone number, with evidence; the queue shows the register to compare with.
        r = ok(await start(u8, "13700000000", "王八", "wang-new", verification="STAFF", evidence="房产证编号 沪(2020)123号，本人持证到物业"))["startClaim"]
        assert (r["status"], r["codeSentTo"]) == ("pending", None)
        staff_claim = r["claimId"]
        rejected = ok(await start(u7, "13600000000", "路人", "passer", verification="STAFF", evidence="无"))["startClaim"]["claimId"]
        queue = [edge["node"] for edge in ok(await gql(QUEUE, token=e.tokens["staff"]))["pendingClaims"]["edges"]]
        item = next(n for n in queue if n["id"] == staff_claim)
        assert (item["claimantName"], item["phone"], item["unitNumber"], item["buildingName"]) == ("王八", "137****0000", "u8", "1幢")
        assert item["register"] == [{"personId": str(wang.id), "name": "王*", "phone": "139****0009", "phoneMatches": False, "hasLogin": False}]
        assert ok(await gql(QUEUE, token=other.tokens["admin"]))["pendingClaims"]["edges"] == []  # another firm sees none
        assert code(await gql(APPROVE, {"id": staff_claim, "p": str(wang.id)}, token=other.tokens["admin"])) == "NOT_FOUND"
        assert code(await gql(APPROVE, {"id": staff_claim, "p": str(wang.id)}, token=e.tokens["a"])) == "FORBIDDEN"
        assert code(await gql(APPROVE, {"id": staff_claim}, token=e.tokens["staff"])) == "BAD_USER_INPUT"  # no match: choose a person
        assert code(await gql(APPROVE, {"id": staff_claim, "p": str(zhang.id)}, token=e.tokens["staff"])) == "BAD_USER_INPUT"  # not u8's
        assert ok(await gql(APPROVE, {"id": staff_claim, "p": str(wang.id)}, token=e.tokens["staff"]))["approveClaim"]["status"] == "verified"
        wang_token = await gql.login("wang-new", PASSWORD, e.slug)
        assert [u["number"] for u in ok(await gql("{ myUnits { number } }", token=wang_token))["myUnits"]] == ["u8"]
        assert code(await gql(REJECT, {"id": rejected, "r": ""}, token=e.tokens["staff"])) == "BAD_USER_INPUT"
        assert ok(await gql(REJECT, {"id": rejected, "r": "证件不符"}, token=e.tokens["staff"]))["rejectClaim"]["status"] == "rejected"
        assert code(await gql(APPROVE, {"id": rejected, "p": str(zhang.id)}, token=e.tokens["staff"])) == "CONFLICT"

        # Codes went only to numbers the register holds.
        phones = {r.json()["to"]["phone"] for r in sms.requests}
        assert phones <= {"13900000007", "13900000008", "13900000009"}, phones
        async with runtime.db.tenant(e.tenant_id) as s:
            actions = list((await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("estate.claim%")))).all())
        assert actions.count("estate.claim_verified") == 2 and actions.count("estate.claim_approved") == 1 and actions.count("estate.claim_rejected") == 1
