"""Reading parking data: the row-level access rules live here, once.

Staff with ``parking:read`` read every row of the tenant. A household member with
``parking:use`` reads the lots and the spaces lent out (to book them), and of the rest only the
rows of their own units (the units whose owner or resident in the register is linked to their
login): their registered plates, passes, stays, bookings and charges. Anyone else reads nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select

from kernel.sdk.estate import Ownership, Person, Residency
from kernel.sdk.repository import Repository, Viewer
from plugins.parking import models as m


def _owned(account_id: uuid.UUID | None) -> Select[Any]:
    return (
        select(Ownership.unit_id)
        .join(Person, Person.id == Ownership.person_id)
        .where(Person.account_id == account_id)
    )


def _lived(account_id: uuid.UUID | None) -> Select[Any]:
    return (
        select(Residency.unit_id)
        .join(Person, Person.id == Residency.person_id)
        .where(Person.account_id == account_id)
    )


def of_own_units(column: Any, account_id: uuid.UUID | None) -> Any:
    """``column`` names a unit the login's persons own or live in (two subqueries)."""
    return or_(column.in_(_owned(account_id)), column.in_(_lived(account_id)))


async def own_units(session: Any, account_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The units the login's persons own or live in (empty for no login)."""
    if account_id is None:
        return set()
    return set((await session.scalars(_owned(account_id))).all()) | set(
        (await session.scalars(_lived(account_id))).all()
    )


class _UnitRows(Repository[Any]):
    """Rows that belong to a unit: staff read all, households their own."""

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("parking", "read"):
            return stmt
        if actor.allowed("parking", "use") and actor.account_id is not None:
            return stmt.where(of_own_units(self.model.unit_id, actor.account_id))
        return stmt.where(false())


class _PublicRows(Repository[Any]):
    """Rows every parking user may read (lots, spaces, windows): no personal data in them."""

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("parking", "read") or actor.allowed("parking", "use"):
            return stmt
        return stmt.where(false())


class LotRepository(_PublicRows):
    model = m.ParkingLot


class SpaceRepository(_PublicRows):
    model = m.ParkingSpace


class ShareWindowRepository(_PublicRows):
    def open_in(self, actor: Viewer, lot_id: uuid.UUID | None = None) -> Select[Any]:
        """The windows ``actor`` may read that are not withdrawn (of the lot ``lot_id``, if given)."""
        stmt = self.readable_statement(actor).where(m.ShareWindow.withdrawn.is_(False))
        if lot_id is not None:
            spaces = select(m.ParkingSpace.id).where(m.ParkingSpace.lot_id == lot_id)
            stmt = stmt.where(m.ShareWindow.space_id.in_(spaces))
        return stmt

    model = m.ShareWindow


class VehicleRepository(_UnitRows):
    model = m.Vehicle


class PassRepository(_UnitRows):
    model = m.MonthlyPass


class SessionRepository(_UnitRows):
    model = m.ParkingSession


class BookingRepository(_UnitRows):
    model = m.SpaceBooking


class ChargingSessionRepository(_UnitRows):
    model = m.ChargingSession


class StaffRepository(Repository[Any]):
    """Staff-only rows (lanes, piles, gate reads)."""

    def __init__(self, session: Any, model: type) -> None:
        super().__init__(session)
        self.model = model  # type: ignore[misc]

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        return stmt if actor.allowed("parking", "read") else stmt.where(false())
