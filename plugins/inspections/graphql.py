"""GraphQL for inspections, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.inspections.types` (routes with checkpoints, schedules, rounds and
findings), :mod:`~plugins.inspections.queries`, :mod:`~plugins.inspections.mutations`,
:mod:`~plugins.inspections.repository` (reads and their access rules) and
:mod:`~plugins.inspections.service` (the writes).
"""

from __future__ import annotations

from plugins.inspections.mutations import InspectionMutation
from plugins.inspections.queries import InspectionQuery
from plugins.inspections.types import (
    CheckpointInput,
    InspectionCheckpoint,
    InspectionFinding,
    InspectionRound,
    InspectionRoute,
    InspectionSchedule,
)

__all__ = [
    "CheckpointInput",
    "InspectionCheckpoint",
    "InspectionFinding",
    "InspectionMutation",
    "InspectionQuery",
    "InspectionRound",
    "InspectionRoute",
    "InspectionSchedule",
]
