"""The funds service audits its own changes (``funds.<action>``), whoever calls it: a GraphQL
mutation and a direct service call leave the same audit rows, in the change's transaction."""

from __future__ import annotations

from sqlalchemy import select

from kernel.audit import AuditEntry
from plugins.funds import service
from tests.funds.test_funds_graphql import build, deposit, ok, uid


async def test_deposits_are_audited_by_the_service(runtime, gql, new_tenant):
    est = await build(runtime, gql, new_tenant)
    t = est.tenant
    flow = ok(await deposit(gql, est, "101", 100_000))["recordFundDeposit"]
    async with runtime.db.tenant(t.tenant_id) as s:
        entries = await service.deposit_batch(
            s, runtime, t.tenant_id,
            [service.DepositLine(uid(est.units["102"]), 50_000, "ICBC-B-1"), service.DepositLine(uid(est.units["201"]), 70_000, "ICBC-B-2")],
            actor="script:import",
        )
    async with runtime.db.tenant(t.tenant_id) as s:
        rows = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "funds.deposited").order_by(AuditEntry.seq)))
    assert [(r.target, r.detail) for r in rows] == [
        (str(uid(flow["id"])), {"amount": 100_000, "unit": str(uid(est.units["101"]))}),
        (str(entries[0].id), {"count": 2, "amount": 120_000}),
    ]
    assert rows[1].actor == "script:import" and rows[0].actor != "script:import"
