"""The estate and its occupancy, as plugins read them: communities, compounds, buildings, units,
persons, ownerships, residencies, and the Art. 278 counting of voting units.

The kernel defines the interface (:class:`EstateReader`); the ``tenants`` room implements it and
registers it with :func:`register_estate` when it loads. Plugins never import ``tenants``: they
use the model classes and calls here, e.g.::

    from kernel.sdk.estate import Unit, units_owned_by_account

    units = await units_owned_by_account(session, actor.account_id)
    stmt = select(Unit).where(Unit.community_id == community_id)

The model names (``Community``, ``Compound``, ``Building``, ``Unit``, ``Person``, ``Ownership``,
``Residency``) are SQLAlchemy mapped classes, resolved from the registered reader on first use.
When nothing registered one yet (a script or test importing a plugin module without a plugin
host), the reader is found through the ``linli.estate`` entry-point group of the installed
distributions — the same mechanism plugins are found by, so no static import crosses rooms.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ENTRY_POINT_GROUP = "linli.estate"

#: The person key of the developer's unsold or undelivered units (they count as one person).
DEVELOPER = "developer"

MODEL_NAMES = ("Community", "Compound", "Building", "Unit", "Person", "Ownership", "Residency")

# The mapped classes, declared (annotation only: the module ``__getattr__`` below resolves them
# from the registered reader) so that the SDK reference documents them.
Community: type[Any]
"""A community (小区) of the tenant: ``code``, ``name``, ``city``, ``district``, ``street_code``."""
Compound: type[Any]
"""A compound (期/苑) of a community: ``community_id``, ``name``, ``address``."""
Building: type[Any]
"""A building (楼栋): ``compound_id``, ``community_id``, ``name``, ``floors``."""
Unit: type[Any]
"""A unit (房屋): ``building_id``, ``community_id``, ``number``, ``floor``, ``registered_area``
(hundredths of m²), ``use``, ``sold``."""
Person: type[Any]
"""A person of the owner register: ``kind``, ``name``, ``account_id`` (the linked login, if
any); contact and ID number only encrypted."""
Ownership: type[Any]
"""A person's share of a unit: ``unit_id``, ``person_id``, ``share_bp`` (basis points)."""
Residency: type[Any]
"""A person living in a unit: ``unit_id``, ``person_id``, ``kind`` (owner, family, renter)."""


@dataclass(frozen=True)
class VotingUnit:
    """One unit as Art. 278 counts it: its registered area and who votes for it."""

    unit_id: uuid.UUID
    area: int
    #: Who votes for the unit: ``developer`` or the sorted owner person ids joined by ``+``.
    person_key: str


@dataclass(frozen=True)
class Totals:
    """Total area (hundredths of m²) and number of persons of a set of voting units."""

    area: int
    persons: int


@dataclass(frozen=True)
class Holding:
    """A person key some of a login's persons vote through, with its units in the scope asked about
    (:func:`holdings_of`)."""

    key: str
    units: tuple[VotingUnit, ...]
    #: The owners behind the key (the developer's person for ``developer``).
    owners: frozenset[uuid.UUID]
    #: The co-owner designated to vote (co-owned units only), if the co-owners chose one.
    designated: uuid.UUID | None
    #: Whether the login may cast this key's ballot (not when another co-owner is designated).
    may_vote: bool


def person_key_for(sold: bool, owners: list[uuid.UUID]) -> str:
    """Units owned by the same buyer count once; unsold units all count as the developer."""
    if not sold or not owners:
        return DEVELOPER
    return "+".join(sorted(str(o) for o in owners))


def totals(units: list[VotingUnit]) -> Totals:
    return Totals(area=sum(u.area for u in units), persons=len({u.person_key for u in units}))


@runtime_checkable
class EstateReader(Protocol):
    """What the estate room offers plugins. Model attributes are the mapped classes."""

    Community: type[Any]
    Compound: type[Any]
    Building: type[Any]
    Unit: type[Any]
    Person: type[Any]
    Ownership: type[Any]
    Residency: type[Any]

    async def units_owned_by_account(self, session: AsyncSession, account_id: uuid.UUID) -> Sequence[Any]:
        """The units whose registered owner (a person) is linked to ``account_id``."""
        ...

    async def voting_units(
        self, session: AsyncSession, community_id: uuid.UUID, building_ids: list[uuid.UUID] | None = None
    ) -> list[VotingUnit]:
        """The community's units (or those of the given buildings) as Art. 278 counts them."""
        ...

    async def accounts_of_units(self, session: AsyncSession, units: Any, *, residents: bool = True) -> list[uuid.UUID]:
        """The logins of the units' owners (and, with ``residents``, the people living there)."""

    async def holdings_of(
        self,
        session: AsyncSession,
        person_ids: set[uuid.UUID],
        community_id: uuid.UUID,
        building_ids: list[uuid.UUID] | None = None,
    ) -> dict[str, Holding]:
        """The person keys in scope that ``person_ids`` (one login's persons) cast the ballot of:
        their own units, a co-owned unit unless another co-owner is designated, and the
        developer's units for its linked representative."""
        ...


