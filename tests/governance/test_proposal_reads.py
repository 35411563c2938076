"""Reading proposals writes nothing and costs the same for one row or a page: the displayed state
is computed from the recorded chain transactions (the ``chain.transaction_done`` handler stores
it, with its audit row and event, once), and a list loads in a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from strawberry import relay

from kernel.audit import AuditEntry
from kernel.chain.models import ChainTransaction
from kernel.outbox import OutboxMessage
from plugins.governance import models as m
from plugins.governance.repository import displayed_state
from plugins.governance.service import intent
from tests.governance.conftest import build_voting_estate, gid

pytestmark = pytest.mark.usefixtures("fast_passwords")

DRAFT = """mutation($c: ID!, $t: String!, $bs: [ID!]) {
  draftProposal(communityId: $c, matter: USE_FUND, title: $t, body: "正文", buildingIds: $bs) { id } }"""
LIST = """query($c: ID!) { proposals(communityId: $c) { edges { node {
  id status chainProposalId scopeBuildings governanceAddress objectionEndsAt } } } }"""


def _proposal(status: str, **kw: object) -> m.Proposal:
    return m.Proposal(id=uuid.uuid4(), status=status, objection_days=7, chain_proposal_id=kw.pop("chain_proposal_id", None), objection_ends_at=None, **kw)


def _tx(key: str, status: str, events: list[dict]) -> dict[str, ChainTransaction]:
    return {key: ChainTransaction(intent=key, status=status, result=events)}


def test_displayed_state_is_what_the_handler_will_store() -> None:
    voting = _proposal("voting")
    created = [{"event": "ProposalCreated", "args": {"proposalId": 7}}]
    assert displayed_state(voting, _tx(intent("propose", voting), "confirmed", created)).chain_proposal_id == "7"
    assert displayed_state(voting, _tx(intent("propose", voting), "pending", created)).chain_proposal_id is None

    pre = _proposal("preliminary", chain_proposal_id="7")
    end = int((datetime.now(UTC) + timedelta(days=30)).timestamp())
    passed = [{"event": "ProposalResultPublished", "args": {"outcome": 4, "objectionEnd": end}}]
    shown = displayed_state(pre, _tx(intent("publish", pre), "confirmed", passed))
    assert shown.status == "objection" and shown.objection_ends_at == datetime.fromtimestamp(end, UTC)
    failed = [{"event": "ProposalResultPublished", "args": {"outcome": 3, "objectionEnd": 0}}]
    assert displayed_state(pre, _tx(intent("publish", pre), "skipped", failed)).status == "defeated"
    assert displayed_state(pre, {}).status == "preliminary"
    assert pre.status == "preliminary"  # nothing written on the row

    objection = _proposal("objection", chain_proposal_id="7")
    assert displayed_state(objection, _tx(intent("finalize", objection), "confirmed", [])).status == "final"
    assert displayed_state(objection, _tx(intent("finalize", objection), "reverted", [])).status == "objection"


async def test_listing_writes_nothing_and_does_not_query_per_row(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="govread")
    token = e.tokens["committee"]
    ids = []
    for i, buildings in enumerate(([gid("Building", e.buildings[0])], [gid("Building", e.buildings[1])], [])):
        r = await gql(DRAFT, {"c": e.community_gid(), "t": f"议题{i}", "bs": buildings}, token=token)
        assert not r.get("errors"), r
        ids.append(r["data"]["draftProposal"]["id"])

    # One proposal whose result the relayer confirmed but whose handler has not run yet.
    pending_id = uuid.UUID(relay.GlobalID.from_id(ids[0]).node_id)
    end = int((datetime.now(UTC) + timedelta(days=30)).timestamp())
    async with runtime.db.tenant(e.tenant_id) as s:
        row = await s.get(m.Proposal, {"tenant_id": e.tenant_id, "id": pending_id})
        row.status, row.chain_proposal_id = "preliminary", "1"
        s.add(ChainTransaction(intent=intent("publish", row), community_id=e.community, contract="governance", function="publishResult", args=[], status="confirmed",
                               result=[{"event": "ProposalResultPublished", "args": {"outcome": 4, "objectionEnd": end}}]))
        await s.commit()

    async def counts() -> tuple[int, int]:
        async with runtime.db.tenant(e.tenant_id) as s:
            return (await s.scalar(select(func.count()).select_from(AuditEntry)), await s.scalar(select(func.count()).select_from(OutboxMessage)))

    before = await counts()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        r = await gql(LIST, {"c": e.community_gid()}, token=token)
        three = len(statements)
        statements.clear()
        await gql(DRAFT, {"c": e.community_gid(), "t": "议题3", "bs": [gid("Building", e.buildings[1])]}, token=token)
        statements.clear()
        r4 = await gql(LIST, {"c": e.community_gid()}, token=token)
        four = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not r.get("errors") and not r4.get("errors"), (r, r4)
    assert four == three, "the list costs the same number of statements for 3 and 4 proposals"
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]

    nodes = {n["node"]["id"]: n["node"] for n in r["data"]["proposals"]["edges"]}
    assert nodes[ids[0]]["status"] == "objection"  # shown as the handler will store it
    assert nodes[ids[0]]["objectionEndsAt"] is not None
    assert nodes[ids[0]]["scopeBuildings"] == ["1幢"] and nodes[ids[1]]["scopeBuildings"] == ["2幢"] and nodes[ids[2]]["scopeBuildings"] == []
    # ... but nothing was written: the stored status, the audit log and the outbox are unchanged.
    assert await counts() == (before[0] + 1, before[1])  # the one audit row is the fourth draft's
    async with runtime.db.tenant(e.tenant_id) as s:
        assert (await s.get(m.Proposal, {"tenant_id": e.tenant_id, "id": pending_id})).status == "preliminary"


BAD_DRAFT = """mutation($c: ID!, $t: String!, $b: String!, $s: DateTime, $end: DateTime, $o: Int, $cost: Int, $docs: [DocumentInput!]) {
  draftProposal(communityId: $c, matter: USE_FUND, title: $t, body: $b, votingStartsAt: $s, votingEndsAt: $end,
                objectionDays: $o, estimatedCostFen: $cost, documents: $docs) { id } }"""


async def test_draft_input_errors_name_the_field_and_write_nothing(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="govbad")
    now = datetime.now(UTC)
    good = {"c": e.community_gid(), "t": "议题", "b": "正文"}
    cases = {
        "title": {"t": "  "},
        "body": {"b": "x" * 50_001},
        "objectionDays": {"o": 61},
        "estimatedCostFen": {"cost": -1},
        "votingEndsAt": {"s": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat()},
        "documents": {"docs": [{"name": "方案", "url": "https://files.example/a.pdf", "sha256": "zz" * 32}]},
    }
    for field, change in cases.items():
        r = await gql(BAD_DRAFT, {**good, **change}, token=e.tokens["committee"])
        errors = r.get("errors") or [{}]
        assert errors[0].get("extensions", {}).get("code") == "BAD_USER_INPUT", (field, r)
        assert errors[0]["extensions"].get("field") == field, (field, r)
    async with runtime.db.tenant(e.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(m.Proposal)) == 0
        assert await s.scalar(select(func.count()).select_from(m.ProposalDocument)) == 0
