"""The filings inbox: the street office acknowledges a filing or returns it with a reason; the firm
sees the answer and may file a returned decision again; another street's filing is NOT_FOUND."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from strawberry import relay

from kernel.audit import AuditEntry
from plugins.governance import models as gm
from tenants.estate import service as estate

pytestmark = pytest.mark.usefixtures("fast_passwords")

INBOX = "query($s: String) { streetFilings(status: $s) { id firm community title status reason reviewedAt } }"
ACK = "mutation($id: ID!) { acknowledgeFiling(id: $id) { status reason reviewedAt } }"
RETURN = "mutation($id: ID!, $r: String!) { returnFiling(id: $id, reason: $r) { status reason reviewedAt } }"
FIRM_VIEW = "query($id: ID!) { proposal(id: $id) { filing { status reason reviewedAt } } }"


async def _filed(runtime, tenant_id: uuid.UUID, code: str, street: str, title: str) -> uuid.UUID:
    async with runtime.db.tenant(tenant_id) as s:
        community = await estate.create_community(s, code=code, name=f"{code} 社区", street_code=street)
        proposal = gm.Proposal(
            id=uuid.uuid4(), community_id=community.id, matter="PROPERTY_FIRM", title=title, body="续聘物业",
            status="final", outcome="passed", content_hash="0x" + "ab" * 32,
        )
        s.add(proposal)
        await s.flush()
        s.add(gm.Filing(proposal_id=proposal.id, street_code=street, filed_by="account:test", summary={"title": title}))
    return proposal.id


async def test_acknowledge_and_return_with_reason_the_firm_sees_the_state(runtime, gql, new_tenant, jurisdiction, regulator):
    street, other = await jurisdiction("S"), await jurisdiction("O")
    a, b = await new_tenant("fa"), await new_tenant("fb")
    pa = await _filed(runtime, a.tenant_id, "A1", street, "A 续聘物业")
    pb = await _filed(runtime, b.tenant_id, "B1", street, "B 更换物业")
    await _filed(runtime, b.tenant_id, "B9", other, "另一街道")
    label, token = await regulator(street)

    r = await gql(INBOX, {"s": "received"}, token=token)
    inbox = {f["title"]: f for f in r["data"]["streetFilings"]}
    assert set(inbox) == {"A 续聘物业", "B 更换物业"} and {f["status"] for f in inbox.values()} == {"received"}

    r = await gql(ACK, {"id": inbox["A 续聘物业"]["id"]}, token=token)
    assert r["data"]["acknowledgeFiling"]["status"] == "acknowledged" and r["data"]["acknowledgeFiling"]["reviewedAt"]
    r = await gql(RETURN, {"id": inbox["B 更换物业"]["id"], "r": "缺少业主签字材料"}, token=token)
    assert r["data"]["returnFiling"] == {"status": "returned", "reason": "缺少业主签字材料", "reviewedAt": r["data"]["returnFiling"]["reviewedAt"]}

    # answered once: a second answer is a CONFLICT
    r = await gql(RETURN, {"id": inbox["A 续聘物业"]["id"], "r": "改主意"}, token=token)
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    r = await gql(INBOX, {"s": "received"}, token=token)
    assert r["data"]["streetFilings"] == []

    # the firms see the answer on their proposal
    gid_a, gid_b = (str(relay.GlobalID("Proposal", str(p))) for p in (pa, pb))
    r = await gql(FIRM_VIEW, {"id": gid_a}, token=a.token)
    assert r["data"]["proposal"]["filing"]["status"] == "acknowledged"
    r = await gql(FIRM_VIEW, {"id": gid_b}, token=b.token)
    assert r["data"]["proposal"]["filing"] == {"status": "returned", "reason": "缺少业主签字材料", "reviewedAt": r["data"]["proposal"]["filing"]["reviewedAt"]}

    # each answer is in the firm's audit log, by the regulator
    for t, action in ((a, "regulator.filing_acknowledged"), (b, "regulator.filing_returned")):
        async with runtime.db.tenant(t.tenant_id) as s:
            entries = (await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all()
        assert len(entries) == 1 and entries[0].actor == label


async def test_another_street_or_a_foreign_id_is_not_found_and_input_is_checked(runtime, gql, new_tenant, jurisdiction, regulator):
    street, other = await jurisdiction("S"), await jurisdiction("O")
    t = await new_tenant("fc")
    await _filed(runtime, t.tenant_id, "C9", other, "另一街道")
    _, other_token = await regulator(other)
    _, token = await regulator(street)
    foreign_id = (await gql(INBOX, token=other_token))["data"]["streetFilings"][0]["id"]
    unknown_filing = str(relay.GlobalID("StreetFiling", f"{t.tenant_id}.{uuid.uuid4()}"))
    unknown_firm = str(relay.GlobalID("StreetFiling", f"{uuid.uuid4()}.{uuid.uuid4()}"))
    messages = set()
    for fid in (foreign_id, unknown_filing, unknown_firm):
        r = await gql(ACK, {"id": fid}, token=token)
        assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND", r
        messages.add(r["errors"][0]["message"])
    assert len(messages) == 1
    for variables, query in (({"id": "nope"}, ACK), ({"id": foreign_id, "r": "  "}, RETURN), ({"id": foreign_id, "r": "x" * 501}, RETURN)):
        r = await gql(query, variables, token=token)
        assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", r
    r = await gql(INBOX, {"s": "lost"}, token=token)
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # the firm's admin is no regulator
    r = await gql(ACK, {"id": foreign_id}, token=t.token)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with runtime.db.tenant(t.tenant_id) as s:
        row = await s.scalar(select(gm.Filing))
    assert row.review_status == "received"


async def test_a_district_account_answers_filings_of_its_streets(runtime, gql, new_tenant, jurisdiction, regulator):
    d = await jurisdiction("D", kind="district")
    s1 = await jurisdiction("S1", parent=d)
    t = await new_tenant("fd")
    await _filed(runtime, t.tenant_id, "D1", s1, "区内")
    _, token = await regulator(d)
    fid = (await gql(INBOX, token=token))["data"]["streetFilings"][0]["id"]
    r = await gql(ACK, {"id": fid}, token=token)
    assert r["data"]["acknowledgeFiling"]["status"] == "acknowledged"


async def test_a_returned_filing_is_filed_again_and_received_once_more(runtime, gql, new_tenant, jurisdiction, regulator):
    street = await jurisdiction("R")
    t = await new_tenant("fr")
    async with runtime.db.tenant(t.tenant_id) as s:
        community = await estate.create_community(s, code="R1", name="R1 社区", street_code=street)
        proposal = gm.Proposal(id=uuid.uuid4(), community_id=community.id, matter="OTHER", title="加装电梯", body="-", status="final", outcome="passed")
        s.add(proposal)
    pid = str(relay.GlobalID("Proposal", str(proposal.id)))
    file = "mutation($id: ID!) { fileToRegulator(id: $id) { id } }"
    r = await gql(file, {"id": pid}, token=t.token)
    assert not r.get("errors"), r
    _, token = await regulator(street)
    fid = (await gql(INBOX, token=token))["data"]["streetFilings"][0]["id"]
    r = await gql(file, {"id": pid}, token=t.token)  # not returned: filing twice is a CONFLICT
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    await gql(RETURN, {"id": fid, "r": "缺少表决票统计表"}, token=token)
    r = await gql(file, {"id": pid}, token=t.token)
    assert not r.get("errors"), r
    r = await gql(FIRM_VIEW, {"id": pid}, token=t.token)
    assert r["data"]["proposal"]["filing"] == {"status": "received", "reason": None, "reviewedAt": None}
    again = (await gql(INBOX, {"s": "received"}, token=token))["data"]["streetFilings"]
    assert [f["id"] for f in again] == [fid]
    r = await gql(ACK, {"id": fid}, token=token)
    assert r["data"]["acknowledgeFiling"]["status"] == "acknowledged"
