"""The parking plugin's query root; which rows a caller sees is decided in
:mod:`plugins.parking.repository`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from kernel.sdk import NotFound
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.parking import models as m
from plugins.parking import service
from plugins.parking.permissions import READ, USE, Allowed
from plugins.parking.repository import (
    BookingRepository,
    ChargingSessionRepository,
    LotRepository,
    PassRepository,
    SessionRepository,
    ShareWindowRepository,
    SpaceRepository,
    StaffRepository,
    VehicleRepository,
)
from plugins.parking.types import (
    ChargingPile,
    ChargingSessionNode,
    ParkingBooking,
    ParkingGate,
    ParkingLot,
    ParkingOccupancy,
    ParkingPass,
    ParkingSessionNode,
    ParkingShareWindow,
    ParkingSpace,
    ParkingVehicle,
    gid,
)

LIMIT = 100


async def _lot(ctx: object, lot_id: relay.GlobalID) -> m.ParkingLot:
    lid = decode_id(lot_id, "ParkingLot")
    lot = await LotRepository(ctx.session).get_by_id(lid, actor=Viewer.of(ctx))  # type: ignore[attr-defined]
    if lot is None:
        raise NotFound("no such parking lot")
    return lot


def _occupancy(lot: m.ParkingLot, occupied: int) -> ParkingOccupancy:
    return ParkingOccupancy(
        lot_id=gid("ParkingLot", lot.id),  # type: ignore[arg-type]
        capacity=lot.capacity,
        occupied=occupied,
        free=max(0, lot.capacity - occupied),
    )


@strawberry.type
class ParkingQuery:
    @strawberry.field(
        permission_classes=[Allowed(READ, USE)], description="Lots, of one community or all"
    )
    async def parking_lots(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[ParkingLot]:
        ctx = info.context
        where = (
            {"community_id": decode_id(community_id, "Community")}
            if community_id is not None
            else {}
        )
        rows = await LotRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.ParkingLot.name], **where
        )
        return [ParkingLot.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="Cars inside a lot now, against its capacity",
    )
    async def parking_occupancy(
        self, info: strawberry.Info, lot_id: relay.GlobalID
    ) -> ParkingOccupancy:
        ctx = info.context
        lot = await _lot(ctx, lot_id)
        return _occupancy(lot, await service.occupancy(ctx.session, lot.id))

    @strawberry.field(permission_classes=[Allowed(READ, USE)])
    async def parking_spaces(
        self, info: strawberry.Info, lot_id: relay.GlobalID
    ) -> list[ParkingSpace]:
        ctx = info.context
        lot = await _lot(ctx, lot_id)
        rows = await SpaceRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.ParkingSpace.code], lot_id=lot.id
        )
        return [ParkingSpace.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed(READ)])
    async def parking_gates(
        self, info: strawberry.Info, lot_id: relay.GlobalID
    ) -> list[ParkingGate]:
        ctx = info.context
        lot = await _lot(ctx, lot_id)
        rows = await StaffRepository(ctx.session, m.ParkingGate).list_by(
            actor=Viewer.of(ctx), lot_id=lot.id
        )
        return [ParkingGate.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="Registered plates (masked): staff all or one unit's, households their own",
    )
    async def parking_vehicles(
        self, info: strawberry.Info, unit_id: relay.GlobalID | None = None
    ) -> list[ParkingVehicle]:
        ctx = info.context
        where = {"unit_id": decode_id(unit_id, "Unit")} if unit_id is not None else {}
        rows = await VehicleRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.Vehicle.created_at], **where
        )
        return [ParkingVehicle.from_row(r) for r in rows[:LIMIT]]

    @strawberry.field(permission_classes=[Allowed(READ, USE)])
    async def parking_passes(
        self, info: strawberry.Info, lot_id: relay.GlobalID | None = None
    ) -> list[ParkingPass]:
        ctx = info.context
        where = {"lot_id": (await _lot(ctx, lot_id)).id} if lot_id is not None else {}
        rows = await PassRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.MonthlyPass.valid_from], **where
        )
        return [ParkingPass.from_row(r) for r in rows[:LIMIT]]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description=f"Stays, newest first (at most {LIMIT}); settlement filters e.g. 'due'",
    )
    async def parking_sessions(
        self,
        info: strawberry.Info,
        lot_id: relay.GlobalID | None = None,
        settlement: str | None = None,
        inside_only: bool = False,
    ) -> list[ParkingSessionNode]:
        ctx = info.context
        stmt = SessionRepository(ctx.session).readable_statement(Viewer.of(ctx))
        if lot_id is not None:
            stmt = stmt.where(m.ParkingSession.lot_id == (await _lot(ctx, lot_id)).id)
        if settlement is not None:
            stmt = stmt.where(m.ParkingSession.settlement == settlement)
        if inside_only:
            stmt = stmt.where(m.ParkingSession.exit_at.is_(None))
        stmt = stmt.order_by(m.ParkingSession.created_at.desc()).limit(LIMIT)
        return [ParkingSessionNode.from_row(r) for r in await ctx.session.scalars(stmt)]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)], description="Windows in which spaces are lent"
    )
    async def parking_share_windows(
        self, info: strawberry.Info, lot_id: relay.GlobalID | None = None
    ) -> list[ParkingShareWindow]:
        ctx = info.context
        lot = await _lot(ctx, lot_id) if lot_id is not None else None
        stmt = ShareWindowRepository(ctx.session).open_in(
            Viewer.of(ctx), lot.id if lot is not None else None
        )
        rows = await ctx.session.scalars(stmt.order_by(m.ShareWindow.starts_at).limit(LIMIT))
        return [ParkingShareWindow.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed(READ, USE)])
    async def parking_bookings(
        self, info: strawberry.Info, space_id: relay.GlobalID | None = None
    ) -> list[ParkingBooking]:
        ctx = info.context
        where = {"space_id": decode_id(space_id, "ParkingSpace")} if space_id is not None else {}
        rows = await BookingRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.SpaceBooking.starts_at], **where
        )
        return [ParkingBooking.from_row(r) for r in rows[:LIMIT]]

    @strawberry.field(permission_classes=[Allowed(READ)])
    async def charging_piles(self, info: strawberry.Info) -> list[ChargingPile]:
        ctx = info.context
        rows = await StaffRepository(ctx.session, m.ChargingPile).list_by(
            actor=Viewer.of(ctx), order_by=[m.ChargingPile.created_at]
        )
        return [ChargingPile.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description=f"Charges, newest first (at most {LIMIT})",
    )
    async def charging_sessions(
        self, info: strawberry.Info, pile_id: relay.GlobalID | None = None
    ) -> list[ChargingSessionNode]:
        ctx = info.context
        stmt = ChargingSessionRepository(ctx.session).readable_statement(Viewer.of(ctx))
        if pile_id is not None:
            stmt = stmt.where(m.ChargingSession.pile_id == decode_id(pile_id, "ChargingPile"))
        rows = await ctx.session.scalars(
            stmt.order_by(m.ChargingSession.created_at.desc()).limit(LIMIT)
        )
        return [ChargingSessionNode.from_row(r) for r in rows]


@strawberry.type
class ParkingSubscription:
    @strawberry.subscription(
        permission_classes=[Allowed(READ, USE)],
        description="A lot's occupancy now, then again each time a car enters or leaves it (as the "
        "read commits; WebSocket, graphql-transport-ws)",
    )
    async def parking_occupancy_changes(
        self, info: strawberry.Info, lot_id: relay.GlobalID
    ) -> AsyncGenerator[ParkingOccupancy, None]:
        from plugins.parking.live import hub

        ctx = info.context
        lid = decode_id(lot_id, "ParkingLot")
        db = ctx.runtime.db

        async def now() -> ParkingOccupancy:
            # a fresh transaction per count: it sees every read committed before the change
            async with db.tenant(ctx.tenant.id) as session:
                lot = await LotRepository(session).get_by_id(lid, actor=Viewer.of(ctx))
                if lot is None:
                    raise NotFound("no such parking lot")
                return _occupancy(lot, await service.occupancy(session, lot.id))

        async with hub(ctx.runtime).subscribe(ctx.tenant.id) as queue:
            yield await now()  # subscribed before counting: no change is missed in between
            while True:
                change = await queue.get()
                mine = change.lot_id == lid
                while not queue.empty():  # a burst of reads: one count for all of them
                    mine = queue.get_nowait().lot_id == lid or mine
                if mine:
                    yield await now()
