"""The chain indexer: project the contract events of every community deployment into ``chain_events``, and
reconcile those projections (and the relayer's records) with the contracts' views.

:func:`index_deployment` reads the logs of a deployment's four contracts from the block after
``indexed_block`` and stores each decoded event once (unique per transaction hash and log index); the cursor
and the events commit together. :func:`reconcile` recomputes, from the indexed events, what the chain's views
must say — every proposal's tally, the registry's unit count, the audit anchor count — and lists any
difference. :func:`anchor_audit_heads` queues the anchoring of each tenant's audit-log head (the hash
chain's last hash and entry count) in the ``AuditAnchor`` of the tenant's first community.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.plugins.contributions import ScheduledJob

from .models import CONTRACTS, ChainDeployment, ChainEvent, ChainUnit
from .relay import ARTIFACTS, chain_client, decode_receipt_events, enqueue_chain_call

__all__ = [
    "INDEX_INTERVAL_SECONDS",
    "ANCHOR_INTERVAL_SECONDS",
    "Reconciliation",
    "anchor_audit_heads",
    "anchor_tenant_audit_head",
    "index_all",
    "index_deployment",
    "kernel_chain_jobs",
    "reconcile",
]

log = structlog.get_logger("linli.chain.indexer")

INDEX_INTERVAL_SECONDS = 15.0
ANCHOR_INTERVAL_SECONDS = 3600.0
#: Blocks read per contract and run (a JSON-RPC node limits log ranges).
MAX_BLOCKS = 5000


async def index_deployment(runtime: Any, session: AsyncSession, deployment: ChainDeployment, *, max_blocks: int = MAX_BLOCKS) -> int:
    """Project the deployment's new events; returns how many were stored."""
    client = await chain_client(runtime)
    latest = int(await client.w3.eth.block_number)
    start = max(deployment.indexed_block + 1, deployment.deployed_block)
    end = min(latest, start + max_blocks - 1)
    if start > end:
        return 0
    stored = 0
    for contract in CONTRACTS:
        address = deployment.address_of(contract)
        logs = await client.w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end})
        events = decode_receipt_events(client, ARTIFACTS[contract], address, list(logs))
        if not events:
            continue
        hashes = list({e["tx_hash"] for e in events})
        seen = set((await session.execute(select(ChainEvent.tx_hash, ChainEvent.log_index).where(ChainEvent.tx_hash.in_(hashes)))).all())
        for e in events:
            if (e["tx_hash"], e["log_index"]) in seen:
                continue
            session.add(
                ChainEvent(
                    community_id=deployment.community_id,
                    contract=contract,
                    event=e["event"],
                    args=e["args"],
                    block_number=e["block_number"],
                    tx_hash=e["tx_hash"],
                    log_index=e["log_index"],
                )
            )
            stored += 1
    deployment.indexed_block = end
    await session.flush()
    return stored


async def _active_tenants(runtime: Any) -> list[uuid.UUID]:
    from kernel.tenancy import Tenant, TenantStatus

    async with runtime.db.platform() as s:
        return list((await s.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE))).all())


async def index_all(runtime: Any) -> int:
    """The scheduled job: index every deployment of every active tenant (tenant scope and RLS stay on)."""
    total = 0
    for tenant_id in await _active_tenants(runtime):
        async with runtime.db.tenant(tenant_id) as s:
            deployments = (await s.scalars(select(ChainDeployment))).all()
            if not deployments:
                continue
            for d in deployments:
                if d.chain_id != (await chain_client(runtime)).chain_id:
                    continue  # recorded on another chain (e.g. a previous embedded EVM)
                total += await index_deployment(runtime, s, d)
    return total


@dataclass
class Reconciliation:
    """What the indexed events say versus what the contracts' views say."""

    community_id: uuid.UUID
    checked: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


