"""Demo data: one proposal open for voting in the demo tenant (used by ``linli demo`` and the client tests)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from strawberry import relay

from kernel.sdk import chain_client, devchain, forget_chain_state, tenant_id_by_slug, utcnow
from kernel.sdk.estate import Community
from kernel.sdk.runtime import Runtime
from plugins.governance import models as m
from plugins.governance import service
from plugins.governance.routes import demo_document_ref

DEMO_TITLE = "关于使用专项维修资金更换1幢电梯的决定"
DEMO_BODY = (
    "1幢两部电梯已运行十八年，年检多次整改。业主委员会提议使用专项维修资金更换两部电梯，"
    "预算 98 万元，按专有部分面积分摊至本小区各户。请各位业主在表决期内投票。"
)


async def _relay(runtime: Runtime, tenant_id: uuid.UUID) -> None:
    """Deliver the tenant's outbox now (the relayer puts the demo proposal on chain before the command
    returns), through :meth:`~kernel.sdk.runtime.Runtime.deliver_outbox`."""
    await runtime.deliver_outbox(tenant_id)


async def seed_governance_demo(
    runtime: Runtime, tenant_id: uuid.UUID, *, community_code: str = "C001", title: str = DEMO_TITLE
) -> dict[str, Any]:
    """Draft, publish and open a USE_FUND proposal in the demo tenant's community (idempotent per
    ``title``; tests open further proposals under other titles). The voting window runs 14 days
    from opening by the chain's clock, so a proposal opened after a development chain's clock was
    moved ahead is open too.

    Runs the relayer until the proposal is on chain and, on development chains, moves the chain clock past
    the start of the voting window, so owners can vote at once. Returns ``proposal_id`` (GraphQL id),
    ``proposal_uuid``, ``community_id`` (GraphQL id), ``chain_proposal_id``, ``governance_address``, ``chain_id``.
    """
    actor = service.Actor(label="system:demo", account_id=None, tenant_id=tenant_id)
    async with runtime.db.tenant(tenant_id) as s:
        community = await s.scalar(select(Community).where(Community.code == community_code))
        if community is None:
            community = await s.scalar(select(Community).order_by(Community.code))
        if community is None:
            raise LookupError("the demo tenant has no community; run `linli demo` first")
        row = await s.scalar(select(m.Proposal).where(m.Proposal.community_id == community.id, m.Proposal.title == title))
        if row is None:
            row = await service.draft(
                s,
                actor,
                community_id=community.id,
                matter="USE_FUND",
                title=title,
                body=DEMO_BODY,
                estimated_cost_fen=98_000_000,
                documents=[{"name": "电梯更换方案及预算.txt", **demo_document_ref("elevator-plan.txt")}],
            )
            await service.publish(runtime, s, actor, row)
        proposal_id, community_id = row.id, community.id
    await _relay(runtime, tenant_id)
    async with runtime.db.tenant(tenant_id) as s:
        row = await service.get_proposal(s, proposal_id)
        if row.status == "published":
            await service.open_voting(runtime, s, actor, row)
    for _ in range(5):
        await _relay(runtime, tenant_id)
        async with runtime.db.tenant(tenant_id) as s:
            row = await service.refresh(runtime, s, await service.get_proposal(s, proposal_id))
            chain_proposal_id = row.chain_proposal_id
            deployment = await service._deployment(s, row)  # noqa: SLF001 - same plugin
        if chain_proposal_id:
            break
    client = await chain_client(runtime)
    try:
        await devchain.increase_time(client, service.START_DELAY + 1)
    except Exception as exc:  # a production chain: the window opens by itself a few seconds later
        structlog.get_logger("linli.governance").info("governance_demo_clock_not_moved", reason=type(exc).__name__)
    return {
        "proposal_id": str(relay.GlobalID("Proposal", str(proposal_id))),
        "proposal_uuid": str(proposal_id),
        "community_id": str(relay.GlobalID("Community", str(community_id))),
        "chain_proposal_id": chain_proposal_id,
        "governance_address": deployment.address_of("governance"),
        "chain_id": deployment.chain_id,
    }


FILED_TITLE = "关于续聘物业服务企业的决定"
FILED_BODY = "业主大会于上季度以书面形式表决，同意续聘现物业服务企业三年，服务标准与收费标准不变。"


async def seed_filed_decision(runtime: Runtime, tenant_id: uuid.UUID, *, community_code: str = "C001") -> None:
    """A decision the owners took last quarter, before the firm's votes ran on Linli (a paper vote,
    so nothing on chain), recorded as final and filed with the street office (备案) through
    :func:`service.file_to_regulator` — the street office's filings inbox has something to answer.
    Seeded with the demo's open proposal by ``linli demo`` (:func:`reseed_on_embedded_chain`, or
    ``on_demo_seeded`` with an external chain); idempotent per title."""
    actor = service.Actor(label="system:demo", account_id=None, tenant_id=tenant_id)
    async with runtime.db.tenant(tenant_id) as s:
        community = await s.scalar(select(Community).where(Community.code == community_code))
        if community is None:
            community = await s.scalar(select(Community).order_by(Community.code))
        if community is None:
            return
        community_id = community.id
        if await s.scalar(select(m.Proposal.id).where(m.Proposal.community_id == community_id, m.Proposal.title == FILED_TITLE)):
            return
        decided = utcnow() - timedelta(days=40)
        row = m.Proposal(
            id=uuid.uuid4(), community_id=community_id, matter="PROPERTY_FIRM", title=FILED_TITLE, body=FILED_BODY, status="final",
            outcome="passed", voting_starts_at=decided - timedelta(days=14), voting_ends_at=decided,
            published_at=decided - timedelta(days=21), created_by="system:demo",
        )
        s.add(row)
        await s.flush()
        await service.file_to_regulator(runtime, s, actor, row)


DEMO_ENV = "LINLI_DEMO_GOVERNANCE"


async def reseed_on_embedded_chain(runtime: Runtime) -> dict[str, Any] | None:
    """``linli demo`` on the embedded EVM: seed the demo proposal on the serving process's chain — when there
    is none yet, or when the chain no longer holds the recorded contracts (an embedded EVM kept in memory
    only). The embedded default keeps its chain in ``<data_dir>/chain``, so a restarted demo keeps its
    proposal and the votes cast on it. Otherwise forget the demo tenant's chain records and governance rows
    and seed them again.

    Only runs when ``LINLI_DEMO_GOVERNANCE=1`` (set by ``linli demo``) and no ``LINLI_CHAIN_URL`` is set.
    """
    import os

    from sqlalchemy import delete, func, select

    from kernel.sdk.chain import chain_records_stale

    if os.environ.get(DEMO_ENV) != "1" or runtime.settings.chain_url:
        return None
    tenant_id = await tenant_id_by_slug(runtime, "demo")
    if tenant_id is None:
        return None
    async with runtime.db.tenant(tenant_id) as s:
        seeded = await s.scalar(select(func.count()).select_from(m.Proposal))
        if seeded and not await chain_records_stale(runtime, s):
            return None  # the embedded chain kept its state (<data_dir>/chain): owners' votes stand
    async with runtime.db.tenant(tenant_id) as s:
        for model in (m.Vote, m.Objection, m.Filing, m.ProposalDocument, m.Proposal):
            await s.execute(delete(model))
        await forget_chain_state(s)
    seeded_now = await seed_governance_demo(runtime, tenant_id)
    await seed_filed_decision(runtime, tenant_id)
    return seeded_now
