"""Reading proposals: who may see which (``readable_statement``) and what a read shows.

A read never writes. The stored status moves on write: in the mutations (``service.close_voting``,
``finalize``, ... call ``service.refresh``) and in the ``chain.transaction_done`` handler once the
relayer confirms a call (``service.on_chain_done``). Between a confirmation and its handler, a read
shows the state the handler will store (:func:`displayed_state`, computed from the recorded
transactions) — without audit rows or events, which the handler writes once.

A list loads what it shows in a fixed number of queries (:func:`views`): the chain transactions of
every row, the names of every scope building, and the deployment of each community — not one
query per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import ChainTransaction, CommunityContracts, deployment_for, utcnow
from kernel.sdk.estate import Building, Community, Unit
from kernel.sdk.repository import Repository, Viewer
from plugins.governance import models as m
from plugins.governance.service import OUTCOMES, STATUS_OF_OUTCOME, covers_account, intent

#: The intents whose confirmation moves a proposal, by the status it moves from.
_MOVING = {"voting": "propose", "preliminary": "publish", "objection": "finalize"}


def is_reader(actor: Viewer) -> bool:
    return actor.allowed("governance", "read") or actor.allowed("governance", "manage")


class ProposalRepository(Repository[m.Proposal]):
    model = m.Proposal

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        """Readers (``governance:read`` or ``:manage``) see every proposal; voters the published
        ones (and of those, :meth:`visible` keeps the ones covering their units); others none."""
        stmt = self.base_statement()
        if is_reader(actor):
            return stmt
        if actor.allowed("governance", "vote"):
            return stmt.where(m.Proposal.status != "draft")
        return stmt.where(false())

    async def visible(self, proposal_id: uuid.UUID, actor: Viewer) -> m.Proposal | None:
        """The proposal if ``actor`` may see it (a voter: one covering one of their units)."""
        row = await self.get_by_id(proposal_id, actor=actor)
        if row is None or is_reader(actor):
            return row
        return row if await covers_account(self.session, row, actor.account_id) else None

    async def covering(self, actor: Viewer, *, limit: int = 200) -> list[m.Proposal]:
        """Published proposals covering one of ``actor``'s units, newest first."""
        rows = (
            await self.session.scalars(
                self.base_statement().where(m.Proposal.status != "draft").order_by(m.Proposal.created_at.desc()).limit(limit)
            )
        ).all()
        return [r for r in rows if await covers_account(self.session, r, actor.account_id)]


@dataclass(frozen=True)
class DisplayedState:
    status: str
    chain_proposal_id: str | None
    objection_ends_at: datetime | None


def displayed_state(row: m.Proposal, transactions: dict[str, ChainTransaction]) -> DisplayedState:
    """What ``service.refresh`` would store for ``row`` given its recorded transactions — without
    storing it. A result published by another party (no event in the receipt) is left to the
    handler, which reads the chain."""
    status, chain_id, objection_ends = row.status, row.chain_proposal_id, row.objection_ends_at
    kind = _MOVING.get(row.status)
    tx = transactions.get(intent(kind, row)) if kind else None
    if tx is None or tx.status not in ("confirmed", "skipped"):
        return DisplayedState(status, chain_id, objection_ends)
    events = tx.result or []
    if row.status == "voting" and not chain_id:
        created = next((e for e in events if e["event"] == "ProposalCreated"), None)
        if created is not None:
            chain_id = str(created["args"]["proposalId"])
    elif row.status == "preliminary":
        published = next((e for e in events if e["event"] == "ProposalResultPublished"), None)
        if published is not None:
            outcome = OUTCOMES.get(int(published["args"]["outcome"]), str(published["args"]["outcome"]))
            status = STATUS_OF_OUTCOME.get(outcome, "defeated")
            if outcome == "Succeeded":
                ours = utcnow() + timedelta(days=row.objection_days)
                end = int(published["args"]["objectionEnd"])
                objection_ends = max(ours, datetime.fromtimestamp(end, UTC)) if end else ours
    elif row.status == "objection":
        status = "final"
    return DisplayedState(status, chain_id, objection_ends)


@dataclass(frozen=True)
class ProposalView:
    """A proposal as a read shows it."""

    row: m.Proposal
    state: DisplayedState
    scope_buildings: list[str]
    deployment: CommunityContracts | None


async def views(session: AsyncSession, rows: Sequence[m.Proposal]) -> list[ProposalView]:
    """The views of ``rows``: one query for their transactions, one for their buildings' names,
    one deployment lookup per community."""
    if not rows:
        return []
    intents = [intent(_MOVING[r.status], r) for r in rows if r.status in _MOVING]
    transactions: dict[str, ChainTransaction] = {}
    if intents:
        transactions = {t.intent: t for t in await session.scalars(select(ChainTransaction).where(ChainTransaction.intent.in_(intents)))}
    building_ids = {uuid.UUID(b) for r in rows for b in r.building_ids or []}
    names: dict[uuid.UUID, str] = {}
    if building_ids:
        names = dict((await session.execute(select(Building.id, Building.name).where(Building.id.in_(building_ids)))).all())
    deployments: dict[uuid.UUID, CommunityContracts | None] = {}
    for cid in {r.community_id for r in rows if r.status != "draft"}:
        deployments[cid] = await deployment_for(session, cid)
    return [
        ProposalView(
            row=r,
            state=displayed_state(r, transactions),
            scope_buildings=sorted(names[uuid.UUID(b)] for b in r.building_ids or [] if uuid.UUID(b) in names),
            deployment=deployments.get(r.community_id) if r.status != "draft" else None,
        )
        for r in rows
    ]


async def scope_unit_rows(session: AsyncSession, unit_ids: Sequence[uuid.UUID]) -> list[Any]:
    """``(number_key, number, registered_area, building name)`` of each unit (``myUnits``)."""
    if not unit_ids:
        return []
    rows = await session.execute(
        select(Unit.number_key, Unit.number, Unit.registered_area, Building.name)
        .join(Building, and_(Building.id == Unit.building_id, Building.tenant_id == Unit.tenant_id))
        .where(Unit.id.in_(list(unit_ids)))
    )
    return list(rows.all())


async def street_filings(session: AsyncSession, street_codes: list[str], status: str | None = None) -> list[Any]:
    """``(filing, proposal, community name)`` of every filing (备案) with the street offices
    ``street_codes`` (a street's own code, or every street of a district), in review state
    ``status`` if given, oldest first — a street office's read across firms."""
    rows = await session.execute(
        select(m.Filing, m.Proposal, Community.name)
        .join(m.Proposal, and_(m.Proposal.id == m.Filing.proposal_id, m.Proposal.tenant_id == m.Filing.tenant_id))
        .join(Community, and_(Community.id == m.Proposal.community_id, Community.tenant_id == m.Proposal.tenant_id))
        .where(m.Filing.street_code.in_(street_codes), *([m.Filing.review_status == status] if status else []))
        .order_by(m.Filing.created_at)
    )
    return list(rows.all())
