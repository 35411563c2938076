"""Estate operations (public API for plugins). Flush, never commit; validate before writing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.crypto import Vault
from kernel.errors import BadUserInput, Conflict, NotFound
from kernel.sdk.inputs import parse_input
from tenants.estate.inputs import NewBuilding, NewCommunity, NewCompound, NewUnit
from tenants.estate.models import Building, Community, Compound, Ownership, Person, Residency, Unit

PHONE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
PERSON_KINDS = ("natural", "organisation", "developer")
RESIDENCY_KINDS = ("owner", "family", "renter")
MAX_AREA = 10_000_000  # 100,000.00 m²


def parse_area(text: str) -> int:
    """'89.63' → 8963 hundredths of m²; refuses more than two decimals, zero or negatives."""
    m = re.fullmatch(r"\s*(\d{1,7})(?:\.(\d{1,2}))?\s*", text or "")
    if not m:
        raise BadUserInput(f"area {text!r} is not a number of m² with at most two decimals", field="area")
    value = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if value <= 0 or value > MAX_AREA:
        raise BadUserInput(f"area {text!r} is out of range", field="area")
    return value


def format_area(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


async def _get(session: AsyncSession, model: type, id_: uuid.UUID, what: str):  # type: ignore[no-untyped-def]
    row = await session.scalar(select(model).where(model.id == id_))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no {what} with this id")
    return row


async def create_community(session: AsyncSession, *, code: str, name: str, city: str = "", district: str = "", street_code: str = "") -> Community:
    spec = parse_input(NewCommunity, code=code, name=name, city=city, district=district, street_code=street_code)
    code = spec.code
    if await session.scalar(select(Community.id).where(Community.code == code)):
        raise Conflict(f"community code {code!r} is taken", field="code")
    row = Community(code=code, name=spec.name, city=spec.city, district=spec.district, street_code=spec.street_code)
    session.add(row)
    await session.flush()
    return row


async def create_compound(session: AsyncSession, *, community_id: uuid.UUID, name: str, address: str = "") -> Compound:
    spec = parse_input(NewCompound, name=name, address=address)
    await _get(session, Community, community_id, "community")
    row = Compound(community_id=community_id, name=spec.name, address=spec.address)
    session.add(row)
    await session.flush()
    return row


async def create_building(session: AsyncSession, *, compound_id: uuid.UUID, name: str, floors: int = 1) -> Building:
    spec = parse_input(NewBuilding, name=name, floors=floors)
    compound = await _get(session, Compound, compound_id, "compound")
    row = Building(compound_id=compound_id, community_id=compound.community_id, name=spec.name, floors=spec.floors)
    session.add(row)
    await session.flush()
    return row


async def set_building_location(
    session: AsyncSession, *, building_id: uuid.UUID, latitude: float | None, longitude: float | None
) -> Building:
    """Set (both) or clear (neither) a building's WGS-84 coordinates, in degrees."""
    if (latitude is None) != (longitude is None):
        raise BadUserInput("give both latitude and longitude, or neither", field="longitude" if longitude is None else "latitude")
    if latitude is not None and not -90 <= latitude <= 90:
        raise BadUserInput("latitude is between -90 and 90 degrees", field="latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise BadUserInput("longitude is between -180 and 180 degrees", field="longitude")
    row = await _get(session, Building, building_id, "building")
    row.latitude, row.longitude = latitude, longitude
    await session.flush()
    return row


async def create_unit(
    session: AsyncSession, *, building_id: uuid.UUID, number: str, registered_area: int, floor: int = 1, sold: bool = True, area_source: str = "registered"
) -> Unit:
    spec = parse_input(NewUnit, number=number, registered_area=registered_area, area_source=area_source)
    building = await _get(session, Building, building_id, "building")
    row = Unit(
        building_id=building_id,
        community_id=building.community_id,
        number=spec.number,
        floor=floor,
        registered_area=registered_area,
        sold=sold,
        area_source=area_source,
    )
    session.add(row)
    await session.flush()
    return row


async def register_person(
    session: AsyncSession,
    vault: Vault,
    tenant_id: uuid.UUID,
    *,
    name: str,
    kind: str = "natural",
    phone: str | None = None,
    id_number: str | None = None,
    account_id: uuid.UUID | None = None,
) -> Person:
    """Find-or-create a person; the same ID number is the same buyer (Art. 278 counting)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadUserInput("a person needs a name of at most 100 characters", field="name")
    if kind not in PERSON_KINDS:
        raise BadUserInput(f"person kind is one of {', '.join(PERSON_KINDS)}", field="kind")
    if phone and not PHONE.match(phone):
        raise BadUserInput("a phone number is 11 digits starting with 1", field="phone")
    if id_number:
        id_number = id_number.upper()
        if not ID_NUMBER.match(id_number):
            raise BadUserInput("an ID number is 17 digits and a digit or X", field="idNumber")
    digest = vault.keyed_digest(tenant_id, id_number) if id_number else None
    if digest:
        found = await session.scalar(select(Person).where(Person.id_number_digest == digest))
        if found is not None:
            return found
    person = Person(
        kind=kind,
        name=name,
        phone_enc=vault.encrypt(tenant_id, phone) if phone else None,
        id_number_enc=vault.encrypt(tenant_id, id_number) if id_number else None,
        id_number_digest=digest,
        account_id=account_id,
    )
    session.add(person)
    await session.flush()
    return person


async def add_ownership(session: AsyncSession, *, unit_id: uuid.UUID, person_id: uuid.UUID, share_bp: int = 10000) -> Ownership:
    await _get(session, Unit, unit_id, "unit")
    await _get(session, Person, person_id, "person")
    if not (0 < share_bp <= 10000):
        raise BadUserInput("a share is 1–10000 basis points", field="share")
    existing = list(await session.scalars(select(Ownership).where(Ownership.unit_id == unit_id)))
    if any(o.person_id == person_id for o in existing):
        raise Conflict("this person already owns this unit")
    if sum(o.share_bp for o in existing) + share_bp > 10000:
        raise BadUserInput("the owners' shares of a unit cannot exceed 100%", field="share")
    row = Ownership(unit_id=unit_id, person_id=person_id, share_bp=share_bp)
    session.add(row)
    await session.flush()
    return row


async def add_residency(session: AsyncSession, *, unit_id: uuid.UUID, person_id: uuid.UUID, kind: str = "renter") -> Residency:
    await _get(session, Unit, unit_id, "unit")
    await _get(session, Person, person_id, "person")
    if kind not in RESIDENCY_KINDS:
        raise BadUserInput(f"residency kind is one of {', '.join(RESIDENCY_KINDS)}", field="kind")
    row = Residency(unit_id=unit_id, person_id=person_id, kind=kind)
    session.add(row)
    await session.flush()
    return row


async def units_owned_by_account(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Unit]:
    stmt = (
        select(Unit)
        .join(Ownership, (Ownership.unit_id == Unit.id) & (Ownership.tenant_id == Unit.tenant_id))
        .join(Person, (Person.id == Ownership.person_id) & (Person.tenant_id == Ownership.tenant_id))
        .where(Person.account_id == account_id)
    )
    return (await session.scalars(stmt)).all()


async def accounts_of_units(session: AsyncSession, units: Any, *, residents: bool = True) -> list[uuid.UUID]:
    """The logins of the persons who own the units (and, with ``residents``, live in them): the
    people to tell about those units. ``units`` is a list of unit ids or a ``select`` of them
    (a community's thousand units stay one query)."""
    unit_filter = units if isinstance(units, Select) else list(units)
    links: list[tuple[Any, Any]] = [(Ownership.person_id, Ownership)]
    if residents:
        links.append((Residency.person_id, Residency))
    found: set[uuid.UUID] = set()
    for person_id, link in links:  # two scoped ORM queries (a UNION would be a Core statement)
        stmt = (
            select(Person.account_id)
            .join(link, (person_id == Person.id) & (link.tenant_id == Person.tenant_id))
            .where(link.unit_id.in_(unit_filter), Person.account_id.is_not(None))
        )
        found.update(a for a in (await session.scalars(stmt)).all() if a is not None)
    return sorted(found, key=str)
