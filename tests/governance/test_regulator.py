"""The street office (regulator) reads owners' decisions filed by every firm in its jurisdiction,
through explicit audited per-tenant reads — and nothing else."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.identity.platform import create_platform_account
from plugins.governance import models as gm
from tenants.estate import service as estate

PASSWORD = "street office 2026"
QUERY = "{ streetFilings { firm community title matter outcome contentHash } }"


async def _filed_decision(runtime, tenant_id: uuid.UUID, code: str, street: str, title: str) -> None:
    async with runtime.db.tenant(tenant_id) as s:
        community = await estate.create_community(s, code=code, name=f"{code} 社区", street_code=street)
        proposal = gm.Proposal(
            id=uuid.uuid4(), community_id=community.id, matter="PROPERTY_FIRM", title=title, body="续聘物业",
            status="final", outcome="passed", content_hash="0x" + "ab" * 32,
        )
        s.add(proposal)
        await s.flush()
        s.add(gm.Filing(proposal_id=proposal.id, street_code=street, filed_by="account:test", summary={"title": title}))


async def test_regulator_sees_filings_of_its_street_across_firms_and_each_read_is_audited(runtime, gql, new_tenant):
    street = f"S-{uuid.uuid4().hex[:6]}"
    a, b = await new_tenant("ra"), await new_tenant("rb")
    await _filed_decision(runtime, a.tenant_id, "A1", street, "A 续聘物业")
    await _filed_decision(runtime, b.tenant_id, "B1", street, "B 更换物业")
    await _filed_decision(runtime, b.tenant_id, "B2", "OTHER-STREET", "not ours")
    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        account = await create_platform_account(s, username, PASSWORD, "滨江街道办", regulator_street_code=street)

    token = await gql.login(username, PASSWORD)
    r = await gql(QUERY, token=token)
    assert not r.get("errors"), r
    titles = sorted(f["title"] for f in r["data"]["streetFilings"])
    assert titles == ["A 续聘物业", "B 更换物业"]
    assert {f["firm"] for f in r["data"]["streetFilings"]} == {f"{a.slug} 物业", f"{b.slug} 物业"}

    for t in (a, b):
        async with runtime.db.tenant(t.tenant_id) as s:
            reads = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "regulator.read_filings"))).all()
        assert len(reads) == 1 and reads[0].actor == f"regulator:{account.id}"

    # the regulator has no tenant: tenant data stays closed to it
    r = await gql("{ communities { edges { node { name } } } }", token=token)
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await gql("{ myProposals { id } }", token=token)
    assert r["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")


async def test_a_tenant_admin_is_not_a_regulator(gql, new_tenant):
    t = await new_tenant("rc")
    r = await gql(QUERY, token=t.token)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    r = await gql(QUERY)
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
