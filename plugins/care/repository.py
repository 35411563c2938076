"""Reading care data: the row-level access rules live here, once.

* ``care:read`` (staff: tenant admin, property staff, grid workers, auditors) sees every
  recipient of the firm and their alerts, check-ins and services;
* ``care:read_own`` (an emergency contact's login, role ``care_contact``) sees only the recipients
  they are a contact of — their relative — and nothing else;
* anyone else sees nothing (the field's permission answers FORBIDDEN first).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, func, select

from kernel.sdk.repository import Repository, Viewer
from plugins.care import models as m


def readable_recipient_ids(actor: Viewer) -> Select[Any] | None:
    """``None`` for staff (every recipient), else the ids the actor is a contact of."""
    if actor.allowed("care", "read"):
        return None
    if actor.allowed("care", "read_own") and actor.account_id is not None:
        return select(m.CareContact.recipient_id).where(
            m.CareContact.account_id == actor.account_id
        )
    return select(m.CareContact.recipient_id).where(false())


class RecipientRepository(Repository[m.CareRecipient]):
    model = m.CareRecipient

    async def summaries(
        self, ids: list[uuid.UUID]
    ) -> tuple[dict[Any, Any], dict[Any, int]]:
        """Each recipient's last check-in day and count of open alerts, in two queries (the
        caller has read the recipients)."""
        last = dict(
            (
                await self.session.execute(
                    select(m.CareCheckIn.recipient_id, func.max(m.CareCheckIn.day))
                    .where(m.CareCheckIn.recipient_id.in_(ids))
                    .group_by(m.CareCheckIn.recipient_id)
                )
            ).all()
        )
        open_ = dict(
            (
                await self.session.execute(
                    select(m.CareAlert.recipient_id, func.count())
                    .where(m.CareAlert.recipient_id.in_(ids), m.CareAlert.status != "resolved")
                    .group_by(m.CareAlert.recipient_id)
                )
            ).all()
        )
        return last, {k: int(v) for k, v in open_.items()}

    async def devices(self, recipient_id: uuid.UUID) -> list[m.CareDevice]:
        """The devices linked to a recipient, oldest link first (the caller has read the recipient)."""
        stmt = (
            select(m.CareDevice)
            .where(m.CareDevice.recipient_id == recipient_id)
            .order_by(m.CareDevice.created_at)
        )
        return list(await self.session.scalars(stmt))

    async def activity_since(self, recipient_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When the recipient's sensors saw activity since ``since`` (the caller has read them)."""
        stmt = select(m.CareActivity.at).where(
            m.CareActivity.recipient_id == recipient_id, m.CareActivity.at >= since
        )
        return list(await self.session.scalars(stmt))

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        ids = readable_recipient_ids(actor)
        stmt = self.base_statement()
        return stmt if ids is None else stmt.where(m.CareRecipient.id.in_(ids))

    async def listed(
        self, actor: Viewer, *, community_id: uuid.UUID | None = None, status: str | None = None
    ) -> list[m.CareRecipient]:
        stmt = self.readable_statement(actor).order_by(
            m.CareRecipient.created_at, m.CareRecipient.id
        )
        if community_id is not None:
            stmt = stmt.where(m.CareRecipient.community_id == community_id)
        if status is not None:
            stmt = stmt.where(m.CareRecipient.status == status)
        return list(await self.session.scalars(stmt.limit(500)))


class _OfRecipient(Repository[Any]):
    """Rows that belong to one recipient: readable when the recipient is."""

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        ids = readable_recipient_ids(actor)
        stmt = self.base_statement()
        return stmt if ids is None else stmt.where(self.model.recipient_id.in_(ids))

    async def of_recipient(
        self, actor: Viewer, recipient_id: uuid.UUID, *, newest_first: Any, limit: int = 100
    ) -> list[Any]:
        stmt = self.readable_statement(actor).where(self.model.recipient_id == recipient_id)
        return list(await self.session.scalars(stmt.order_by(newest_first.desc()).limit(limit)))


class AlertRepository(_OfRecipient):
    model = m.CareAlert

    async def newest(
        self,
        actor: Viewer,
        *,
        community_id: uuid.UUID | None = None,
        recipient_id: uuid.UUID | None = None,
        open_only: bool = False,
        limit: int = 100,
    ) -> list[m.CareAlert]:
        stmt = (
            self.readable_statement(actor)
            .order_by(m.CareAlert.raised_at.desc(), m.CareAlert.id)
            .limit(limit)
        )
        if community_id is not None:
            stmt = stmt.where(m.CareAlert.community_id == community_id)
        if recipient_id is not None:
            stmt = stmt.where(m.CareAlert.recipient_id == recipient_id)
        if open_only:
            stmt = stmt.where(m.CareAlert.status != "resolved")
        return list(await self.session.scalars(stmt))


class CheckInRepository(_OfRecipient):
    model = m.CareCheckIn


class ServiceRepository(_OfRecipient):
    model = m.CareService


class ContactRepository(_OfRecipient):
    model = m.CareContact


class ActivityRepository(_OfRecipient):
    model = m.CareActivity
