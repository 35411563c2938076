"""The parking plugin's GraphQL types. Amounts are integer fen (``Int``: every amount the plugin
accepts is validated far below 2³¹); plates appear only masked (粤B***45)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from plugins.parking import models as m
from plugins.parking.tariff import Tariff


def gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


@strawberry.type(description="A lot's tariff for temporary cars (临停收费); fen and minutes")
class ParkingTariff:
    free_minutes: int
    hourly_fen: int
    night_hourly_fen: int
    night_start: int = strawberry.field(
        description="Night window start, minutes after local midnight"
    )
    night_end: int
    daily_cap_fen: int = strawberry.field(description="Most a 24-hour day costs; 0 = no cap")
    no_entry_fee_fen: int = strawberry.field(
        description="Flat fee of a car leaving with no entry on record"
    )


@strawberry.input
class ParkingTariffInput:
    free_minutes: int = 15
    hourly_fen: int = 500
    night_hourly_fen: int = 100
    night_start: int = 22 * 60
    night_end: int = 7 * 60
    daily_cap_fen: int = 4000
    no_entry_fee_fen: int = 4000

    def tariff(self) -> Tariff:
        return Tariff(
            free_minutes=self.free_minutes,
            hourly_fen=self.hourly_fen,
            night_hourly_fen=self.night_hourly_fen,
            night_start=self.night_start,
            night_end=self.night_end,
            daily_cap_fen=self.daily_cap_fen,
        )


@strawberry.type(description="A car park of a community (停车场)")
class ParkingLot:
    id: strawberry.ID
    community_id: strawberry.ID
    name: str
    capacity: int
    tariff: ParkingTariff

    @classmethod
    def from_row(cls, r: m.ParkingLot) -> ParkingLot:
        return cls(
            id=gid("ParkingLot", r.id),  # type: ignore[arg-type]
            community_id=gid("Community", r.community_id),  # type: ignore[arg-type]
            name=r.name,
            capacity=r.capacity,
            tariff=ParkingTariff(
                free_minutes=r.free_minutes,
                hourly_fen=r.hourly_fen,
                night_hourly_fen=r.night_hourly_fen,
                night_start=r.night_start,
                night_end=r.night_end,
                daily_cap_fen=r.daily_cap_fen,
                no_entry_fee_fen=r.no_entry_fee_fen,
            ),
        )


@strawberry.type(description="Live occupancy of a lot: cars inside now")
class ParkingOccupancy:
    lot_id: strawberry.ID
    capacity: int
    occupied: int
    free: int


@strawberry.type(description="A numbered space (车位)")
class ParkingSpace:
    id: strawberry.ID
    lot_id: strawberry.ID
    code: str
    kind: str = strawberry.field(description="owned | leased | visitor | shared")
    unit_id: strawberry.ID | None

    @classmethod
    def from_row(cls, r: m.ParkingSpace) -> ParkingSpace:
        return cls(
            id=gid("ParkingSpace", r.id),  # type: ignore[arg-type]
            lot_id=gid("ParkingLot", r.lot_id),  # type: ignore[arg-type]
            code=r.code,
            kind=r.kind,
            unit_id=gid("Unit", r.unit_id),
        )


@strawberry.type(description="A barrier lane of a lot: a parking_barrier device and its direction")
class ParkingGate:
    id: strawberry.ID
    lot_id: strawberry.ID
    device_id: strawberry.ID
    direction: str

    @classmethod
    def from_row(cls, r: m.ParkingGate) -> ParkingGate:
        return cls(
            id=gid("ParkingGate", r.id),  # type: ignore[arg-type]
            lot_id=gid("ParkingLot", r.lot_id),  # type: ignore[arg-type]
            device_id=gid("Device", r.device_id),  # type: ignore[arg-type]
            direction=r.direction,
        )


@strawberry.type(description="A plate a household registered (登记车辆), masked")
class ParkingVehicle:
    id: strawberry.ID
    unit_id: strawberry.ID
    plate: str = strawberry.field(description="Masked (粤B***45); the plate is stored encrypted")

    @classmethod
    def from_row(cls, r: m.Vehicle) -> ParkingVehicle:
        return cls(
            id=gid("ParkingVehicle", r.id), unit_id=gid("Unit", r.unit_id), plate=r.plate_masked
        )  # type: ignore[arg-type]


@strawberry.type(description="A monthly pass (月卡) of a registered car for a lot")
class ParkingPass:
    id: strawberry.ID
    lot_id: strawberry.ID
    vehicle_id: strawberry.ID
    unit_id: strawberry.ID
    valid_from: datetime
    valid_until: datetime
    monthly_fen: int
    revoked: bool

    @classmethod
    def from_row(cls, r: m.MonthlyPass) -> ParkingPass:
        return cls(
            id=gid("ParkingPass", r.id),  # type: ignore[arg-type]
            lot_id=gid("ParkingLot", r.lot_id),  # type: ignore[arg-type]
            vehicle_id=gid("ParkingVehicle", r.vehicle_id),  # type: ignore[arg-type]
            unit_id=gid("Unit", r.unit_id),  # type: ignore[arg-type]
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            monthly_fen=r.monthly_fen,
            revoked=r.revoked,
        )


@strawberry.type(description="One stay of a car in a lot, from the barrier reads")
class ParkingSessionNode:
    id: strawberry.ID
    lot_id: strawberry.ID
    plate: str = strawberry.field(description="Masked")
    kind: str = strawberry.field(description="temporary | household | visitor | pass")
    entry_at: datetime | None = strawberry.field(
        description="None: the car left with no entry on record"
    )
    exit_at: datetime | None = strawberry.field(description="None: the car is inside")
    entry_missing: bool
    fee_fen: int
    paid_fen: int
    settlement: str = strawberry.field(description="open | due | paid | billed | covered | free")
    unit_id: strawberry.ID | None

    @classmethod
    def from_row(cls, r: m.ParkingSession) -> ParkingSessionNode:
        return cls(
            id=gid("ParkingSession", r.id),  # type: ignore[arg-type]
            lot_id=gid("ParkingLot", r.lot_id),  # type: ignore[arg-type]
            plate=r.plate_masked,
            kind=r.kind,
            entry_at=r.entry_at,
            exit_at=r.exit_at,
            entry_missing=r.entry_missing,
            fee_fen=r.fee_fen,
            paid_fen=r.paid_fen,
            settlement=r.settlement,
            unit_id=gid("Unit", r.unit_id),
        )


@strawberry.type(description="A window in which a space is lent (共享车位)")
class ParkingShareWindow:
    id: strawberry.ID
    space_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    price_fen: int
    withdrawn: bool

    @classmethod
    def from_row(cls, r: m.ShareWindow) -> ParkingShareWindow:
        return cls(
            id=gid("ParkingShareWindow", r.id),  # type: ignore[arg-type]
            space_id=gid("ParkingSpace", r.space_id),  # type: ignore[arg-type]
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            price_fen=r.price_fen,
            withdrawn=r.withdrawn,
        )


@strawberry.type(description="A booking of a lent space")
class ParkingBooking:
    id: strawberry.ID
    space_id: strawberry.ID
    window_id: strawberry.ID
    unit_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    price_fen: int
    cancelled: bool

    @classmethod
    def from_row(cls, r: m.SpaceBooking) -> ParkingBooking:
        return cls(
            id=gid("ParkingBooking", r.id),  # type: ignore[arg-type]
            space_id=gid("ParkingSpace", r.space_id),  # type: ignore[arg-type]
            window_id=gid("ParkingShareWindow", r.window_id),  # type: ignore[arg-type]
            unit_id=gid("Unit", r.unit_id),  # type: ignore[arg-type]
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            price_fen=r.price_fen,
            cancelled=r.cancelled,
        )


@strawberry.type(description="An EV charging pile (充电桩) and its prices per kWh")
class ChargingPile:
    id: strawberry.ID
    device_id: strawberry.ID
    lot_id: strawberry.ID | None
    price_per_kwh_fen: int
    service_per_kwh_fen: int

    @classmethod
    def from_row(cls, r: m.ChargingPile) -> ChargingPile:
        return cls(
            id=gid("ChargingPile", r.id),  # type: ignore[arg-type]
            device_id=gid("Device", r.device_id),  # type: ignore[arg-type]
            lot_id=gid("ParkingLot", r.lot_id),
            price_per_kwh_fen=r.price_per_kwh_fen,
            service_per_kwh_fen=r.service_per_kwh_fen,
        )


@strawberry.type(description="One charge of a car at a pile")
class ChargingSessionNode:
    id: strawberry.ID
    pile_id: strawberry.ID
    status: str = strawberry.field(description="charging | stopped | interrupted")
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int
    energy_fen: int
    service_fen: int
    plate: str = strawberry.field(description="Masked; empty when the pile did not know the car")
    unit_id: strawberry.ID | None

    @classmethod
    def from_row(cls, r: m.ChargingSession) -> ChargingSessionNode:
        return cls(
            id=gid("ChargingSession", r.id),  # type: ignore[arg-type]
            pile_id=gid("ChargingPile", r.pile_id),  # type: ignore[arg-type]
            status=r.status,
            started_at=r.started_at,
            stopped_at=r.stopped_at,
            energy_wh=r.energy_wh,
            energy_fen=r.energy_fen,
            service_fen=r.service_fen,
            plate=r.plate_masked,
            unit_id=gid("Unit", r.unit_id),
        )
