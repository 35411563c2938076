"""Reading parking data: the row-level access rules live here, once.

Staff with ``parking:read`` read every row of the tenant. A household member with
``parking:use`` reads the lots and the spaces lent out (to book them), and of the rest only the
rows of their own units (the units whose owner or resident in the register is linked to their
login): their registered plates, passes, stays, bookings and charges. Anyone else reads nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, select, union

from kernel.sdk.estate import Ownership, Person, Residency
from kernel.sdk.repository import Repository, Viewer
from plugins.parking import models as m


def own_units_statement(account_id: uuid.UUID | None) -> Any:
    """The ids of the units the login's persons own or live in (a subquery)."""
    owned = select(Ownership.unit_id).join(Person, Person.id == Ownership.person_id).where(Person.account_id == account_id)
    lived = select(Residency.unit_id).join(Person, Person.id == Residency.person_id).where(Person.account_id == account_id)
    return union(owned, lived)


async def own_units(session: Any, account_id: uuid.UUID | None) -> set[uuid.UUID]:
    if account_id is None:
        return set()
    return set((await session.scalars(own_units_statement(account_id))).all())


class _UnitRows(Repository[Any]):
    """Rows that belong to a unit: staff read all, households their own."""

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if actor.allowed("parking", "read"):
            return stmt
        if actor.allowed("parking", "use") and actor.account_id is not None:
            return stmt.where(self.model.unit_id.in_(own_units_statement(actor.account_id)))
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
