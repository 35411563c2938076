"""The whole governance lifecycle through GraphQL: SQLite + embedded EVM, PostgreSQL + anvil."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.chain import devchain
from kernel.chain.models import ChainTransaction
from kernel.chain.relay import chain_client
from kernel.outbox import OutboxMessage
from tests.governance.conftest import build_voting_estate, gid

pytestmark = pytest.mark.usefixtures("fast_passwords")

PROPOSAL_FIELDS = """
  id status matter title totalPersons totalArea contentHash chainProposalId governanceAddress chainId scopeBuildings
  votingEndsAt objectionEndsAt
  documents { name url sha256 }
  tally { totalPersons totalArea participatingPersons participatingArea forPersons forArea againstPersons againstArea
          abstainPersons abstainArea participationReached passed }
"""

DRAFT = f"""
mutation($c: ID!, $m: Matter!, $t: String!, $b: String!, $bs: [ID!], $end: DateTime, $cost: Int, $docs: [DocumentInput!]) {{
  draftProposal(communityId: $c, matter: $m, title: $t, body: $b, buildingIds: $bs, votingEndsAt: $end,
                estimatedCostFen: $cost, documents: $docs) {{ {PROPOSAL_FIELDS} }}
}}"""
STEP = "mutation($id: ID!) {{ {name}(id: $id) {{ {fields} }} }}"
VOTE = """mutation($p: ID!, $c: VoteChoice!) {
  castVote(proposalId: $p, choice: $c) { proposalId choice voterAddress txHash blockNumber status governanceAddress chainId chainProposalId }
}"""
SIGNED_VOTE = """mutation($p: ID!, $c: VoteChoice!, $a: String!, $s: String!) {
  castSignedVote(proposalId: $p, choice: $c, voterAddress: $a, signature: $s) { status voterAddress }
}"""
PROPOSAL = f"query($id: ID!) {{ proposal(id: $id) {{ {PROPOSAL_FIELDS} myVote {{ choice status txHash }} myUnits {{ unitNumber buildingName area shareBp estimatedCostFen }} }} }}"


def code(result: dict) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"].get("code") if errors else None


async def step(gql, token: str, name: str, pid: str) -> dict:  # type: ignore[no-untyped-def]
    r = await gql(STEP.format(name=name, fields=PROPOSAL_FIELDS), {"id": pid}, token=token)
    assert not r.get("errors"), r
    return r["data"][name]


async def drain(runtime, tenant_id) -> None:  # type: ignore[no-untyped-def]
    """Deliver the outbox until it is empty (relayer, then the events it publishes)."""
    for _ in range(6):
        if not await runtime.outbox.drain(tenant_id):
            return


async def test_lifecycle_end_to_end(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql)
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    doc = {"name": "维修方案.pdf", "url": "https://files.example/plan.pdf", "sha256": "ab" * 32}

    # Staff may not draft; the committee may.
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "USE_FUND", "t": "电梯维修", "b": "更换1幢电梯", "end": end}, token=e.tokens["staff"])
    assert code(r) == "FORBIDDEN"
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "USE_FUND", "t": "电梯维修", "b": "更换电梯", "end": end, "cost": 4_900_000, "docs": [doc]}, token=e.tokens["committee"])
    assert not r.get("errors"), r
    p = r["data"]["draftProposal"]
    pid = p["id"]
    assert p["status"] == "draft" and p["tally"] is None and p["documents"][0]["sha256"] == "ab" * 32

    # Owners do not see drafts.
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["a"])
    assert r["data"]["proposal"] is None

    p = await step(gql, e.tokens["committee"], "publishProposal", pid)
    # A (two units, one person), C+D (co-owned), developer (unsold), E, F: five persons.
    assert (p["status"], p["totalPersons"], p["totalArea"]) == ("published", 5, 49000)
    assert p["contentHash"].startswith("0x") and len(p["contentHash"]) == 66
    await drain(runtime, e.tenant_id)

    p = await step(gql, e.tokens["committee"], "openVoting", pid)
    assert p["status"] == "voting"
    await drain(runtime, e.tenant_id)
    client = await chain_client(runtime)
    await devchain.increase_time(client, 5)

    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["a"])
    mine = r["data"]["proposal"]
    assert mine["chainProposalId"] == "1" and mine["governanceAddress"] and mine["chainId"] == client.chain_id
    assert sorted(u["unitNumber"] for u in mine["myUnits"]) == ["u1", "u2"]
    assert mine["myUnits"][0]["shareBp"] == 10000 * 10000 // 49000
    assert mine["myUnits"][0]["estimatedCostFen"] == 4_900_000 * 10000 // 49000

    # Rules: renter, staff, committee member owning nothing → FORBIDDEN.
    for who in ("renter", "staff", "committee"):
        r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens[who])
        assert code(r) == "FORBIDDEN", (who, r)

    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["a"])
    assert not r.get("errors"), r
    receipt = r["data"]["castVote"]
    assert receipt["status"] == "pending" and receipt["chainProposalId"] == "1"
    r = await gql(VOTE, {"p": pid, "c": "AGAINST"}, token=e.tokens["a"])
    assert code(r) == "CONFLICT" and "already voted" in r["errors"][0]["message"]

    for who, choice in (("c", "FOR"), ("e", "FOR"), ("f", "AGAINST")):
        r = await gql(VOTE, {"p": pid, "c": choice}, token=e.tokens[who])
        assert not r.get("errors"), (who, r)
    await drain(runtime, e.tenant_id)

    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["a"])
    assert r["data"]["proposal"]["myVote"]["status"] == "confirmed" and r["data"]["proposal"]["myVote"]["txHash"]
    r = await gql("query($p: ID!) { verifyVoteReceipt(proposalId: $p) { onChain matchesChoice blockNumber message } }", {"p": pid}, token=e.tokens["a"])
    assert r["data"]["verifyVoteReceipt"]["onChain"] and r["data"]["verifyVoteReceipt"]["matchesChoice"]

    # The committee sees participation while voting runs, never the choices.
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    t = r["data"]["proposal"]["tally"]
    assert (t["participatingPersons"], t["participatingArea"]) == (4, 46000)
    assert t["forPersons"] is None and t["againstArea"] is None and t["passed"] is None and t["participationReached"]

    # Closing before the end is refused; after it, the preliminary result is published on chain.
    r = await gql(STEP.format(name="closeVoting", fields="status"), {"id": pid}, token=e.tokens["committee"])
    assert code(r) == "CONFLICT"
    await devchain.increase_time(client, 2 * 3600)
    p = await step(gql, e.tokens["committee"], "closeVoting", pid)
    assert p["status"] == "preliminary"
    await drain(runtime, e.tenant_id)
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    p = r["data"]["proposal"]
    assert p["status"] == "objection" and p["objectionEndsAt"]
    t = p["tally"]
    assert (t["forPersons"], t["forArea"], t["againstPersons"], t["againstArea"], t["passed"]) == (3, 39000, 1, 7000, True)

    r = await gql("mutation($p: ID!, $t: String!) { fileObjection(proposalId: $p, text: $t) { status } }", {"p": pid, "t": "费用过高"}, token=e.tokens["f"])
    assert not r.get("errors"), r
    # the objector sees their own; every owner sees how many; the committee reads them all (no names)
    mine = "query($p: ID!) { proposal(id: $p) { objectionCount myObjections { text filedAt } } }"
    r = await gql(mine, {"p": pid}, token=e.tokens["f"])
    assert r["data"]["proposal"]["objectionCount"] == 1 and [o["text"] for o in r["data"]["proposal"]["myObjections"]] == ["费用过高"]
    r = await gql(mine, {"p": pid}, token=e.tokens["a"])
    assert r["data"]["proposal"]["objectionCount"] == 1 and r["data"]["proposal"]["myObjections"] == []
    every = "query($p: ID!) { proposal(id: $p) { objections(first: 10) { edges { node { text filedAt } } pageInfo { hasNextPage } } } }"
    r = await gql(every, {"p": pid}, token=e.tokens["committee"])
    assert [edge["node"]["text"] for edge in r["data"]["proposal"]["objections"]["edges"]] == ["费用过高"], r
    r = await gql(every, {"p": pid}, token=e.tokens["a"])
    assert code(r) == "FORBIDDEN"
    r = await gql(STEP.format(name="finalizeProposal", fields="status"), {"id": pid}, token=e.tokens["committee"])
    assert code(r) == "CONFLICT"  # objection period running

    # The work-orders plugin (which opens orders for passed repairs) is enabled: it gets the outcome event.
    r = await gql('mutation { enablePlugin(name: "workorders") { name } }', token=e.tokens["admin"])
    assert not r.get("errors"), r
    await devchain.increase_time(client, 8 * 24 * 3600)
    await step(gql, e.tokens["committee"], "finalizeProposal", pid)
    await drain(runtime, e.tenant_id)
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    assert r["data"]["proposal"]["status"] == "final"
    p = await step(gql, e.tokens["committee"], "fileToRegulator", pid)
    r = await gql(STEP.format(name="fileToRegulator", fields="status"), {"id": pid}, token=e.tokens["committee"])
    assert code(r) == "CONFLICT"

    async with runtime.db.tenant(e.tenant_id) as s:
        actions = set((await s.scalars(select(AuditEntry.action))).all())
        assert {"governance.drafted", "governance.published", "governance.voting_opened", "governance.vote_cast", "governance.voting_closed",
                "governance.result_published", "governance.objection_filed", "governance.final", "governance.filed"} <= actions
        passed = [m.payload for m in (await s.scalars(select(OutboxMessage).where(OutboxMessage.topic.like("event:%")))).all() if m.payload.get("type") == "governance.proposal_passed"]
        assert len(passed) == 1, "the work-orders plugin subscribes to governance.proposal_passed"
        payload = passed[0]["payload"]
        assert {k: payload[k] for k in ("community_id", "title", "matter")} == {"community_id": str(e.community), "title": "电梯维修", "matter": "USE_FUND"}
        assert str(relay.GlobalID("Proposal", payload["proposal_id"])) == pid
        txs = (await s.scalars(select(ChainTransaction))).all()
        assert all(tx.status in ("confirmed", "skipped") for tx in txs), [(t.intent, t.status, t.error_name) for t in txs]
        assert sum(1 for tx in txs if tx.function == "castVotesBySig") == 4


async def test_other_tenant_sees_nothing(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, "gova")
    other = await build_voting_estate(runtime, gql, "govb")
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": "议题", "b": "内容"}, token=e.tokens["committee"])
    pid = r["data"]["draftProposal"]["id"]
    r = await gql(PROPOSAL, {"id": pid}, token=other.tokens["committee"])
    assert r["data"]["proposal"] is None
    r = await gql(STEP.format(name="publishProposal", fields="status"), {"id": pid}, token=other.tokens["committee"])
    assert code(r) == "NOT_FOUND"
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=other.tokens["a"])
    assert code(r) == "NOT_FOUND"
    # Another tenant's community cannot hold a proposal of ours.
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": "x", "b": "y"}, token=other.tokens["committee"])
    assert code(r) == "NOT_FOUND"
    r = await gql("query($c: ID!) { proposals(communityId: $c) { edges { node { id } } } }", {"c": e.community_gid()}, token=other.tokens["committee"])
    assert r["data"]["proposals"]["edges"] == []


async def test_scope_and_bad_input(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, "govs")
    bad = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": " ", "b": "y"}, token=e.tokens["committee"])
    assert code(bad) == "BAD_USER_INPUT"
    bad = await gql(DRAFT, {"c": e.community_gid(), "m": "OTHER", "t": "t", "b": "y", "docs": [{"name": "x", "url": "u", "sha256": "zz"}]}, token=e.tokens["committee"])
    assert code(bad) == "BAD_USER_INPUT"
    async with runtime.db.tenant(e.tenant_id) as s:
        from plugins.governance.models import Proposal

        assert (await s.scalars(select(Proposal))).all() == []  # nothing written by refused input

    # Building 2 only: E and F are the persons; A (building 1) is out of scope.
    r = await gql(DRAFT, {"c": e.community_gid(), "m": "COMMON_PARTS_CHANGE", "t": "2幢外墙", "b": "改造", "bs": [gid("Building", e.buildings[1])]}, token=e.tokens["committee"])
    pid = r["data"]["draftProposal"]["id"]
    # E keeps their own key (self custody), registered before the vote opens.
    from eth_account import Account

    own = Account.create()
    r = await gql("mutation($a: String!) { registerVotingAddress(address: $a) }", {"a": "0x12"}, token=e.tokens["e"])
    assert code(r) == "BAD_USER_INPUT"
    r = await gql("mutation($a: String!) { registerVotingAddress(address: $a) }", {"a": own.address}, token=e.tokens["e"])
    assert r["data"]["registerVotingAddress"] == own.address
    p = await step(gql, e.tokens["committee"], "publishProposal", pid)
    assert (p["totalPersons"], p["totalArea"], p["scopeBuildings"]) == (2, 19000, ["2幢"])
    await drain(runtime, e.tenant_id)
    await step(gql, e.tokens["committee"], "openVoting", pid)
    await drain(runtime, e.tenant_id)
    await devchain.increase_time(await chain_client(runtime), 5)
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["a"])
    assert code(r) == "NOT_FOUND"  # not in scope: the proposal is not even visible to A
    r = await gql(VOTE, {"p": pid, "c": "FOR"}, token=e.tokens["e"])
    assert code(r) == "BAD_USER_INPUT"  # custodial voting needs a platform-held key
    r = await gql("query($p: ID!) { ballotTypedData(proposalId: $p, choice: FOR) }", {"p": pid}, token=e.tokens["e"])
    import json

    typed = json.loads(r["data"]["ballotTypedData"])
    assert typed["message"]["voter"] == own.address and typed["primaryType"] == "Ballot"
    signed = SIGNED_VOTE
    wrong = Account.create().sign_typed_data(full_message=typed).signature.hex()
    r = await gql(signed, {"p": pid, "c": "FOR", "a": own.address, "s": "0x" + wrong.removeprefix("0x")}, token=e.tokens["e"])
    assert code(r) == "BAD_USER_INPUT"
    good = own.sign_typed_data(full_message=typed).signature.hex()
    r = await gql(signed, {"p": pid, "c": "AGAINST", "a": own.address, "s": "0x" + good.removeprefix("0x")}, token=e.tokens["e"])
    assert code(r) == "BAD_USER_INPUT"  # signed FOR, claimed AGAINST
    r = await gql(signed, {"p": pid, "c": "FOR", "a": own.address, "s": "0x" + good.removeprefix("0x")}, token=e.tokens["e"])
    assert not r.get("errors"), r
    assert r["data"]["castSignedVote"]["voterAddress"] == own.address
    await drain(runtime, e.tenant_id)
    r = await gql(PROPOSAL, {"id": pid}, token=e.tokens["committee"])
    t = r["data"]["proposal"]["tally"]
    assert (t["totalPersons"], t["totalArea"], t["participatingPersons"], t["participatingArea"]) == (2, 19000, 1, 12000)
    r = await gql("{ myProposals { id } }", token=e.tokens["e"])
    assert [x["id"] for x in r["data"]["myProposals"]] == [pid]
    r = await gql("{ myProposals { id } }", token=e.tokens["a"])
    assert r["data"]["myProposals"] == []
