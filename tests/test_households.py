"""Occupancy through GraphQL: an owner adds family members and renters with first and last days; ended stays
stop counting; a renter never gets owner rights (no vote, no fund decision, no household management); other
units — of this firm or another — answer NOT_FOUND; staff see the household masked."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from strawberry import relay

from kernel.audit import AuditEntry
from plugins.notices.service import places_of_account
from tenants.estate.models import Person, Residency, local_today
from tests.fixtures.estates import fast_passwords  # noqa: F401
from tests.governance.conftest import PASSWORD, build_voting_estate, gid

pytestmark = pytest.mark.usefixtures("fast_passwords")

ADD = """mutation($u: ID!, $n: String!, $k: String!, $p: String, $s: Date, $e: Date) {
  addHouseholdMember(unitId: $u, name: $n, kind: $k, phone: $p, since: $s, until: $e) { id name phone kind since until current } }"""
END = "mutation($id: ID!, $e: Date) { endHouseholdStay(id: $id, until: $e) { id until current } }"
MY_UNITS = "query($past: Boolean!) { myUnits { number household(includePast: $past) { name phone kind since until current } } }"
MY_HOMES = "{ myHomes { number buildingName kind } }"
STAFF = "query($u: ID!, $past: Boolean!) { unitHousehold(unitId: $u, includePast: $past) { name phone kind current } }"


def code(r: dict) -> str | None:
    return r["errors"][0]["extensions"].get("code") if r.get("errors") else None


def ok(r: dict) -> dict:
    assert not r.get("errors"), r
    return r["data"]


async def test_owner_adds_household_renter_has_no_owner_rights(runtime, gql) -> None:  # type: ignore[no-untyped-def]
    from kernel.identity import service as identity
    from kernel.identity.authz import Policies

    e = await build_voting_estate(runtime, gql, prefix="home")
    other = await build_voting_estate(runtime, gql, prefix="home-b")
    today = local_today()
    u1 = gid("Unit", e.units["u1"])

    # Bad input, coded; nothing written.
    for variables, expected in (
        ({"k": "owner"}, "BAD_USER_INPUT"),  # owners are the register's, not an owner's to add
        ({"k": "renter", "e": str(today - timedelta(days=1))}, "BAD_USER_INPUT"),  # already ended
        ({"k": "renter", "s": str(today + timedelta(days=30)), "e": str(today + timedelta(days=10))}, "BAD_USER_INPUT"),
        ({"k": "renter", "p": "12345"}, "BAD_USER_INPUT"),
        ({"k": "renter", "u": gid("Unit", e.units["u5"])}, "NOT_FOUND"),  # e's unit
        ({"k": "renter", "u": gid("Unit", other.units["u1"])}, "NOT_FOUND"),  # another firm's unit
        ({"k": "renter", "u": gid("Unit", uuid.uuid4())}, "NOT_FOUND"),
    ):
        r = await gql(ADD, {"u": u1, "n": "坏数据", **variables}, token=e.tokens["a"])
        assert code(r) == expected, (variables, r)
    async with runtime.db.tenant(e.tenant_id) as s:
        assert await s.scalar(select(Person.id).where(Person.name == "坏数据")) is None

    added = ok(await gql(ADD, {"u": u1, "n": "王五", "k": "renter", "p": "13800001111", "e": str(today + timedelta(days=365))}, token=e.tokens["a"]))
    renter = added["addHouseholdMember"]
    assert (renter["name"], renter["phone"], renter["kind"], renter["since"], renter["current"]) == ("王五", "138****1111", "renter", str(today), True)
    ok(await gql(ADD, {"u": gid("Unit", e.units["u2"]), "n": "李小红", "k": "family", "s": str(today + timedelta(days=7))}, token=e.tokens["a"]))

    # The owner sees the household in full (phones masked); staff see it masked; renters cannot add.
    units = {u["number"]: u for u in ok(await gql(MY_UNITS, {"past": False}, token=e.tokens["a"]))["myUnits"]}
    assert sorted(m["name"] for m in units["u1"]["household"]) == ["业主renter", "王五"]
    assert [(m["name"], m["current"]) for m in units["u2"]["household"]] == [("李小红", False)]  # not yet arrived
    staff = ok(await gql(STAFF, {"u": u1, "past": False}, token=e.tokens["staff"]))["unitHousehold"]
    assert sorted(m["name"] for m in staff) == ["业******r", "王*"] and all(m["phone"] in (None, "138****1111") for m in staff)
    assert code(await gql(STAFF, {"u": gid("Unit", other.units["u1"]), "past": False}, token=e.tokens["staff"])) == "NOT_FOUND"
    assert code(await gql(STAFF, {"u": u1, "past": False}, token=e.tokens["a"])) == "FORBIDDEN"

    # The renter gets a login (as a verified claim would link it): they see their home, nothing of an owner's.
    async with runtime.db.tenant(e.tenant_id) as s:
        acc = await identity.create_account(s, f"{e.slug}-wang", PASSWORD, "王五")
        await Policies(s, e.tenant_id).assign_role(acc.id, "resident", source="tenant")
        await s.execute(update(Person).where(Person.name == "王五").values(account_id=acc.id))
    wang = await gql.login(f"{e.slug}-wang", PASSWORD, e.slug)
    assert ok(await gql(MY_HOMES, token=wang))["myHomes"] == [{"number": "u1", "buildingName": "1幢", "kind": "renter"}]
    assert ok(await gql(MY_UNITS, {"past": False}, token=wang))["myUnits"] == []
    proposal = str(relay.GlobalID("Proposal", str(uuid.uuid4())))
    community = e.community_gid()
    refused = [
        ("mutation($p: ID!) { castVote(proposalId: $p, choice: FOR) { status } }", {"p": proposal}),
        ('mutation($p: ID!) { castSignedVote(proposalId: $p, choice: FOR, voterAddress: "0x0", signature: "0x0") { status } }', {"p": proposal}),
        ('mutation($p: ID!) { fileObjection(proposalId: $p, text: "不同意") { status } }', {"p": proposal}),
        ('mutation { registerVotingAddress(address: "0x000000000000000000000000000000000000dEaD") }', {}),
        ("mutation($in: FundDisbursementInput!) { requestFundDisbursement(input: $in) { id } }",
         {"in": {"communityId": community, "title": "修电梯", "amountFen": 100, "payee": "某公司"}}),
        ("mutation($in: EmergencyDisbursementInput!) { emergencyFundDisbursement(input: $in) { id } }",
         {"in": {"communityId": community, "title": "抢修", "amountFen": 100, "payee": "某公司", "disclosure": "漏水"}}),
        ("query { myFundStatements { flows { kind } } }", {}),
        ("mutation($u: ID!) { designateUnitVoter(unitId: $u, personId: \"x\") { name } }", {"u": u1}),
        (ADD, {"u": u1, "n": "转租客", "k": "renter"}),
    ]
    for query, variables in refused:
        r = await gql(query, variables, token=wang)
        assert code(r) == "FORBIDDEN", (query, r)
    async with runtime.db.tenant(e.tenant_id) as s:
        assert {p.unit_id for p in await places_of_account(s, acc.id)} == {e.units["u1"]}

    # Ending the stay: today is still the last day; once past, it stops counting everywhere.
    ended = ok(await gql(END, {"id": renter["id"]}, token=e.tokens["a"]))["endHouseholdStay"]
    assert (ended["until"], ended["current"]) == (str(today), True)
    assert code(await gql(END, {"id": renter["id"], "e": str(today - timedelta(days=1))}, token=e.tokens["a"])) == "BAD_USER_INPUT"
    assert code(await gql(END, {"id": renter["id"]}, token=e.tokens["e"])) == "NOT_FOUND"  # not e's unit
    assert code(await gql(END, {"id": renter["id"]}, token=other.tokens["admin"])) == "NOT_FOUND"  # another firm
    async with runtime.db.tenant(e.tenant_id) as s:  # a day later
        await s.execute(update(Residency).where(Residency.id == uuid.UUID(renter["id"])).values(since=today - timedelta(days=30), until=today - timedelta(days=1)))
    assert ok(await gql(MY_HOMES, token=wang))["myHomes"] == []
    async with runtime.db.tenant(e.tenant_id) as s:
        assert await places_of_account(s, acc.id) == []
    units = {u["number"]: u for u in ok(await gql(MY_UNITS, {"past": False}, token=e.tokens["a"]))["myUnits"]}
    assert [m["name"] for m in units["u1"]["household"]] == ["业主renter"]
    units = {u["number"]: u for u in ok(await gql(MY_UNITS, {"past": True}, token=e.tokens["a"]))["myUnits"]}
    assert sorted((m["name"], m["current"]) for m in units["u1"]["household"]) == [("业主renter", True), ("王五", False)]

    async with runtime.db.tenant(e.tenant_id) as s:
        actions = list((await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("estate.household%")))).all())
        assert sorted(actions) == ["estate.household_member_added", "estate.household_member_added", "estate.household_stay_ended"]
