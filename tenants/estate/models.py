"""Estate tables. Areas are integer hundredths of m² (``registered_area = 8963`` is 89.63 m²)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, tenant_fk


class Community(TenantRecord, Base):
    """社区: a residents'-committee area; the unit of governance and of the chain contracts."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(64), default="")
    district: Mapped[str] = mapped_column(String(64), default="")
    #: 街道 — the street office's jurisdiction code the regulator role is scoped to.
    street_code: Mapped[str] = mapped_column(String(32), default="")


class Compound(TenantRecord, Base):
    """小区."""

    __tablename__ = "compounds"
    __table_args__ = (tenant_fk("community_id", "communities"), UniqueConstraint("tenant_id", "community_id", "name"))

    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")


class Building(TenantRecord, Base):
    """楼栋."""

    __tablename__ = "buildings"
    __table_args__ = (
        tenant_fk("compound_id", "compounds"),
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "compound_id", "name"),
    )

    compound_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Denormalised for scoped queries (community pages, votes by scope).
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(64))
    floors: Mapped[int] = mapped_column(default=1)


class Unit(TenantRecord, Base):
    """房屋 / 专有部分: an exclusive part with its registered floor area."""

    __tablename__ = "units"
    __table_args__ = (
        tenant_fk("building_id", "buildings"),
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "building_id", "number"),
        CheckConstraint("registered_area > 0", name="area_positive"),
        Index("ix_units_tenant_community", "tenant_id", "community_id"),
    )

    building_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID]
    number: Mapped[str] = mapped_column(String(32))
    floor: Mapped[int] = mapped_column(default=1)
    #: Hundredths of m²: registered area, else surveyed, else contract area (SPC interp. Art. 8).
    registered_area: Mapped[int]
    area_source: Mapped[str] = mapped_column(String(12), default="registered")
    use: Mapped[str] = mapped_column(String(16), default="residential")
    #: False while the developer has not sold or delivered it (counts with all such units as one person).
    sold: Mapped[bool] = mapped_column(default=True)


class Person(TenantRecord, Base):
    """An owner or resident. Sensitive fields are encrypted with the tenant's key; lists mask names."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("tenant_id", "id_number_digest"),)

    kind: Mapped[str] = mapped_column(String(12), default="natural")  # natural | organisation | developer
    name: Mapped[str] = mapped_column(String(100))
    phone_enc: Mapped[str | None] = mapped_column(String(200), default=None)
    id_number_enc: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Keyed digest of the ID number: finds "the same buyer" without storing the number in clear.
    id_number_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)


class Ownership(TenantRecord, Base):
    """A person's ownership of a unit; several rows for one unit mean co-ownership."""

    __tablename__ = "ownerships"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        tenant_fk("person_id", "persons"),
        UniqueConstraint("tenant_id", "unit_id", "person_id"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Share in basis points (10000 = sole owner).
    share_bp: Mapped[int] = mapped_column(default=10000)
    since: Mapped[date | None] = mapped_column(default=None)


class Residency(TenantRecord, Base):
    """A person living in a unit: owner-occupier, family member or renter (住户)."""

    __tablename__ = "residencies"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        tenant_fk("person_id", "persons"),
        UniqueConstraint("tenant_id", "unit_id", "person_id"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(12), default="renter")  # owner | family | renter
    since: Mapped[date | None] = mapped_column(default=None)
