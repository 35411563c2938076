"""Estate tables. Areas are integer hundredths of m² (``registered_area = 8963`` is 89.63 m²)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from kernel.db.base import Base, TenantRecord, tenant_fk
from kernel.db.catalogue import legal_hold, personal, secret

#: Stays are in calendar days of the compound's clock: China Standard Time (every tenant is in China).
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in the compound's calendar (a stay ending "today" lasts until local midnight, not UTC's)."""
    return datetime.now(LOCAL_TIME).date()


_DIGITS = re.compile(r"(\d+)")


def natural_key(number: str) -> str:
    """A unit number's sort key: digit runs zero-padded so 101, 102, … 1001 sort as people read them
    ("2-101" before "10-101"), compared as plain strings by the database (indexable, keyset-pageable)."""
    return "".join(part.lstrip("0").rjust(12, "0") if part.isdigit() else part for part in _DIGITS.split(number.strip()))[:200]


#: Byte-order comparison on PostgreSQL: a locale collation may skip punctuation and break the padded runs.
NUMBER_KEY_TYPE = String(200).with_variant(String(200, collation="C"), "postgresql")


def _number_key_default(context: Any) -> str:
    return natural_key(str(context.get_current_parameters().get("number") or ""))


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
    #: WGS-84 degrees of the building's footprint centre, optional (the dashboard's map); both
    #: or neither (``setBuildingLocation``).
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)


class Unit(TenantRecord, Base):
    """房屋 / 专有部分: an exclusive part with its registered floor area."""

    __tablename__ = "units"
    __table_args__ = (
        tenant_fk("building_id", "buildings"),
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "building_id", "number"),
        CheckConstraint("registered_area > 0", name="area_positive"),
        Index("ix_units_tenant_community", "tenant_id", "community_id"),
        Index("ix_units_tenant_building_number_key", "tenant_id", "building_id", "number_key"),
    )

    building_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID]
    number: Mapped[str] = mapped_column(String(32))
    #: ``natural_key(number)``, computed on write (ORM and bulk inserts): lists order by it, not by ``number``.
    number_key: Mapped[str] = mapped_column(NUMBER_KEY_TYPE, default=_number_key_default)
    floor: Mapped[int] = mapped_column(default=1)
    #: Hundredths of m²: registered area, else surveyed, else contract area (SPC interp. Art. 8).
    registered_area: Mapped[int]
    area_source: Mapped[str] = mapped_column(String(12), default="registered")
    use: Mapped[str] = mapped_column(String(16), default="residential")
    #: False while the developer has not sold or delivered it (counts with all such units as one person).
    sold: Mapped[bool] = mapped_column(default=True)

    @validates("number")
    def _keep_number_key(self, _: str, number: str) -> str:
        self.number_key = natural_key(number)
        return number


class Person(TenantRecord, Base):
    """An owner or resident. Sensitive fields are encrypted with the tenant's key; lists mask names."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("tenant_id", "id_number_digest"),)

    kind: Mapped[str] = mapped_column(String(12), default="natural")  # natural | organisation | developer
    name: Mapped[str] = mapped_column(String(100), info=personal("identity"))
    phone_enc: Mapped[str | None] = mapped_column(String(200), default=None, info=personal("contact", "important", encrypted=True))
    id_number_enc: Mapped[str | None] = mapped_column(String(200), default=None, info=personal("identity", "core", encrypted=True))
    #: Keyed digest of the ID number: finds "the same buyer" without storing the number in clear.
    id_number_digest: Mapped[str | None] = mapped_column(String(64), default=None, info=personal("identity", "core"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)


class Ownership(TenantRecord, Base):
    """A person's ownership of a unit; several rows for one unit mean co-ownership."""

    __tablename__ = "ownerships"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        tenant_fk("person_id", "persons"),
        UniqueConstraint("tenant_id", "unit_id", "person_id"),
        {"info": legal_hold("the owner register: Art. 278 counting (one person per buyer, registered floor area; Civil Code art. 278, SPC interpretation arts. 8–9)")},
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Share in basis points (10000 = sole owner).
    share_bp: Mapped[int] = mapped_column(default=10000)
    since: Mapped[date | None] = mapped_column(default=None)


class VoterDesignation(TenantRecord, Base):
    """Which co-owner casts a co-owned unit's one ballot (SPC interp. Art. 9: the co-owners choose who).

    One row per unit; replacing it is audited and every co-owner sees the current one. Without a row any
    co-owner may vote, and the others then see who did.
    """

    __tablename__ = "voter_designations"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        tenant_fk("person_id", "persons"),
        UniqueConstraint("tenant_id", "unit_id"),
        {"info": legal_hold("the owner register: which co-owner casts a co-owned unit's ballot (SPC interpretation art. 9)")},
    )

    unit_id: Mapped[uuid.UUID]
    #: The co-owner who votes for the unit.
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Who recorded it: a co-owner's person id, or ``None`` when staff recorded the co-owners' written choice.
    designated_by_person_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    designated_by: Mapped[str] = mapped_column(String(100), default="")


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
    #: First day living there (inclusive); ``None``: since before the register.
    since: Mapped[date | None] = mapped_column(default=None)
    #: Last day living there (inclusive); ``None``: open-ended. After it the residency no longer counts.
    until: Mapped[date | None] = mapped_column(default=None)
    #: The owner (person) who added the renter or family member; ``None`` when staff registered them.
    added_by_person_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    @classmethod
    def current(cls, today: date | None = None) -> ColumnElement[bool]:
        """SQL criterion: the residency counts on ``today`` (default: the compound's today): started, not ended."""
        today = today or local_today()
        return and_(or_(cls.since.is_(None), cls.since <= today), or_(cls.until.is_(None), cls.until >= today))


class OwnerClaim(TenantRecord, Base):
    """A person's claim to be an owner (or resident) of a unit, made from the resident client with the firm's
    code, their phone and the unit; verified by a one-time code sent to the phone the register already
    holds, or by staff approval. Verified, it creates the person's login and links it to the register.

    Secrets are kept hashed: the code (SHA-256 with the claim id), the chosen password (argon2, cleared once
    the login exists). The phone is encrypted, with a keyed digest to find "a phone already claimed".
    """

    __tablename__ = "owner_claims"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        CheckConstraint("status IN ('pending', 'verified', 'rejected', 'superseded')", name="status_known"),
        Index("ix_owner_claims_tenant_status_created", "tenant_id", "status", "created_at"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: owner | resident (family member or renter the owner registered)
    kind: Mapped[str] = mapped_column(String(12))
    #: code (a code to the register's phone) | staff (staff approve from the evidence)
    route: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    claimant_name: Mapped[str] = mapped_column(String(100), info=personal("identity"))
    phone_enc: Mapped[str] = mapped_column(String(200), info=personal("contact", "important", encrypted=True))
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    #: The register's person the claim matched (code route), or whom staff chose on approval.
    person_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None, info=secret("argon2id password hash chosen with the claim"))
    evidence: Mapped[str] = mapped_column(Text, default="")
    code_hash: Mapped[str | None] = mapped_column(String(64), default=None, info=secret("claim verification code hash"))
    code_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
