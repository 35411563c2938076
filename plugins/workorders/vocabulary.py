"""The work-order vocabularies, defined once: the service validates against them, GraphQL shows
them as enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`); the
category is shared with inspections and lives in the SDK."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import FacilityCategory, values

__all__ = [
    "FacilityCategory",
    "WorkOrderKind",
    "WorkOrderPriority",
    "WorkOrderSource",
    "WorkOrderStatus",
    "values",
]


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


@strawberry.enum(
    description="Where a work order stands: reported → assessed → dispatched → in_progress → resolved → closed, or cancelled."
)
class WorkOrderStatus(StrEnum):
    reported = "reported"
    assessed = "assessed"
    dispatched = "dispatched"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


@strawberry.enum(
    description="Who or what opened a work order: a resident, staff, a grid worker, a device alarm, an inspection finding or a passed proposal."
)
class WorkOrderSource(StrEnum):
    resident = "resident"
    staff = "staff"
    grid_worker = "grid_worker"
    device_alarm = "device_alarm"
    inspection = "inspection"
    governance = "governance"
