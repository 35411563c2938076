"""Who casts a ballot (DOMAIN.md, SPC interp. Art. 9) through GraphQL: the developer's representative votes
once for all unsold units; co-owners designate who votes for their unit, and a co-owner who may not vote is
told who voted or who is designated (CONFLICT with that information), never a bare refusal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from kernel.audit import AuditEntry
from kernel.chain import devchain
from kernel.chain.relay import chain_client
from plugins.governance.service import chain_now
from tenants.estate.models import Person
from tests.governance.conftest import PASSWORD, build_voting_estate, gid
from tests.governance.test_governance_graphql import DRAFT, PROPOSAL, VOTE, code, drain, step

pytestmark = pytest.mark.usefixtures("fast_passwords")

DESIGNATE = """mutation($u: ID!, $p: ID!) { designateUnitVoter(unitId: $u, personId: $p) { personId name designatedBy } }"""
MY_UNITS = "{ myUnits { id number buildingName coOwners { name isMe shareBp } voter { name personId designatedBy } } }"
LINK = "mutation($a: ID) { linkDeveloperRepresentative(accountId: $a) }"


async def add_login(runtime, e, name: str, role: str, person: str | None = None) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A login of the estate's firm (and, with ``person``, linked to that register person)."""
    from kernel.identity import service as identity
    from kernel.identity.authz import Policies

    async with runtime.db.tenant(e.tenant_id) as s:
        acc = await identity.create_account(s, f"{e.slug}-{name}", PASSWORD, name)
        await Policies(s, e.tenant_id).assign_role(acc.id, role, source="tenant")
        if person is not None:
            await s.execute(update(Person).where(Person.id == e.persons[person]).values(account_id=acc.id))
    return acc.id


