"""Reading the fund: the row-level access rules live here, once.

``funds:read`` (staff, the owners' committee, auditors) reads every community's fund; an owner
(``funds:read_own``) reads the funds of the communities they own a unit in — the flows, uses and
revenue receipts of those communities (公示) — and the statements of their own units. A reader
outside that audience gets nothing, as for an unknown id. The repositories are built with the
reader's own units (``own_units``), which the GraphQL layer loads once per request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.estate import Building, Unit
from kernel.sdk.repository import Repository, Viewer
from plugins.funds import models as m
from plugins.funds.vocabulary import FundFlowKind


class Audience:
    """Which communities and units a reader may see: every one with ``funds:read``, else those
    of ``own_units`` (the units the reader owns)."""

    def __init__(self, own_units: Iterable[Any] = ()) -> None:
        self.own_units = list(own_units)

    def communities(self, actor: Viewer) -> set[uuid.UUID] | None:
        """``None`` for every community, else the communities the reader owns a unit in."""
        if actor.allowed("funds", "read"):
            return None
        if not actor.allowed("funds", "read_own"):
            return set()
        return {u.community_id for u in self.own_units}

    def may_read_community(self, actor: Viewer, community_id: uuid.UUID) -> bool:
        readable = self.communities(actor)
        return readable is None or community_id in readable

    def may_read_unit(self, actor: Viewer, unit_id: uuid.UUID) -> bool:
        if actor.allowed("funds", "read"):
            return True
        return actor.allowed("funds", "read_own") and any(u.id == unit_id for u in self.own_units)


class _OfCommunity(Repository[Any]):
    """Rows that belong to one community's fund: readable when the community is."""

    def __init__(self, session: AsyncSession, own_units: Iterable[Any] = ()) -> None:
        super().__init__(session)
        self.audience = Audience(own_units)

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        communities = self.audience.communities(actor)
        if communities is None:
            return stmt
        if not communities:
            return stmt.where(false())
        return stmt.where(self.model.community_id.in_(communities))

    def of_community(self, actor: Viewer, community_id: uuid.UUID) -> Select[Any]:
        return self.readable_statement(actor).where(self.model.community_id == community_id)


R = TypeVar("R", bound=_OfCommunity)


class EntryRepository(_OfCommunity):
    """The fund's flows (资金流水)."""

    model = m.FundEntry

    def disclosures(
        self, actor: Viewer, community_id: uuid.UUID, kind: FundFlowKind | None = None
    ) -> Select[Any]:
        """The community's flows the reader may see, for keyset pagination (oldest first)."""
        stmt = self.of_community(actor, community_id)
        return stmt if kind is None else stmt.where(m.FundEntry.kind == kind.value)

    async def newest_of_unit(self, unit_id: uuid.UUID, limit: int) -> list[m.FundEntry]:
        """A unit's flows, newest first (the caller has checked :meth:`Audience.may_read_unit`)."""
        stmt = (
            self.base_statement()
            .where(m.FundEntry.unit_id == unit_id)
            .order_by(m.FundEntry.created_at.desc(), m.FundEntry.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))


class DisbursementRepository(_OfCommunity):
    """Uses of the fund, with their apportionment."""

    model = m.FundDisbursement

    async def newest(self, actor: Viewer, community_id: uuid.UUID) -> list[m.FundDisbursement]:
        stmt = self.of_community(actor, community_id).order_by(m.FundDisbursement.created_at.desc())
        return list(await self.session.scalars(stmt))

    async def shares_of(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[m.FundDisbursementShare]]:
        """The shares of the disbursements ``ids`` (already read), in registry order, one query."""
        shares: dict[uuid.UUID, list[m.FundDisbursementShare]] = {}
        if ids:
            stmt = (
                select(m.FundDisbursementShare)
                .where(m.FundDisbursementShare.disbursement_id.in_(list(ids)))
                .order_by(m.FundDisbursementShare.chain_unit_id)
            )
            for r in await self.session.scalars(stmt):
                shares.setdefault(r.disbursement_id, []).append(r)
        return shares


class RevenueReceiptRepository(_OfCommunity):
    """Public revenue receipts (公共收益)."""

    model = m.FundRevenueReceipt

    async def newest(self, actor: Viewer, community_id: uuid.UUID) -> list[m.FundRevenueReceipt]:
        stmt = self.of_community(actor, community_id).order_by(
            m.FundRevenueReceipt.received_at.desc()
        )
        return list(await self.session.scalars(stmt))


class AccountRepository(_OfCommunity):
    """A community's fund account, its sub-ledgers and its last reconciliation."""

    model = m.FundAccount

    async def of(self, community_id: uuid.UUID, *, actor: Viewer | None = None) -> m.FundAccount | None:
        """The community's account — if ``actor`` is given, only when they may read it."""
        stmt = self._statement(actor).where(m.FundAccount.community_id == community_id)
        result: m.FundAccount | None = await self.session.scalar(stmt)
        return result

    async def sub_ledgers(self, community_id: uuid.UUID) -> list[m.FundSubLedger]:
        stmt = select(m.FundSubLedger).where(m.FundSubLedger.community_id == community_id)
        return list(await self.session.scalars(stmt))

    async def last_reconciliation(self, community_id: uuid.UUID) -> m.FundReconciliation | None:
        result: m.FundReconciliation | None = await self.session.scalar(
            select(m.FundReconciliation)
            .where(m.FundReconciliation.community_id == community_id)
            .order_by(m.FundReconciliation.ran_at.desc())
            .limit(1)
        )
        return result


async def unit(session: AsyncSession, unit_id: uuid.UUID) -> Any:
    """The estate's unit ``unit_id`` (or ``None``)."""
    return await session.scalar(select(Unit).where(Unit.id == unit_id))


async def unit_labels(
    session: AsyncSession, unit_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Unit number and building name for a whole list in one query (no N+1)."""
    if not unit_ids:
        return {}
    rows = await session.execute(
        select(Unit.id, Unit.number, Building.name)
        .join(Building, (Building.id == Unit.building_id) & (Building.tenant_id == Unit.tenant_id))
        .where(Unit.id.in_(list(unit_ids)))
    )
    return {r[0]: (r[1], r[2]) for r in rows.all()}