_reader: EstateReader | None = None


def register_estate(reader: EstateReader) -> None:
    """Install the estate implementation (the ``tenants`` room does at load)."""
    global _reader
    if not isinstance(reader, EstateReader):
        raise TypeError(f"{reader!r} does not implement kernel.sdk.estate.EstateReader")
    _reader = reader


def estate() -> EstateReader:
    """The registered estate reader (found through the ``linli.estate`` entry point if needed)."""
    if _reader is None:
        from importlib.metadata import entry_points

        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        if not found:
            raise RuntimeError(
                "no estate is installed: a distribution must declare a `linli.estate` entry point "
                "(Linli's own `tenants` room does; reinstall with `pip install -e .`)"
            )
        register_estate(found[0].load())
    assert _reader is not None
    return _reader


async def units_owned_by_account(session: AsyncSession, account_id: uuid.UUID) -> Sequence[Any]:
    """The units owned by the person linked to ``account_id`` (empty when none)."""
    return await estate().units_owned_by_account(session, account_id)


async def voting_units(
    session: AsyncSession, community_id: uuid.UUID, building_ids: list[uuid.UUID] | None = None
) -> list[VotingUnit]:
    """The community's units (or those of ``building_ids``) as Art. 278 counts them."""
    return await estate().voting_units(session, community_id, building_ids)


async def accounts_of_units(session: AsyncSession, units: Any, *, residents: bool = True) -> list[uuid.UUID]:
    """The logins of the persons who own the units (and, with ``residents``, live in them): the
    people to tell about those units. ``units`` is a list of unit ids or a ``select`` of them."""
    return await estate().accounts_of_units(session, units, residents=residents)


async def holdings_of(
    session: AsyncSession,
    person_ids: set[uuid.UUID],
    community_id: uuid.UUID,
    building_ids: list[uuid.UUID] | None = None,
) -> dict[str, Holding]:
    """The person keys in scope that one login's persons vote through (see :class:`Holding`)."""
    return await estate().holdings_of(session, person_ids, community_id, building_ids)


async def person_names(session: AsyncSession, person_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """``{person id: name}`` for a whole list in one query (unknown ids are left out)."""
    from sqlalchemy import select

    Person = estate().Person
    wanted = list({p for p in person_ids if p is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {r[0]: r[1] for r in rows.all()}


async def person_of_account(session: AsyncSession, account_id: uuid.UUID | None) -> uuid.UUID | None:
    """The person (of the tenant's register) linked to the login ``account_id``, if any."""
    from sqlalchemy import select

    Person = estate().Person
    if account_id is None:
        return None
    result: uuid.UUID | None = await session.scalar(select(Person.id).where(Person.account_id == account_id).limit(1))
    return result


async def community_names(
    session: AsyncSession,
    *,
    ids: Iterable[uuid.UUID] | None = None,
    street_code: str | None = None,
    street_codes: Iterable[str] | None = None,
) -> dict[uuid.UUID, str]:
    """``{community id: name}`` of the tenant's communities — all, those of ``ids``, those of
    the street ``street_code``, or those of any of ``street_codes`` (a street office's view; a
    district's streets from ``kernel.sdk.regulator.regulator_streets``)."""
    from sqlalchemy import select

    Community = estate().Community
    stmt = select(Community.id, Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(list(ids)))
    if street_code is not None:
        stmt = stmt.where(Community.street_code == street_code)
    if street_codes is not None:
        stmt = stmt.where(Community.street_code.in_(list(street_codes)))
    return {r[0]: r[1] for r in (await session.execute(stmt)).all()}


async def community_exists(session: AsyncSession, community_id: uuid.UUID | None) -> bool:
    """Whether the session's tenant has the community ``community_id`` — asked of the database
    once per transaction (a safety alarm's transaction validates the same community for the
    alarm, its work order and its escalation; the answer is remembered until the transaction
    ends or rolls back, see :mod:`kernel.db.memo`)."""
    from sqlalchemy import select

    from kernel.db.memo import transaction_facts

    if community_id is None:
        return False
    known: set[uuid.UUID] = transaction_facts(session).setdefault("estate.communities", set())
    if community_id in known:
        return True
    Community = estate().Community
    if await session.scalar(select(Community.id).where(Community.id == community_id)) is None:
        return False
    known.add(community_id)
    return True


def __getattr__(name: str) -> Any:
    if name in MODEL_NAMES:
        return getattr(estate(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEVELOPER",
    "accounts_of_units",
    "community_exists",
    "community_names",
    "EstateReader",
    "Holding",
    "Totals",
    "VotingUnit",
    "estate",
    "holdings_of",
    "person_key_for",
    "person_names",
    "person_of_account",
    "register_estate",
    "totals",
    "units_owned_by_account",
    "voting_units",
    *MODEL_NAMES,
]
