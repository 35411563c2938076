"""Reading work orders and technicians: the row-level access rules live here, once.

Staff with ``workorders:read`` see every order of the tenant; anyone else sees the orders they
reported and the orders assigned to their technician profile. A row the caller may not read
answers like an unknown id. Who may *act* on an order is here too: a technician on the orders
assigned to them (:meth:`WorkOrderRepository.to_handle`), a reporter on their own reports
(:meth:`WorkOrderRepository.to_follow_up`), a resident on the units they own
(:func:`require_reportable_unit`); staff with ``workorders:manage`` on any.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select

from kernel.sdk import Forbidden, NotFound
from kernel.sdk.estate import units_owned_by_account
from kernel.sdk.repository import Repository, Viewer
from plugins.workorders import models as m
from plugins.workorders.service import OPEN_STATUSES


class TechnicianRepository(Repository[m.Technician]):
    model = m.Technician

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        """Technicians' profiles are staff data (``workorders:read``)."""
        stmt = self.base_statement()
        return stmt if actor.allowed("workorders", "read") else stmt.where(false())

    async def id_of_account(self, account_id: uuid.UUID | None) -> uuid.UUID | None:
        """The technician profile of an account, if it has one."""
        if account_id is None:
            return None
        result: uuid.UUID | None = await self.session.scalar(
            select(m.Technician.id).where(m.Technician.account_id == account_id)
        )
        return result

    async def listed(self, actor: Viewer) -> list[m.Technician]:
        return await self.list_by(actor=actor, order_by=[m.Technician.name])


class WorkOrderRepository(Repository[m.WorkOrder]):
    model = m.WorkOrder

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        """Staff (``workorders:read``): every order; others: the orders they reported or that are
        assigned to their technician profile."""
        stmt = self.base_statement()
        if actor.allowed("workorders", "read"):
            return stmt
        if actor.account_id is None:
            return stmt.where(false())
        mine = (
            select(m.Technician.id)
            .where(m.Technician.account_id == actor.account_id)
            .scalar_subquery()
        )
        return stmt.where(
            or_(
                m.WorkOrder.reporter_account_id == actor.account_id, m.WorkOrder.assignee_id == mine
            )
        )

    def filtered(
        self, actor: Viewer, *, status: str | None = None, community_id: uuid.UUID | None = None
    ) -> Select[Any]:
        """The readable orders with the list's filters (for keyset pagination)."""
        stmt = self.readable_statement(actor)
        if status is not None:
            stmt = stmt.where(m.WorkOrder.status == status)
        if community_id is not None:
            stmt = stmt.where(m.WorkOrder.community_id == community_id)
        return stmt

    def reported_by(self, account_id: uuid.UUID | None) -> Select[Any]:
        """The orders an account reported (``myWorkOrders``)."""
        return self.base_statement().where(m.WorkOrder.reporter_account_id == account_id)

    async def open_assigned_to(self, technician_id: uuid.UUID) -> list[m.WorkOrder]:
        """A technician's open orders, the most pressing first."""
        stmt = (
            self.base_statement()
            .where(m.WorkOrder.assignee_id == technician_id, m.WorkOrder.status.in_(OPEN_STATUSES))
            .order_by(m.WorkOrder.resolve_due_at)
        )
        return list(await self.session.scalars(stmt))

    async def to_handle(self, order_id: uuid.UUID, actor: Viewer) -> m.WorkOrder:
        """The order ``actor`` starts or resolves: any with ``workorders:manage``; otherwise only
        one assigned to their technician profile (FORBIDDEN). An unknown id is NOT_FOUND."""
        order = await self.get_by_id(order_id)
        if order is None:
            raise NotFound("no work order with this id")
        if actor.allowed("workorders", "manage"):
            return order
        mine = await TechnicianRepository(self.session).id_of_account(actor.account_id)
        if mine is None or order.assignee_id != mine:
            raise Forbidden("this work order is assigned to someone else")
        return order

    async def to_follow_up(self, order_id: uuid.UUID, actor: Viewer) -> None:
        """Check that ``actor`` may close, reopen or cancel the order: any with
        ``workorders:manage``; otherwise only one they reported (NOT_FOUND, like an unknown id)."""
        if actor.allowed("workorders", "manage"):
            return
        if actor.account_id is not None:
            stmt = self.base_statement().where(
                m.WorkOrder.id == order_id, m.WorkOrder.reporter_account_id == actor.account_id
            )
            if await self.session.scalar(stmt) is not None:
                return
        raise NotFound("no work order with this id among yours")


async def require_reportable_unit(session: Any, unit_id: uuid.UUID, actor: Viewer) -> None:
    """Staff (``workorders:read``) report against any unit; anyone else only against a unit they
    own (NOT_FOUND otherwise, so other people's units are not revealed)."""
    if actor.allowed("workorders", "read"):
        return
    owned = (
        {u.id for u in await units_owned_by_account(session, actor.account_id)}
        if actor.account_id
        else set()
    )
    if unit_id not in owned:
        raise NotFound("no unit with this id among yours")
