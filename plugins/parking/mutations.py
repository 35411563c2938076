"""The parking plugin's mutation root: decode ids, decide whose units a household member acts
for, call the services (which audit and publish their own changes)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from kernel.sdk import NotFound
from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.parking import service, sharing
from plugins.parking.permissions import COLLECT, MANAGE, USE, Allowed
from plugins.parking.repository import VehicleRepository, own_units
from plugins.parking.types import (
    ChargingPile,
    ParkingBooking,
    ParkingGate,
    ParkingLot,
    ParkingPass,
    ParkingSessionNode,
    ParkingShareWindow,
    ParkingSpace,
    ParkingTariffInput,
    ParkingVehicle,
)


async def _households(ctx: object) -> set[uuid.UUID] | None:
    """None when the caller manages parking (acts for any unit); else the caller's own units."""
    if ctx.allowed(*MANAGE):  # type: ignore[attr-defined]
        return None
    return await own_units(ctx.session, ctx.actor.account_id)  # type: ignore[attr-defined]


def _own(units: set[uuid.UUID] | None, unit_id: uuid.UUID) -> None:
    if units is not None and unit_id not in units:
        raise NotFound("no such unit")  # another household's unit looks like an unknown one


@strawberry.type
class ParkingMutation:
    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="A car park of a community, with its tariff",
    )
    async def create_parking_lot(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID,
        name: str,
        capacity: int,
        tariff: ParkingTariffInput | None = None,
    ) -> ParkingLot:
        ctx = info.context
        tariff = tariff or ParkingTariffInput()
        lot = await service.create_lot(
            ctx.session,
            community_id=decode_id(community_id, "Community"),
            name=name,
            capacity=capacity,
            tariff=tariff.tariff(),
            no_entry_fee_fen=tariff.no_entry_fee_fen,
            actor=ctx.actor.label,
        )
        return ParkingLot.from_row(lot)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Cars leaving from now on pay the new tariff",
    )
    async def set_parking_tariff(
        self, info: strawberry.Info, lot_id: relay.GlobalID, tariff: ParkingTariffInput
    ) -> ParkingLot:
        ctx = info.context
        lot = await service.set_tariff(
            ctx.session,
            lot_id=decode_id(lot_id, "ParkingLot"),
            tariff=tariff.tariff(),
            no_entry_fee_fen=tariff.no_entry_fee_fen,
            actor=ctx.actor.label,
        )
        return ParkingLot.from_row(lot)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE)])
    async def add_parking_space(
        self,
        info: strawberry.Info,
        lot_id: relay.GlobalID,
        code: str,
        kind: str,
        unit_id: relay.GlobalID | None = None,
    ) -> ParkingSpace:
        ctx = info.context
        space = await service.add_space(
            ctx.session,
            lot_id=decode_id(lot_id, "ParkingLot"),
            code=code,
            kind=kind,
            unit_id=decode_id(unit_id, "Unit") if unit_id is not None else None,
            actor=ctx.actor.label,
        )
        return ParkingSpace.from_row(space)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Make a parking_barrier device a lane of the lot",
    )
    async def add_parking_gate(
        self,
        info: strawberry.Info,
        lot_id: relay.GlobalID,
        device_id: relay.GlobalID,
        direction: str,
    ) -> ParkingGate:
        ctx = info.context
        gate = await service.add_gate(
            ctx.session,
            lot_id=decode_id(lot_id, "ParkingLot"),
            device_id=decode_id(device_id, "Device"),
            direction=direction,
            actor=ctx.actor.label,
        )
        return ParkingGate.from_row(gate)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="Make an ev_charger device a charging pile",
    )
    async def add_charging_pile(
        self,
        info: strawberry.Info,
        device_id: relay.GlobalID,
        price_per_kwh_fen: int,
        service_per_kwh_fen: int,
        lot_id: relay.GlobalID | None = None,
    ) -> ChargingPile:
        ctx = info.context
        pile = await service.add_pile(
            ctx.session,
            device_id=decode_id(device_id, "Device"),
            lot_id=decode_id(lot_id, "ParkingLot") if lot_id is not None else None,
            price_per_kwh_fen=price_per_kwh_fen,
            service_per_kwh_fen=service_per_kwh_fen,
            actor=ctx.actor.label,
        )
        return ChargingPile.from_row(pile)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)], description="How many plates a household may register"
    )
    async def set_parking_plate_limit(self, info: strawberry.Info, limit: int) -> int:
        ctx = info.context
        return await service.set_plates_per_unit(ctx.session, limit=limit, actor=ctx.actor.label)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE, USE)],
        description="Register a household's plate (staff: any unit; owners and residents: their own)",
    )
    async def register_parking_vehicle(
        self, info: strawberry.Info, unit_id: relay.GlobalID, plate: str
    ) -> ParkingVehicle:
        ctx = info.context
        uid = decode_id(unit_id, "Unit")
        _own(await _households(ctx), uid)
        vehicle = await service.register_vehicle(
            ctx.runtime.vault, ctx.session, unit_id=uid, plate=plate, actor=ctx.actor.label
        )
        return ParkingVehicle.from_row(vehicle)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE, USE)])
    async def remove_parking_vehicle(
        self, info: strawberry.Info, vehicle_id: relay.GlobalID
    ) -> ParkingVehicle:
        ctx = info.context
        vid = decode_id(vehicle_id, "ParkingVehicle")
        units = await _households(ctx)
        vehicle = await VehicleRepository(ctx.session).get_by_id(vid, actor=Viewer.of(ctx))
        if vehicle is None:
            raise NotFound("no such vehicle")
        _own(units, vehicle.unit_id)
        return ParkingVehicle.from_row(
            await service.remove_vehicle(ctx.session, vehicle_id=vid, actor=ctx.actor.label)
        )

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE)],
        description="A monthly pass (月卡) of a registered car",
    )
    async def issue_parking_pass(
        self,
        info: strawberry.Info,
        lot_id: relay.GlobalID,
        vehicle_id: relay.GlobalID,
        valid_from: datetime,
        valid_until: datetime,
        monthly_fen: int = 0,
    ) -> ParkingPass:
        ctx = info.context
        row = await service.issue_pass(
            ctx.session,
            lot_id=decode_id(lot_id, "ParkingLot"),
            vehicle_id=decode_id(vehicle_id, "ParkingVehicle"),
            valid_from=valid_from,
            valid_until=valid_until,
            monthly_fen=monthly_fen,
            actor=ctx.actor.label,
        )
        return ParkingPass.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE)])
    async def revoke_parking_pass(
        self, info: strawberry.Info, pass_id: relay.GlobalID
    ) -> ParkingPass:
        ctx = info.context
        row = await service.revoke_pass(
            ctx.session, pass_id=decode_id(pass_id, "ParkingPass"), actor=ctx.actor.label
        )
        return ParkingPass.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(COLLECT)],
        description="A temporary car's fee paid at the exit: settles the stay and raises the barrier",
    )
    async def pay_parking_session(
        self, info: strawberry.Info, session_id: relay.GlobalID, reference: str
    ) -> ParkingSessionNode:
        ctx = info.context
        row = await service.pay_session(
            ctx.runtime,
            ctx.session,
            session_id=decode_id(session_id, "ParkingSession"),
            reference=reference,
            actor=ctx.actor.label,
        )
        return ParkingSessionNode.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE, USE)],
        description="Lend a space in a time window (its household, or staff)",
    )
    async def offer_parking_space(
        self,
        info: strawberry.Info,
        space_id: relay.GlobalID,
        starts_at: datetime,
        ends_at: datetime,
        price_fen: int = 0,
    ) -> ParkingShareWindow:
        ctx = info.context
        window = await sharing.offer(
            ctx.session,
            space_id=decode_id(space_id, "ParkingSpace"),
            starts_at=starts_at,
            ends_at=ends_at,
            price_fen=price_fen,
            actor=ctx.actor.label,
            own_units=await _households(ctx),
        )
        return ParkingShareWindow.from_row(window)

    @strawberry.mutation(
        permission_classes=[Allowed(MANAGE, USE)],
        description="Book a lent space inside its window for a unit; CONFLICT if the time is taken",
    )
    async def book_parking_space(
        self,
        info: strawberry.Info,
        window_id: relay.GlobalID,
        unit_id: relay.GlobalID,
        starts_at: datetime,
        ends_at: datetime,
    ) -> ParkingBooking:
        ctx = info.context
        booking = await sharing.book(
            ctx.runtime.bus,
            ctx.session,
            window_id=decode_id(window_id, "ParkingShareWindow"),
            unit_id=decode_id(unit_id, "Unit"),
            starts_at=starts_at,
            ends_at=ends_at,
            actor=ctx.actor.label,
            own_units=await _households(ctx),
        )
        return ParkingBooking.from_row(booking)

    @strawberry.mutation(permission_classes=[Allowed(MANAGE, USE)])
    async def cancel_parking_booking(
        self, info: strawberry.Info, booking_id: relay.GlobalID
    ) -> ParkingBooking:
        ctx = info.context
        booking = await sharing.cancel(
            ctx.session,
            booking_id=decode_id(booking_id, "ParkingBooking"),
            actor=ctx.actor.label,
            own_units=await _households(ctx),
        )
        return ParkingBooking.from_row(booking)
