"""The work-order vocabularies, defined once: the service validates against them, GraphQL shows
them as enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`); the
category is shared with inspections and lives in the SDK."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import FacilityCategory, values

__all__ = ["FacilityCategory", "WorkOrderKind", "WorkOrderPriority", "values"]


@strawberry.enum(
    description="What was reported: a repair (报修), a complaint (投诉) or an incident (事件)."
)
class WorkOrderKind(StrEnum):
    repair = "repair"
    complaint = "complaint"
    incident = "incident"


@strawberry.enum(
    description="How urgent, lowest first; sets the response and resolution deadlines."
)
class WorkOrderPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"
