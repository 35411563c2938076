"""The inspection vocabularies, defined once: the service validates against them, GraphQL shows
them as enums. The values are the stored strings (see :mod:`kernel.sdk.vocabulary`); the
facility category is shared with work orders and lives in the SDK."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from kernel.sdk.vocabulary import FacilityCategory, values

__all__ = ["FacilityCategory", "FindingResult", "FindingSeverity", "InspectionRoundStatus", "values"]


@strawberry.enum(
    description="How serious a finding is, lowest first (a defect is published with it to the work-order plugin)."
)
class FindingSeverity(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


@strawberry.enum(description="What an inspector found at a checkpoint: ok, or a defect (which opens a work order).")
class FindingResult(StrEnum):
    ok = "ok"
    defect = "defect"


@strawberry.enum(description="Where a round stands: scheduled → in_progress → completed.")
class InspectionRoundStatus(StrEnum):
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
