"""The chain indexer: project the contract events of every community deployment into ``chain_events`` (and,
through the contributions' projections, into the plugins' tables), and reconcile those projections (and the
relayer's records) with the contracts' views.

:func:`index_deployment` reads the logs of each of a community's contracts from the block after its
``indexed_block`` and stores each decoded event once (unique per transaction hash and log index), handing
each new event to the projection its contract's contribution declares for that event name; cursors, events
and projections commit together. :func:`reconcile` runs every contribution's reconcile check (the kernel's:
the registry's unit count and the audit anchor count against indexed events) and lists any difference.
:func:`anchor_audit_heads` queues the anchoring of each tenant's audit-log head (the hash
chain's last hash and entry count) in the ``AuditAnchor`` of the tenant's first community.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.plugins.contributions import ScheduledJob

from .catalog import contract_catalog
from .models import ChainDeployment, ChainEvent
from .relay import (
    CommunityContracts,
    chain_client,
    decode_receipt_events,
    deployment_for,
    enqueue_chain_call,
)

if TYPE_CHECKING:
    from .client import ChainClient

__all__ = [
    "INDEX_INTERVAL_SECONDS",
    "ANCHOR_INTERVAL_SECONDS",
    "ProjectionContext",
    "ReconcileContext",
    "Reconciliation",
    "anchor_audit_heads",
    "audit_anchors",
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


@dataclass(frozen=True)
class ProjectionContext:
    """What an event projection gets: the new event (already stored in ``chain_events``) and the indexer's
    tenant session (write the plugin's tables in it; raising rolls the whole run back, retried next run)."""

    runtime: Any
    session: AsyncSession
    community_id: uuid.UUID
    contract: str
    event: ChainEvent


async def index_deployment(runtime: Any, session: AsyncSession, deployment: CommunityContracts, *, max_blocks: int = MAX_BLOCKS) -> int:
    """Project the new events of the community's contracts; returns how many were stored."""
    client = await chain_client(runtime)
    latest = int(await client.w3.eth.block_number)
    catalog = contract_catalog(runtime)
    stored = 0
    for row in deployment.rows.values():
        start = max(row.indexed_block + 1, row.deployed_block)
        end = min(latest, start + max_blocks - 1)
        if start > end:
            continue
        stored += await _index_contract(runtime, session, client, row, start, end, catalog.contribution(row.contract))
        row.indexed_block = end
    await session.flush()
    return stored


async def _index_contract(
    runtime: Any, session: AsyncSession, client: ChainClient, row: ChainDeployment, start: int, end: int, contribution: Any
) -> int:
    logs = await client.w3.eth.get_logs({"address": row.address, "fromBlock": start, "toBlock": end})
    events = decode_receipt_events(client, row.artifact, row.address, list(logs))
    if not events:
        return 0
    hashes = list({e["tx_hash"] for e in events})
    seen = set((await session.execute(select(ChainEvent.tx_hash, ChainEvent.log_index).where(ChainEvent.tx_hash.in_(hashes)))).all())
    projections = contribution.projections if contribution is not None else {}
    stored = 0
    for e in events:
        if (e["tx_hash"], e["log_index"]) in seen:
            continue
        event = ChainEvent(
            community_id=row.community_id,
            contract=row.contract,
            event=e["event"],
            args=e["args"],
            block_number=e["block_number"],
            tx_hash=e["tx_hash"],
            log_index=e["log_index"],
        )
        session.add(event)
        stored += 1
        projection = projections.get(e["event"])
        if projection is not None:
            await projection(ProjectionContext(runtime, session, row.community_id, row.contract, event))
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
            communities = (await s.scalars(select(ChainDeployment.community_id).distinct())).all()
            for community_id in communities:
                d = await deployment_for(s, community_id)
                if d is None or d.chain_id != (await chain_client(runtime)).chain_id:
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


@dataclass
class ReconcileContext:
    """What a contribution's ``reconcile`` check gets: the community's contracts and indexed events, the
    chain client, and where to report (``mismatch(text)``, ``checked[name] = count``)."""

    runtime: Any
    session: AsyncSession
    client: ChainClient
    deployment: CommunityContracts
    result: Reconciliation
    by_name: dict[str, list[ChainEvent]]

    @property
    def community_id(self) -> uuid.UUID:
        return self.deployment.community_id

    @property
    def checked(self) -> dict[str, int]:
        return self.result.checked

    def events(self, name: str) -> list[ChainEvent]:
        """The community's indexed events called ``name``."""
        return self.by_name.get(name, [])

    def contract(self, role: str) -> Any:
        """A handle on the community's ``role`` contract."""
        row = self.deployment.rows[role]
        return self.client.contract(row.artifact, row.address)

    def mismatch(self, text: str) -> None:
        self.result.mismatches.append(text)


async def reconcile(runtime: Any, session: AsyncSession, community_id: uuid.UUID) -> Reconciliation:
    """Compare the projections of one community with the chain (index first for an up-to-date answer).

    Runs the reconcile check of every contribution whose contracts the community has: the kernel's compares
    the registry's ``unitCount`` with ``UnitRegistered`` events and the units the platform registered, and
    ``anchorCount`` with ``Anchored`` events; plugins compare their own (e.g. every proposal's tally).
    """
    result = Reconciliation(community_id)
    deployment = await deployment_for(session, community_id)
    if deployment is None:
        result.mismatches.append("no deployment")
        return result
    client = await chain_client(runtime)
    by_name: dict[str, list[ChainEvent]] = defaultdict(list)
    for e in (await session.scalars(select(ChainEvent).where(ChainEvent.community_id == community_id))).all():
        by_name[e.event].append(e)
    ctx = ReconcileContext(runtime, session, client, deployment, result, by_name)
    for _, contribution in contract_catalog(runtime).ordered():
        if contribution.reconcile is not None and set(contribution.roles) <= set(deployment.roles):
            await contribution.reconcile(ctx)
    if result.mismatches:
        log.warning("chain_reconcile_mismatch", community_id=str(community_id), mismatches=result.mismatches)
    return result


async def _audit_deployment(session: AsyncSession) -> ChainDeployment | None:
    """The tenant's audit anchor: the ``audit`` contract of its first community."""
    return await session.scalar(
        select(ChainDeployment).where(ChainDeployment.contract == "audit").order_by(ChainDeployment.created_at).limit(1)
    )


async def audit_anchors(runtime: Any, session: AsyncSession) -> list[Any] | None:
    """Every anchor of this tenant's audit log, read from the chain (not from the indexed events, which live
    in the database being checked); ``None`` when the tenant has no anchor contract on the current chain
    (none deployed, deployed on another chain, or no code at the recorded address).
    One call per anchor: at most one anchor per hour of activity."""
    from kernel.audit import Anchor

    deployment = await _audit_deployment(session)
    client = await chain_client(runtime)
    if deployment is None or deployment.chain_id != client.chain_id:
        return None
    if not await client.w3.eth.get_code(deployment.address):
        return None  # recorded, but not on this chain (e.g. an embedded EVM that was not kept)
    contract = client.contract(deployment.artifact, deployment.address)
    anchors = []
    for i in range(int(await client.call(contract.functions.anchorCount()))):
        head, count, _ts, _block = await client.call(contract.functions.anchorAt(i))
        anchors.append(Anchor(entry_count=int(count), head=bytes(head).hex()))
    return anchors


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
    deployment = await _audit_deployment(session)
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
