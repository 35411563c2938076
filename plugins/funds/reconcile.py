"""Reconciliation of the database mirror against the chain (and against itself).

Two checks, each enough to catch a tampered row:

1. **Internal**: the community's totals must equal what its rows add up to — the sum of the sub-ledgers
   equals ``sub_ledger_total``, ``sub_ledger_total + unallocated == fund_balance``, and every sub-ledger's
   balance equals the sum of its flows (deposits and credits minus debits).
2. **Chain**: ``fundBalance``, ``subLedgerTotal``, ``unallocated``, ``welfareBalance``, ``revenueFundBps`` and
   every unit's balance must equal the contract's views. Skipped while fund transactions are still queued
   (the mirror is written first and leads the chain until the relayer confirms them).

Any mismatch is stored in ``fund_reconciliations``, written to the audit log and published as the event
``funds.reconciliation_mismatch`` (an alarm other plugins and operators subscribe to).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import Event, audit, enabled_plugins, utcnow
from kernel.sdk.runtime import Runtime
from plugins.funds import chain
from plugins.funds.models import FundAccount, FundEntry, FundReconciliation, FundSubLedger
from plugins.funds.service import EVENT_MISMATCH

log = structlog.get_logger("linli.funds")

CREDIT_KINDS = ("deposit", "allocation")
DEBIT_KINDS = ("disbursement", "emergency")


@dataclass
class Report:
    community_id: uuid.UUID
    ok: bool = True
    chain_checked: bool = False
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    def mismatch(self, what: str, database: int, expected: int, source: str, unit_id: uuid.UUID | None = None) -> None:
        self.ok = False
        self.mismatches.append({"what": what, "database": database, "expected": expected, "source": source, "unit_id": str(unit_id) if unit_id else None})


async def reconcile_community(session: AsyncSession, community_id: uuid.UUID, view: chain.FundView | None) -> Report:
    """Compare one community's mirror with its own rows and, when ``view`` is given and nothing is queued, the chain."""
    report = Report(community_id)
    account = await session.scalar(select(FundAccount).where(FundAccount.community_id == community_id))
    if account is None:
        return report
    ledgers = (await session.scalars(select(FundSubLedger).where(FundSubLedger.community_id == community_id).order_by(FundSubLedger.chain_unit_id))).all()
    total = sum(r.balance for r in ledgers)
    if total != account.sub_ledger_total:
        report.mismatch("sub_ledger_total", account.sub_ledger_total, total, "sum of sub-ledgers")
    if account.sub_ledger_total + account.unallocated != account.fund_balance:
        report.mismatch("fund_balance", account.fund_balance, account.sub_ledger_total + account.unallocated, "sub-ledgers + unallocated")
    signed = case((FundEntry.kind.in_(CREDIT_KINDS), FundEntry.amount), (FundEntry.kind.in_(DEBIT_KINDS), -FundEntry.amount), else_=0)
    flows = dict(
        (await session.execute(
            select(FundEntry.unit_id, func.coalesce(func.sum(signed), 0)).where(FundEntry.community_id == community_id, FundEntry.unit_id.is_not(None)).group_by(FundEntry.unit_id)
        )).all()
    )
    for r in ledgers:
        if int(flows.get(r.unit_id, 0)) != r.balance:
            report.mismatch("unit_balance", r.balance, int(flows.get(r.unit_id, 0)), "sum of the unit's flows", r.unit_id)
    for tx in await chain.failed_fund_calls(session, community_id):
        report.mismatch(f"chain_refused:{tx.function}:{tx.error_name}", 0, 0, f"chain transaction {tx.intent}")
    if view is None or await chain.pending_fund_calls(session, community_id):
        return report
    report.chain_checked = True
    on_chain = await view.totals()
    for name, mine in (
        ("fundBalance", account.fund_balance), ("subLedgerTotal", account.sub_ledger_total), ("unallocated", account.unallocated),
        ("welfareBalance", account.welfare_balance), ("revenueFundBps", account.revenue_fund_bps),
    ):
        if on_chain[name] != mine:
            report.mismatch(name, mine, on_chain[name], "chain")
    balances = await view.balances_of([r.chain_unit_id for r in ledgers])
    for r, b in zip(ledgers, balances, strict=True):
        if r.balance != b:
            report.mismatch("unit_balance", r.balance, b, "chain", r.unit_id)
    return report


async def run_reconciliation(runtime: Runtime, session: AsyncSession, tenant_id: uuid.UUID, community_id: uuid.UUID, *, actor: str = "system:funds") -> Report:
    """Reconcile one community, record the run, and raise the alarm on a mismatch."""
    view = await chain.fund_view_for(runtime, session, community_id)
    report = await reconcile_community(session, community_id, view)
    session.add(FundReconciliation(community_id=community_id, ran_at=utcnow(), ok=report.ok, mismatches=report.mismatches))
    if not report.ok:
        log.error("funds_reconciliation_mismatch", tenant=str(tenant_id), community=str(community_id), count=len(report.mismatches))
        await audit(session, tenant_id=tenant_id, actor=actor, action=EVENT_MISMATCH, target=str(community_id), detail={"mismatches": report.mismatches[:20]})
        await runtime.bus.publish(session, Event(EVENT_MISMATCH, tenant_id, {"community_id": str(community_id), "mismatches": report.mismatches[:50]}, actor=actor))
    await session.flush()
    return report


async def reconcile_all(runtime: Runtime, *, only: set[uuid.UUID] | None = None) -> list[Report]:
    """The scheduled job: reconcile every community's fund in every active tenant that enabled the plugin."""
    from kernel.sdk.tenants import all_tenants as list_tenants

    reports: list[Report] = []
    for tenant in await list_tenants(runtime):
        if not tenant.is_active or (only is not None and tenant.id not in only):
            continue
        try:
            async with runtime.db.tenant(tenant.id) as session:
                if "funds" not in await enabled_plugins(session):
                    continue
                for community_id in (await session.scalars(select(FundAccount.community_id))).all():
                    reports.append(await run_reconciliation(runtime, session, tenant.id, community_id))
        except Exception:
            log.exception("funds_reconciliation_failed", tenant=str(tenant.id))
    return reports
