"""Reading fee items, bills and billing runs: who may read which bill, written once.

``fees:read`` (staff) reads every bill of the tenant; ``fees:read_own`` (owners) the bills of the
units they own (``kernel.sdk.estate.units_owned_by_account``, loaded once by the caller and given
as ``own_units``); anyone else none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, false
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.repository import Repository, Viewer
from plugins.fees import models as m


class FeeItemRepository(Repository[m.FeeItem]):
    model = m.FeeItem

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        return stmt if actor.allowed("fees", "read") else stmt.where(false())

    async def by_code(self, actor: Viewer) -> list[m.FeeItem]:
        return await self.list_by(actor=actor, order_by=[m.FeeItem.code])


class BillRepository(Repository[m.Bill]):
    """Bills, for a reader who owns ``own_units``."""

    model = m.Bill

    def __init__(self, session: AsyncSession, own_units: Iterable[uuid.UUID] = ()) -> None:
        super().__init__(session)
        self.own_units = set(own_units)

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("fees", "read"):
            return stmt
        if actor.allowed("fees", "read_own") and self.own_units:
            return stmt.where(m.Bill.unit_id.in_(self.own_units))
        return stmt.where(false())

    def filtered(
        self,
        actor: Viewer,
        *,
        period: str | None = None,
        community_id: uuid.UUID | None = None,
        unit_id: uuid.UUID | None = None,
        status: str | None = None,
    ) -> Select[Any]:
        """The readable bills with the list's filters (for keyset pagination)."""
        stmt = self.readable_statement(actor)
        if period is not None:
            stmt = stmt.where(m.Bill.period == period)
        if community_id is not None:
            stmt = stmt.where(m.Bill.community_id == community_id)
        if unit_id is not None:
            stmt = stmt.where(m.Bill.unit_id == unit_id)
        if status is not None:
            stmt = stmt.where(m.Bill.status == status)
        return stmt

    async def of_own_units(
        self, *, period: str | None = None, unpaid_only: bool = False, limit: int = 500
    ) -> list[m.Bill]:
        """The bills of the reader's own units, newest period first."""
        if not self.own_units:
            return []
        stmt = self.base_statement().where(m.Bill.unit_id.in_(self.own_units))
        if period is not None:
            stmt = stmt.where(m.Bill.period == period)
        if unpaid_only:
            stmt = stmt.where(m.Bill.status != "paid")
        return list(
            await self.session.scalars(
                stmt.order_by(m.Bill.period.desc(), m.Bill.item_id).limit(limit)
            )
        )


class BillingRunRepository(Repository[m.BillingRun]):
    model = m.BillingRun

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        return stmt if actor.allowed("fees", "read") else stmt.where(false())

    async def newest(
        self, actor: Viewer, *, period: str | None = None, limit: int = 100
    ) -> list[m.BillingRun]:
        stmt = self.readable_statement(actor).order_by(m.BillingRun.created_at.desc()).limit(limit)
        if period is not None:
            stmt = stmt.where(m.BillingRun.period == period)
        return list(await self.session.scalars(stmt))
