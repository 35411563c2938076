"""The grid plugin's closed vocabularies (GraphQL enums and the values stored in the tables)."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import FacilityCategory, values


@strawberry.enum(
    description="What a grid member is: a grid worker (网格员) or the residents' committee (居委会)."
)
class GridMemberRole(StrEnum):
    grid_worker = "grid_worker"
    residents_committee = "residents_committee"


@strawberry.enum(description="How a checkpoint's tag is read: a printed QR code or an NFC tag.")
class GridTagKind(StrEnum):
    qr = "qr"
    nfc = "nfc"


@strawberry.enum(
    description="What an incident is about: a facility category, or a matter for the street office."
)
class GridIncidentCategory(StrEnum):
    plumbing = "plumbing"
    electrical = "electrical"
    elevator = "elevator"
    security = "security"
    fire = "fire"
    sanitation = "sanitation"
    public_facility = "public_facility"
    greening = "greening"
    noise = "noise"
    parking = "parking"
    public_order = "public_order"
    dispute = "dispute"
    illegal_construction = "illegal_construction"
    social_assistance = "social_assistance"
    other = "other"


#: Categories a property firm's work order can take (the rest become ``other`` on the order).
FACILITY = frozenset(values(FacilityCategory))


@strawberry.enum(
    description="reported → work_order (the property firm) or referred (the street office) → closed."
)
class GridIncidentStatus(StrEnum):
    reported = "reported"
    work_order = "work_order"
    referred = "referred"
    closed = "closed"


@strawberry.enum(
    description="Where an incident goes: a work order of the property firm, or the street office."
)
class GridIncidentRoute(StrEnum):
    work_order = "work_order"
    street_office = "street_office"


@strawberry.enum(
    description="Why a resident is followed up (a tag on the person; encrypted, shown only in the audited detail)."
)
class GridVulnerableTag(StrEnum):
    elderly_alone = "elderly_alone"
    disabled = "disabled"
    left_behind_child = "left_behind_child"
    other = "other"


@strawberry.enum(description="active (visits scheduled), paused (consent revoked), ended.")
class GridFollowUpStatus(StrEnum):
    active = "active"
    paused = "paused"
    ended = "ended"
