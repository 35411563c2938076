"""Parking tables. Money is integer fen, energy integer Wh, times aware UTC.

Plates are personal data (a plate identifies a household's car): every table that holds one
keeps it encrypted with the tenant's key (``plate_enc``), a keyed digest for lookups
(``plate_digest``: equal plates, equal digests, nothing readable) and a masked form for lists
(``plate_masked``, 粤B***45). The plate in clear is never stored, logged or put in an event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, TenantScoped, Timestamped, tenant_fk
from kernel.sdk.db import personal, retained

SPACE_KINDS = ("owned", "leased", "visitor", "shared")
DIRECTIONS = ("entry", "exit")


class ParkingLot(TenantRecord, Base):
    """A car park (停车场) of a community, with its barrier lanes and its tariff for temporary cars."""

    __tablename__ = "parking_lots"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "community_id", "name"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int]
    free_minutes: Mapped[int] = mapped_column(default=15)
    hourly_fen: Mapped[int] = mapped_column(BigInteger, default=500)
    night_hourly_fen: Mapped[int] = mapped_column(BigInteger, default=100)
    night_start: Mapped[int] = mapped_column(default=22 * 60)
    night_end: Mapped[int] = mapped_column(default=7 * 60)
    daily_cap_fen: Mapped[int] = mapped_column(BigInteger, default=4000)
    #: What a car that leaves with no entry on record pays (无入场记录): a flat fee, fen.
    no_entry_fee_fen: Mapped[int] = mapped_column(BigInteger, default=4000)


class ParkingSpace(TenantRecord, Base):
    """A numbered space (车位): owned or leased by a unit, for visitors, or shared."""

    __tablename__ = "parking_spaces"
    __table_args__ = (
        tenant_fk("lot_id", "parking_lots"),
        tenant_fk("unit_id", "units", ondelete=None),
        UniqueConstraint("tenant_id", "lot_id", "code"),
        CheckConstraint("kind IN ('owned', 'leased', 'visitor', 'shared')", name="kind_known"),
    )

    lot_id: Mapped[uuid.UUID] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    #: The unit that owns or leases the space (None for visitor spaces and the firm's own).
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class ParkingGate(TenantRecord, Base):
    """A barrier lane (道闸) of a lot: a ``parking_barrier`` device and its direction."""

    __tablename__ = "parking_gates"
    __table_args__ = (
        tenant_fk("lot_id", "parking_lots"),
        tenant_fk("device_id", "devices"),
        UniqueConstraint("tenant_id", "device_id"),
        CheckConstraint("direction IN ('entry', 'exit')", name="direction_known"),
    )

    lot_id: Mapped[uuid.UUID] = mapped_column(index=True)
    device_id: Mapped[uuid.UUID]
    direction: Mapped[str] = mapped_column(String(5))


class ParkingPolicy(TenantScoped, Timestamped, Base):
    """The firm's parking rules: how many plates a household (unit) may register."""

    __tablename__ = "parking_policies"

    plates_per_unit: Mapped[int] = mapped_column(default=3)


class Vehicle(TenantRecord, Base):
    """A plate registered by a household (登记车辆). ``slot`` (1..limit) makes the per-unit limit
    a constraint: two concurrent registrations cannot take the same slot."""

    __tablename__ = "parking_vehicles"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "plate_digest"),
        UniqueConstraint("tenant_id", "unit_id", "slot"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slot: Mapped[int]
    plate_digest: Mapped[str] = mapped_column(String(64))
    plate_enc: Mapped[str] = mapped_column(String(200), info=personal("property", "important", encrypted=True))
    plate_masked: Mapped[str] = mapped_column(String(16))


class MonthlyPass(TenantRecord, Base):
    """A monthly pass (月卡) of a registered car for one lot: stays that end inside its validity
    are free; its monthly price is billed to the car's unit through fees."""

    __tablename__ = "parking_passes"
    __table_args__ = (
        tenant_fk("lot_id", "parking_lots"),
        tenant_fk("vehicle_id", "parking_vehicles"),
        CheckConstraint("valid_until > valid_from", name="window_positive"),
        CheckConstraint("monthly_fen >= 0", name="price_not_negative"),
        Index("ix_parking_passes_lookup", "tenant_id", "lot_id", "plate_digest"),
    )

    lot_id: Mapped[uuid.UUID] = mapped_column(index=True)
    vehicle_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    plate_digest: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    monthly_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    revoked: Mapped[bool] = mapped_column(default=False)


class VisitorPlate(TenantRecord, Base):
    """A visitor's plate from a visitor pass (``access.pass_created``): the car is the host's
    guest inside the pass window."""

    __tablename__ = "parking_visitor_plates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "pass_id"),
        Index("ix_parking_visitor_plates_lookup", "tenant_id", "plate_digest"),
    )

    pass_id: Mapped[uuid.UUID]
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: The host's unit, when the pass names one (its visitors' fees go on that unit's bill).
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    plate_digest: Mapped[str] = mapped_column(String(64))
    plate_enc: Mapped[str] = mapped_column(String(200), info=personal("property", "important", encrypted=True))
    plate_masked: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)