async def test_developer_representative_and_co_owner_designation(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="voters")
    other = await build_voting_estate(runtime, gql, prefix="voters-b")
    dev = await add_login(runtime, e, "dev", "resident")
    await add_login(runtime, e, "d", "owner", person="d")
    foreign = await add_login(runtime, other, "dev", "resident")
    for name in ("dev", "d"):
        e.tokens[name] = await gql.login(f"{e.slug}-{name}", PASSWORD, e.slug)

    # Staff link the developer's representative: a login of this firm only (another firm's = unknown).
    for bad in (str(foreign), str(uuid.uuid4()), "not-a-uuid"):
        r = await gql(LINK, {"a": bad}, token=e.tokens["admin"])
        assert code(r) == "NOT_FOUND", (bad, r)
    r = await gql(LINK, {"a": str(dev)}, token=e.tokens["staff"])
    assert not r.get("errors"), r  # property staff register persons (persons:write)
    r = await gql(LINK, {"a": str(dev)}, token=e.tokens["a"])
    assert code(r) == "FORBIDDEN"

    # Co-owners designate who votes for u3; the other co-owner and the renter cannot; nor a stranger's unit.
    u3 = gid("Unit", e.units["u3"])
    r = await gql(DESIGNATE, {"u": u3, "p": str(e.persons["d"])}, token=e.tokens["a"])
    assert code(r) == "NOT_FOUND"  # a's login does not own u3: answered as an unknown unit
    r = await gql(DESIGNATE, {"u": u3, "p": str(e.persons["d"])}, token=e.tokens["renter"])
    assert code(r) == "FORBIDDEN"
    r = await gql(DESIGNATE, {"u": u3, "p": str(e.persons["a"])}, token=e.tokens["c"])
    assert code(r) == "BAD_USER_INPUT"  # not a co-owner of u3
    r = await gql(DESIGNATE, {"u": gid("Unit", e.units["u1"]), "p": str(e.persons["a"])}, token=e.tokens["a"])
    assert code(r) == "BAD_USER_INPUT"  # a unit with one owner needs no designation
    r = await gql(DESIGNATE, {"u": gid("Unit", other.units["u3"]), "p": str(e.persons["d"])}, token=e.tokens["admin"])
    assert code(r) == "NOT_FOUND"  # another firm's unit
    r = await gql(DESIGNATE, {"u": u3, "p": str(e.persons["d"])}, token=e.tokens["c"])
    assert not r.get("errors"), r
    assert r["data"]["designateUnitVoter"]["name"] == "业主d"

    # Every co-owner sees the designation.
    for who in ("c", "d"):
        r = await gql(MY_UNITS, token=e.tokens[who])
        units = r["data"]["myUnits"]
        assert [u["number"] for u in units] == ["u3"], r
        assert units[0]["voter"]["name"] == "业主d" and units[0]["voter"]["designatedBy"] == "业主c"
        assert sorted((o["name"], o["isMe"]) for o in units[0]["coOwners"]) == [("业主c", who == "c"), ("业主d", who == "d")]

    client = await chain_client(runtime)
    end = datetime.fromtimestamp(await chain_now(runtime) + 3600, UTC).isoformat()  # a shared anvil may be ahead of the clock
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": "公约修订", "b": "修订管理规约", "end": end}, token=e.tokens["committee"])
    pid = r["data"]["draftProposal"]["id"]
    p = await step(gql, e.tokens["committee"], "publishProposal", pid)
    assert (p["totalPersons"], p["totalArea"]) == (5, 49000)
    await drain(runtime, e.tenant_id)
    await step(gql, e.tokens["committee"], "openVoting", pid)
    await drain(runtime, e.tenant_id)
    await devchain.increase_time(client, 5)

    # The developer's representative sees the proposal and its unsold unit, and votes once.
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["dev"])
    assert [u["unitNumber"] for u in r["data"]["proposal"]["myUnits"]] == ["u4"], r
    r = await gql(VOTE, {"p": pid, "c": "AGAINST"}, token=e.tokens["dev"])
    assert not r.get("errors"), r
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["dev"])
    assert code(r) == "CONFLICT" and r["errors"][0]["message"] == "You have already voted on this proposal."
    assert r["errors"][0]["extensions"]["reason"] == "already_voted"

    # c is not the designated co-owner: CONFLICT naming who is.
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["c"])
    assert code(r) == "CONFLICT", r
    ext = r["errors"][0]["extensions"]
    assert ext["designated"] == [{"units": "u3", "name": "业主d"}] and ext["voted_by"] == []
    assert "业主d" in r["errors"][0]["message"]
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["d"])
    assert not r.get("errors"), r
    # once d voted, c is told who voted for the unit
    r = await gql(VOTE, {"p": pid, "c": "AGAINST"}, token=e.tokens["c"])
    assert code(r) == "CONFLICT"
    voted = r["errors"][0]["extensions"]["voted_by"]
    assert [(v["units"], v["name"]) for v in voted] == [("u3", "业主d")] and "业主d already voted" in r["errors"][0]["message"]

    for who in ("a", "e"):
        r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens[who])
        assert not r.get("errors"), (who, r)
    await drain(runtime, e.tenant_id)
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    t = r["data"]["proposal"]["tally"]
    # a (18000), c+d (9000), e (12000), the developer (3000): four persons, 42000 of 49000
    assert (t["participatingPersons"], t["participatingArea"], t["participationReached"]) == (4, 42000, True)
    await devchain.increase_time(client, 2 * 3600)
    await step(gql, e.tokens["committee"], "closeVoting", pid)
    await drain(runtime, e.tenant_id)
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    t = r["data"]["proposal"]["tally"]
    assert (t["forPersons"], t["forArea"], t["againstPersons"], t["againstArea"], t["passed"]) == (3, 39000, 1, 3000, True)

    # Unlinking: the representative no longer votes for the developer (and sees no proposal).
    r = await gql(LINK, {"a": None}, token=e.tokens["admin"])
    assert not r.get("errors"), r
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["dev"])
    assert code(r) == "NOT_FOUND"
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["dev"])
    assert r["data"]["proposal"] is None

    async with runtime.db.tenant(e.tenant_id) as s:
        actions = list((await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("estate.%")))).all())
        assert actions.count("estate.developer_representative_linked") == 2 and actions.count("estate.unit_voter_designated") == 1