async def reconcile(runtime: Any, session: AsyncSession, community_id: uuid.UUID) -> Reconciliation:
    """Compare the projections of one community with the chain (index first for an up-to-date answer).

    Checks every proposal's tally against the sum of its indexed ``VoteCast`` events (area and persons per
    option), the registry's ``unitCount`` against ``UnitRegistered`` events and the units the platform
    registered, and ``anchorCount`` against ``Anchored`` events.
    """
    result = Reconciliation(community_id)
    deployment = await session.scalar(select(ChainDeployment).where(ChainDeployment.community_id == community_id))
    if deployment is None:
        result.mismatches.append("no deployment")
        return result
    client = await chain_client(runtime)
    events = (await session.scalars(select(ChainEvent).where(ChainEvent.community_id == community_id))).all()
    by_name: dict[str, list[ChainEvent]] = defaultdict(list)
    for e in events:
        by_name[e.event].append(e)

    gov = client.contract("OwnersGovernance", deployment.governance)
    sums: dict[int, list[int]] = defaultdict(lambda: [0] * 6)  # againstArea, forArea, abstainArea, persons x3
    for e in by_name["VoteCast"]:
        support = int(e.args["support"])
        s = sums[int(e.args["proposalId"])]
        s[support] += int(e.args["area"])
        s[3 + support] += 1
    for e in by_name["ProposalCreated"]:
        pid = int(e.args["proposalId"])
        tally = [int(x) for x in await client.call(gov.functions.proposalTally(pid))]
        if tally != sums[pid]:
            result.mismatches.append(f"proposal {pid}: chain tally {tally} != indexed votes {sums[pid]}")
    result.checked["proposals"] = len(by_name["ProposalCreated"])
    result.checked["votes"] = len(by_name["VoteCast"])

    registry = client.contract("OwnersRegistry", deployment.registry)
    unit_count = int(await client.call(registry.functions.unitCount()))
    ours = len((await session.scalars(select(ChainUnit.id).where(ChainUnit.community_id == community_id))).all())
    if unit_count != len(by_name["UnitRegistered"]):
        result.mismatches.append(f"registry: unitCount {unit_count} != indexed UnitRegistered {len(by_name['UnitRegistered'])}")
    if unit_count != ours:
        result.mismatches.append(f"registry: unitCount {unit_count} != units registered by the platform {ours}")
    result.checked["units"] = unit_count

    audit = client.contract("AuditAnchor", deployment.audit)
    anchors = int(await client.call(audit.functions.anchorCount()))
    if anchors != len(by_name["Anchored"]):
        result.mismatches.append(f"audit: anchorCount {anchors} != indexed Anchored {len(by_name['Anchored'])}")
    result.checked["anchors"] = anchors
    if result.mismatches:
        log.warning("chain_reconcile_mismatch", community_id=str(community_id), mismatches=result.mismatches)
    return result


async def anchor_tenant_audit_head(session: AsyncSession) -> str | None:
    """Queue the anchoring of this tenant's audit head in its first community's ``AuditAnchor``.

    Returns the intent, or ``None`` when there is nothing to anchor (no deployment, empty log). Re-queuing
    the same head is ignored (same intent); a head anchored already reverts ``AuditAnchorCountNotIncreasing``,
    which the relayer counts as done.
    """
    from kernel.audit import AuditHead

    tenant_id = session.info["tenant_id"]
    head = await session.get(AuditHead, tenant_id)
    if head is None or head.seq == 0:
        return None
    deployment = await session.scalar(select(ChainDeployment).order_by(ChainDeployment.created_at).limit(1))
    if deployment is None:
        return None
    intent = f"audit:{deployment.community_id}:{head.seq}"
    await enqueue_chain_call(
        session,
        community_id=deployment.community_id,
        contract="audit",
        function="anchor",
        args=["0x" + head.hash, head.seq],
        intent=intent,
    )
    return intent


async def anchor_audit_heads(runtime: Any) -> int:
    """The scheduled job: anchor every active tenant's audit head (through the relayer)."""
    queued = 0
    for tenant_id in await _active_tenants(runtime):
        async with runtime.db.tenant(tenant_id) as s:
            if await anchor_tenant_audit_head(s):
                queued += 1
    if queued:
        runtime.poke_workers()
    return queued


def kernel_chain_jobs() -> list[ScheduledJob]:
    """The kernel's chain jobs: the indexer and the audit anchoring."""

    async def run_index(runtime: Any) -> None:
        await index_all(runtime)

    async def run_anchor(runtime: Any) -> None:
        await anchor_audit_heads(runtime)

    return [
        ScheduledJob("chain.indexer", INDEX_INTERVAL_SECONDS, run_index),
        ScheduledJob("chain.audit_anchor", ANCHOR_INTERVAL_SECONDS, run_anchor),
    ]
