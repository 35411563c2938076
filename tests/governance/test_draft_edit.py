"""Editing a draft until it is published (``updateDraftProposal``), and the voting window checked
when drafting, editing and publishing — not only when voting opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from kernel.audit import AuditEntry
from plugins.governance import models as m
from tests.governance.conftest import build_voting_estate, gid

pytestmark = pytest.mark.usefixtures("fast_passwords")

FIELDS = "id status matter title body votingStartsAt votingEndsAt scopeBuildings documents { name url sha256 }"
DRAFT = f"""mutation($c: ID!, $t: String!, $s: DateTime, $end: DateTime, $cost: Int, $docs: [DocumentInput!]) {{
  draftProposal(communityId: $c, matter: USE_FUND, title: $t, body: "正文", votingStartsAt: $s, votingEndsAt: $end,
                estimatedCostFen: $cost, documents: $docs) {{ {FIELDS} }} }}"""
EDIT = f"""mutation($id: ID!, $t: String, $b: String, $m: Matter, $bs: [ID!], $s: DateTime, $end: DateTime, $o: Int,
                  $docs: [DocumentInput!]) {{
  updateDraftProposal(id: $id, title: $t, body: $b, matter: $m, buildingIds: $bs, votingStartsAt: $s, votingEndsAt: $end,
                      objectionDays: $o, documents: $docs) {{ {FIELDS} }} }}"""
CLEAR_COST = "mutation($id: ID!) { updateDraftProposal(id: $id, estimatedCostFen: null) { id } }"
PUBLISH = "mutation($id: ID!) { publishProposal(id: $id) { id status } }"
DOC = {"name": "方案.pdf", "url": "https://files.example/a.pdf", "sha256": "ab" * 32}


def error(r: dict) -> tuple[str | None, str | None]:
    errors = r.get("errors") or [{}]
    ext = errors[0].get("extensions") or {}
    return ext.get("code"), ext.get("field")


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def test_a_draft_is_edited_until_published(chain_runtime, gql_factory) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="govedit")
    committee = e.tokens["committee"]
    r = await gql(
        DRAFT,
        {
            "c": e.community_gid(),
            "t": "电梯维修",
            "end": iso(timedelta(days=7)),
            "cost": 100_000,
            "docs": [DOC],
        },
        token=committee,
    )
    assert not r.get("errors"), r
    pid = r["data"]["draftProposal"]["id"]

    # only the fields given change; documents are replaced; the scope can be narrowed
    new_doc = {"name": "报价.pdf", "url": "https://files.example/b.pdf", "sha256": "CD" * 32}
    end = iso(timedelta(days=10))
    r = await gql(
        EDIT,
        {
            "id": pid,
            "t": " 更换电梯 ",
            "bs": [gid("Building", e.buildings[0])],
            "end": end,
            "docs": [new_doc],
        },
        token=committee,
    )
    assert not r.get("errors"), r
    p = r["data"]["updateDraftProposal"]
    assert (p["status"], p["title"], p["body"], p["matter"]) == (
        "draft",
        "更换电梯",
        "正文",
        "USE_FUND",
    )
    assert p["scopeBuildings"] == ["1幢"]
    assert datetime.fromisoformat(p["votingEndsAt"]) == datetime.fromisoformat(end)
    assert p["documents"] == [{**new_doc, "sha256": "cd" * 32}]
    r = await gql(CLEAR_COST, {"id": pid}, token=committee)
    assert not r.get("errors"), r
    async with runtime.db.tenant(e.tenant_id) as s:
        row = (await s.scalars(select(m.Proposal))).one()
        assert row.estimated_cost_fen is None and row.title == "更换电梯"
        assert len((await s.scalars(select(m.ProposalDocument))).all()) == 1
        audited = (
            await s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "governance.draft_updated")
                .order_by(AuditEntry.seq)
            )
        ).all()
    assert [a.detail["fields"] for a in audited] == [
        ["building_ids", "documents", "title", "voting_ends_at"],
        ["estimated_cost_fen"],
    ]
    assert all(a.target == str(row.id) and a.actor.startswith("account:") for a in audited)

    # the edited draft obeys the rules of a new one; a refused edit writes nothing
    past = iso(timedelta(hours=-1))
    for change, field in (
        ({"t": "  "}, "title"),
        ({"o": 0}, "objectionDays"),
        ({"s": iso(timedelta(days=11))}, "votingEndsAt"),  # would start after the stored end
        ({"end": past}, "votingEndsAt"),  # a window already over
        ({"docs": [{**DOC, "sha256": "5"}]}, "documents"),
    ):
        r = await gql(EDIT, {"id": pid, **change}, token=committee)
        assert error(r) == ("BAD_USER_INPUT", field), (change, r)
    r = await gql(
        "mutation($id: ID!) { updateDraftProposal(id: $id, title: null) { id } }",
        {"id": pid},
        token=committee,
    )
    assert error(r) == ("BAD_USER_INPUT", "title"), r
    async with runtime.db.tenant(e.tenant_id) as s:
        row = (await s.scalars(select(m.Proposal))).one()
        assert (row.title, row.objection_days, row.voting_starts_at) == ("更换电梯", 7, None)
        assert (
            await s.scalar(
                select(AuditEntry.seq)
                .where(AuditEntry.action == "governance.draft_updated")
                .order_by(AuditEntry.seq.desc())
            )
            == audited[-1].seq
        )

    # who may edit: the committee (governance:manage), not staff or owners
    for who in ("staff", "a"):
        r = await gql(EDIT, {"id": pid, "t": "改"}, token=e.tokens[who])
        assert error(r)[0] in ("FORBIDDEN", "NOT_FOUND"), (who, r)

    # another firm's committee does not find it
    other = await build_voting_estate(runtime, gql, prefix="goveditx")
    r = await gql(EDIT, {"id": pid, "t": "改"}, token=other.tokens["committee"])
    assert error(r)[0] == "NOT_FOUND", r

    # once published it is frozen
    r = await gql(PUBLISH, {"id": pid}, token=committee)
    assert not r.get("errors") and r["data"]["publishProposal"]["status"] == "published", r
    r = await gql(EDIT, {"id": pid, "t": "改"}, token=committee)
    assert error(r)[0] == "CONFLICT", r
    assert r["errors"][0]["message"] == (
        "This proposal is published, but voting has not been opened; only a draft can be edited."
    )
    ext = r["errors"][0]["extensions"]
    assert (ext["status"], ext["step"]) == ("published", "update")


async def test_a_window_in_the_past_is_refused_when_drafting_and_publishing(
    chain_runtime, gql_factory
) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="govwin")
    committee = e.tokens["committee"]
    r = await gql(
        DRAFT,
        {"c": e.community_gid(), "t": "过期", "end": iso(timedelta(minutes=-5))},
        token=committee,
    )
    assert error(r) == ("BAD_USER_INPUT", "votingEndsAt"), r
    assert "already past" in r["errors"][0]["message"]
    async with runtime.db.tenant(e.tenant_id) as s:
        assert (await s.scalars(select(m.Proposal))).all() == []

    # drafted in time, but the window passed before publishing: refused at once, still a draft
    r = await gql(
        DRAFT,
        {"c": e.community_gid(), "t": "拖延", "end": iso(timedelta(hours=1))},
        token=committee,
    )
    assert not r.get("errors"), r
    pid = r["data"]["draftProposal"]["id"]
    async with runtime.db.tenant(e.tenant_id) as s:
        await s.execute(
            update(m.Proposal).values(voting_ends_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    r = await gql(PUBLISH, {"id": pid}, token=committee)
    assert error(r) == ("BAD_USER_INPUT", "votingEndsAt"), r
    # ... and fixed by editing the draft
    r = await gql(EDIT, {"id": pid, "end": iso(timedelta(days=3))}, token=committee)
    assert not r.get("errors"), r
    r = await gql(PUBLISH, {"id": pid}, token=committee)
    assert not r.get("errors") and r["data"]["publishProposal"]["status"] == "published", r
