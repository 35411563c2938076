"""The estate's inputs (communities, compounds, buildings, units), validated with pydantic before
anything is written: a bad value answers BAD_USER_INPUT naming the GraphQL field (``code``,
``name``, ``city``, ``district``, ``streetCode``, ``address``, ``floors``, ``number``,
``registeredArea``, ``areaSource``) — a name longer than its column never reaches the database
(where SQLite would store it whole and PostgreSQL would refuse it). What needs the database (is
the code taken, does the parent exist) is the service's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

#: Longest accepted values, as the columns hold them (tenants/estate/models.py).
CODE_MAX = 32
COMMUNITY_NAME_MAX = 200
PLACE_MAX = 64  # city, district
STREET_CODE_MAX = 32
COMPOUND_NAME_MAX = 200
ADDRESS_MAX = 300
BUILDING_NAME_MAX = 64
UNIT_NUMBER_MAX = 32
MAX_FLOORS = 200
MAX_AREA = 10_000_000  # hundredths of m²: 100,000.00 m²
AREA_SOURCES = ("registered", "surveyed", "contract")


def _required(value: object, limit: int, message: str) -> str:
    if not isinstance(value, str):
        raise ValueError(message)
    value = value.strip()
    if not value or len(value) > limit:
        raise ValueError(message)
    return value


def _optional(value: object, limit: int, message: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(message)
    value = value.strip()
    if len(value) > limit:
        raise ValueError(message)
    return value


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True)


class NewCommunity(_Input):
    """``createCommunity``."""

    code: str
    name: str
    city: str = ""
    district: str = ""
    street_code: str = ""

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: str) -> str:
        return _required(value, CODE_MAX, f"a community needs a code of at most {CODE_MAX} characters")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: str) -> str:
        return _required(
            value, COMMUNITY_NAME_MAX, f"a community needs a name of at most {COMMUNITY_NAME_MAX} characters"
        )

    @field_validator("city", "district", mode="before")
    @classmethod
    def _place(cls, value: str) -> str:
        return _optional(value, PLACE_MAX, f"at most {PLACE_MAX} characters")

    @field_validator("street_code", mode="before")
    @classmethod
    def _street(cls, value: str) -> str:
        return _optional(value, STREET_CODE_MAX, f"a street code is at most {STREET_CODE_MAX} characters")


class NewCompound(_Input):
    """``createCompound``."""

    name: str
    address: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: str) -> str:
        return _required(
            value, COMPOUND_NAME_MAX, f"a compound needs a name of at most {COMPOUND_NAME_MAX} characters"
        )

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: str) -> str:
        return _optional(value, ADDRESS_MAX, f"an address is at most {ADDRESS_MAX} characters")


class NewBuilding(_Input):
    """``createBuilding``."""

    name: str
    floors: int = 1

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: str) -> str:
        return _required(
            value, BUILDING_NAME_MAX, f"a building needs a name of at most {BUILDING_NAME_MAX} characters"
        )

    @field_validator("floors")
    @classmethod
    def _floors(cls, value: int) -> int:
        if not 1 <= value <= MAX_FLOORS:
            raise ValueError(f"a building has 1–{MAX_FLOORS} floors")
        return value


class NewUnit(_Input):
    """``createUnit``."""

    number: str
    registered_area: int
    area_source: str = "registered"

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: str) -> str:
        return _required(value, UNIT_NUMBER_MAX, f"a unit needs a number of at most {UNIT_NUMBER_MAX} characters")

    @field_validator("registered_area")
    @classmethod
    def _area(cls, value: int) -> int:
        if not 0 < value <= MAX_AREA:
            raise ValueError("registered area must be positive (hundredths of m²), at most 100,000 m²")
        return value

    @field_validator("area_source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in AREA_SOURCES:
            raise ValueError("area source is registered, surveyed or contract")
        return value
