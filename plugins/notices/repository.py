"""Reading notices: who may read which notice, written once.

``notices:read`` (staff, committee, auditors) reads every notice of the tenant; ``notices:read_own``
(owners, residents) reads the published notices addressed to their own units, buildings or
community (the audience rule :func:`plugins.notices.service.visible_to`); anyone else none.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk.estate import Unit
from kernel.sdk.repository import Repository, Viewer
from plugins.notices import models as m
from plugins.notices import service


class NoticeRepository(Repository[m.Notice]):
    """Notices, for a reader whose units are ``places`` (loaded once per request by the caller)."""

    model = m.Notice

    def __init__(self, session: AsyncSession, places: Sequence[service.Place] = ()) -> None:
        super().__init__(session)
        self.places = list(places)

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("notices", "read"):
            return stmt
        if actor.allowed("notices", "read_own"):
            return self.addressed_to_places()
        return stmt.where(false())

    def addressed_to_places(self) -> Select[Any]:
        """Published notices addressed to the places' units, buildings or communities."""
        return self.base_statement().where(service.visible_to(self.places))

    def filtered(self, *, status: str | None = None, community_id: uuid.UUID | None = None) -> Select[Any]:
        """Every notice (staff's list), by status and community."""
        stmt = self.base_statement()
        if status is not None:
            stmt = stmt.where(m.Notice.status == status)
        if community_id is not None:
            stmt = stmt.where(m.Notice.community_id == community_id)
        return stmt

    async def on_board(self, community_id: uuid.UUID, now: datetime) -> list[m.Notice]:
        """The community's disclosure board (公示) at ``now``, newest first."""
        stmt = self.base_statement().where(service.on_board(community_id, now)).order_by(m.Notice.published_at.desc())
        return list(await self.session.scalars(stmt))

    def units_not_read(self, notice: m.Notice) -> Select[Any]:
        """The units of ``notice``'s audience with no read receipt yet (for keyset pagination;
        the caller has read the notice through :meth:`readable_statement`)."""
        return select(Unit).where(service.audience_units(notice), ~service.read_receipt_exists(notice.id))


class ReceiptRepository(Repository[m.NoticeReceipt]):
    """Read receipts, for a reader whose units are ``places``: staff (``notices:read``) read every
    receipt, an owner or resident (``notices:read_own``) those of their own units."""

    model = m.NoticeReceipt

    def __init__(self, session: AsyncSession, places: Sequence[service.Place] = ()) -> None:
        super().__init__(session)
        self.units = sorted({p.unit_id for p in places})

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("notices", "read"):
            return stmt
        if actor.allowed("notices", "read_own") and self.units:
            return stmt.where(m.NoticeReceipt.unit_id.in_(self.units))
        return stmt.where(false())

    async def read_by_places(self, notice_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``notice_ids`` one of the reader's units has read (one query)."""
        if not self.units or not notice_ids:
            return set()
        stmt = select(m.NoticeReceipt.notice_id).where(
            m.NoticeReceipt.notice_id.in_(notice_ids), m.NoticeReceipt.unit_id.in_(self.units)
        )
        return set((await self.session.scalars(stmt)).all())