class ParkingSession(TenantRecord, Base):
    """One stay of a car in a lot, from the barrier events.

    ``exit_at`` is None while the car is inside (live occupancy counts those); one such open
    session per lot and plate (a partial unique index: a second entry read is a duplicate).
    ``settlement``: ``open`` (inside), ``due`` (fee to pay at the gate), ``paid``, ``billed`` (on
    a unit's bill through fees), ``covered`` (a pass), ``free`` (within the free minutes).
    """

    __tablename__ = "parking_sessions"
    __table_args__ = (
        tenant_fk("lot_id", "parking_lots"),
        Index(
            "uq_parking_sessions_open_plate",
            "tenant_id",
            "lot_id",
            "plate_digest",
            unique=True,
            sqlite_where=text("exit_at IS NULL"),
            postgresql_where=text("exit_at IS NULL"),
        ),
        Index("ix_parking_sessions_recent", "tenant_id", "lot_id", "plate_digest", "exit_at"),
        Index("ix_parking_sessions_billing", "tenant_id", "settlement", "exit_at"),
    )

    lot_id: Mapped[uuid.UUID] = mapped_column(index=True)
    plate_digest: Mapped[str] = mapped_column(String(64))
    plate_enc: Mapped[str] = mapped_column(String(200), info=personal("property", "important", encrypted=True))
    plate_masked: Mapped[str] = mapped_column(String(16))
    #: temporary | household | visitor | pass — how the car was recognised at exit.
    kind: Mapped[str] = mapped_column(String(10), default="temporary")
    entry_at: Mapped[datetime | None] = mapped_column(default=None)
    exit_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The exit lane that read the car (a payment later raises its barrier).
    exit_device_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: True for a car that left with no entry on record (charged the lot's no-entry fee).
    entry_missing: Mapped[bool] = mapped_column(default=False)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    settlement: Mapped[str] = mapped_column(String(8), default="open")
    #: The unit billed (household car, or the host of a visitor).
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    payment_reference: Mapped[str] = mapped_column(String(64), default="")


class GateEvent(TenantRecord, Base):
    """Every plate read of a barrier lane and what came of it. Unique per (device, reading
    time): a message delivered twice is one read."""

    __tablename__ = "parking_gate_events"
    __table_args__ = (
        tenant_fk("lot_id", "parking_lots"),
        UniqueConstraint("tenant_id", "device_id", "ts"),
        {"info": retained("behaviour")},  # who drove in and out when: deleted after the behaviour period
    )

    lot_id: Mapped[uuid.UUID] = mapped_column(index=True)
    device_id: Mapped[uuid.UUID]
    ts: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(5))
    plate_masked: Mapped[str] = mapped_column(String(16))
    #: entered | duplicate_entry | left | left_without_entry | duplicate_exit | payment_due
    outcome: Mapped[str] = mapped_column(String(20))
    allowed: Mapped[bool]
    session_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class ShareWindow(TenantRecord, Base):
    """A time window in which a space's holder lends it (共享车位) at a price."""

    __tablename__ = "parking_share_windows"
    __table_args__ = (
        tenant_fk("space_id", "parking_spaces"),
        CheckConstraint("ends_at > starts_at", name="window_positive"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
    )

    space_id: Mapped[uuid.UUID] = mapped_column(index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    withdrawn: Mapped[bool] = mapped_column(default=False)


class SpaceBooking(TenantRecord, Base):
    """A booking of a lent space inside one of its windows. Bookings of one space never
    overlap: the booking takes the space's row lock before it checks (see ``service.book``)."""

    __tablename__ = "parking_bookings"
    __table_args__ = (
        tenant_fk("space_id", "parking_spaces"),
        tenant_fk("window_id", "parking_share_windows"),
        tenant_fk("unit_id", "units"),
        CheckConstraint("ends_at > starts_at", name="booking_positive"),
        Index("ix_parking_bookings_space_time", "tenant_id", "space_id", "starts_at"),
    )

    space_id: Mapped[uuid.UUID]
    window_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)


class ChargingPile(TenantRecord, Base):
    """An EV charging pile (充电桩): an ``ev_charger`` device and its prices per kWh."""

    __tablename__ = "parking_piles"
    __table_args__ = (
        tenant_fk("device_id", "devices"),
        tenant_fk("lot_id", "parking_lots", ondelete=None),
        UniqueConstraint("tenant_id", "device_id"),
        CheckConstraint(
            "price_per_kwh_fen >= 0 AND service_per_kwh_fen >= 0", name="prices_not_negative"
        ),
    )

    device_id: Mapped[uuid.UUID]
    lot_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    price_per_kwh_fen: Mapped[int] = mapped_column(BigInteger)
    service_per_kwh_fen: Mapped[int] = mapped_column(BigInteger)


class ChargingSession(TenantRecord, Base):
    """One charge, from the charger's ``start``/``stop`` telemetry; unique per (pile, the
    charger's own transaction id)."""

    __tablename__ = "parking_charges"
    __table_args__ = (
        tenant_fk("pile_id", "parking_piles"),
        UniqueConstraint("tenant_id", "pile_id", "charger_ref"),
        Index("ix_parking_charges_billing", "tenant_id", "status", "stopped_at"),
    )

    pile_id: Mapped[uuid.UUID] = mapped_column(index=True)
    charger_ref: Mapped[str] = mapped_column(String(64))
    #: charging | stopped | interrupted (a fault ended it)
    status: Mapped[str] = mapped_column(String(12), default="charging")
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    energy_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    service_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    plate_masked: Mapped[str] = mapped_column(String(16), default="")
    #: The unit billed: the registered car's household (None: not billed, shown to staff).
    unit_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
