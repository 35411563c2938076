"""Every GraphQL example of docs/regulator.md runs against a freshly seeded demo, logged in as the
demo's street office (and district), and answers data — no errors, the demo's real street."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from plugins.governance import models as gm
from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, DEMO_STREET, seed_demo
from tenants.estate import models as em

pytestmark = pytest.mark.usefixtures("fast_passwords")
DOC = Path(__file__).resolve().parents[2] / "docs" / "regulator.md"


def examples() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


async def _two_filings(runtime, tenant_id: uuid.UUID) -> None:
    async with runtime.db.tenant(tenant_id) as s:
        community = await s.scalar(select(em.Community).where(em.Community.code == "C001"))
        for title in ("续聘物业", "电梯加装"):
            p = gm.Proposal(id=uuid.uuid4(), community_id=community.id, matter="OTHER", title=title, body="-", status="final", outcome="passed")
            s.add(p)
            await s.flush()
            s.add(gm.Filing(proposal_id=p.id, street_code=community.street_code, filed_by="account:demo", summary={}))


async def test_the_docs_examples_run_against_the_demo(runtime, gql):
    result = await seed_demo(runtime, units=40)
    assert ("demo-street", DEMO_STREET[0]) in result.regulator_logins
    blocks = examples()
    assert len(blocks) >= 8 and "BJ-001" not in DOC.read_text(encoding="utf-8")
    login = next(b for b in blocks if "login(" in b)
    r = await gql(login)
    assert not r.get("errors"), r
    token = r["data"]["login"]["accessToken"]
    district = await gql.login("demo-district", DEMO_PASSWORD)

    received = '{ streetFilings(status: "received") { id } }'
    # other tests' firms may have filed with the same street (the database is the session's)
    before = (await gql(received, token=token))["data"]["streetFilings"]
    await _two_filings(runtime, result.tenant_id)
    filings = (await gql(received, token=token))["data"]["streetFilings"]
    assert len(filings) == len(before) + 2
    ids = iter(f["id"] for f in filings[-2:])  # oldest first: the demo's two are the newest
    for block in blocks:
        if block is login:
            continue
        variables = {"id": next(ids)} if "$id" in block else None
        r = await gql(block, variables, token=token)
        assert not r.get("errors"), (block, r)
        assert r["data"] and all(v is not None for v in r["data"].values()), (block, r)
        if "regulatorKpis" in block:
            communities = {g["community"] for k in r["data"]["regulatorKpis"]["kpis"] for g in k["groups"] if g["level"] == "community"}
            # the demo's two communities (other tests' firms may have communities in the same street)
            assert {"幸福里社区", "和睦园社区"} <= communities, r
        if "myJurisdiction" in block:
            assert r["data"]["myJurisdiction"]["code"] == DEMO_STREET[0]
        if "$id" not in block and "regulatorKpis" not in block:
            r = await gql(block, variables, token=district)  # the district sees the same street
            assert not r.get("errors"), (block, r)
    r = await gql("{ myJurisdiction { kind streets { code } } regulatorKpis(keys: [\"fees.collection_rate\"]) { kpis { groups { level street } } } }", token=district)
    assert r["data"]["myJurisdiction"] == {"kind": "district", "streets": [{"code": DEMO_STREET[0]}]}
    # a district with one street still gets its street's group (issue 14: it had none)
    levels = [g["level"] for g in r["data"]["regulatorKpis"]["kpis"][0]["groups"]]
    assert set(levels) == {"community", "firm", "street", "jurisdiction"} and levels.count("street") == 1
    assert next(g for g in r["data"]["regulatorKpis"]["kpis"][0]["groups"] if g["level"] == "street")["street"] == DEMO_STREET[0]
    assert DEMO_SLUG in {g.get("firmSlug", DEMO_SLUG) for g in r["data"]["regulatorKpis"]["kpis"][0]["groups"]}
