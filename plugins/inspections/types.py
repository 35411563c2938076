"""The inspection plugin's GraphQL types: routes with checkpoints, schedules, rounds and findings.
The category of a checkpoint or finding is the SDK's :class:`~kernel.sdk.vocabulary.FacilityCategory`
(the same enum work orders use)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk.graphql import children_loader, load_nodes
from plugins.inspections import models as m
from plugins.inspections.permissions import PLUGIN
from plugins.inspections.vocabulary import (
    FacilityCategory,
    FindingResult,
    FindingSeverity,
    InspectionRoundStatus,
)


def _gid(type_name: str, value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@strawberry.type
class InspectionCheckpoint:
    id: strawberry.ID
    seq: int
    name: str
    location: str
    category: FacilityCategory


@strawberry.type
class InspectionFinding:
    id: strawberry.ID
    checkpoint_id: strawberry.ID
    result: FindingResult
    severity: FindingSeverity
    category: FacilityCategory
    note: str
    work_order_id: strawberry.ID | None = strawberry.field(
        description="The work order this defect opened, once opened"
    )

    @classmethod
    def from_row(cls, r: m.Finding) -> InspectionFinding:
        return cls(
            id=_gid("InspectionFinding", r.id),
            checkpoint_id=_gid("InspectionCheckpoint", r.checkpoint_id),
            result=FindingResult(r.result),
            severity=FindingSeverity(r.severity),
            category=FacilityCategory(r.category),
            note=r.note,
            work_order_id=_gid("WorkOrder", r.work_order_id),
        )


@strawberry.type
class InspectionRoute(relay.Node):
    id: relay.NodeID[str]
    name: str
    community_id: strawberry.ID
    active: bool

    @strawberry.field
    async def checkpoints(self, info: strawberry.Info) -> list[InspectionCheckpoint]:
        loader = children_loader(
            info, "inspections.checkpoints", m.Checkpoint, m.Checkpoint.route_id, m.Checkpoint.seq
        )
        rows = await loader.load(uuid.UUID(self.id))
        return [
            InspectionCheckpoint(
                id=_gid("InspectionCheckpoint", r.id),
                seq=r.seq,
                name=r.name,
                location=r.location,
                category=FacilityCategory(r.category),
            )
            for r in rows
        ]  # type: ignore[arg-type]

    @classmethod
    def from_row(cls, r: m.InspectionRoute) -> InspectionRoute:
        return cls(
            id=str(r.id),
            name=r.name,
            community_id=_gid("Community", r.community_id),
            active=r.active,
        )  # type: ignore[arg-type]

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.InspectionRoute, cls.from_row, node_ids)


@strawberry.type
class InspectionRound(relay.Node):
    id: relay.NodeID[str]
    route_id: strawberry.ID
    status: InspectionRoundStatus
    due_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    missed: int

    @strawberry.field
    async def findings(self, info: strawberry.Info) -> list[InspectionFinding]:
        loader = children_loader(
            info, "inspections.findings", m.Finding, m.Finding.round_id, m.Finding.created_at
        )
        rows = await loader.load(uuid.UUID(self.id))
        return [InspectionFinding.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, r: m.InspectionRound) -> InspectionRound:
        return cls(
            id=str(r.id),
            route_id=_gid("InspectionRoute", r.route_id),
            status=InspectionRoundStatus(r.status),
            due_at=r.due_at,  # type: ignore[arg-type]
            started_at=r.started_at,
            finished_at=r.finished_at,
            missed=r.missed,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.InspectionRound, cls.from_row, node_ids)


async def _resolve(
    info: strawberry.Info, model: Any, to_node: Any, node_ids: Iterable[str]
) -> list[Any]:
    return await load_nodes(
        info, model, to_node, node_ids, permission=("inspections", "read"), plugin=PLUGIN
    )


@strawberry.type
class InspectionSchedule:
    id: strawberry.ID
    route_id: strawberry.ID
    interval_hours: int
    next_due_at: datetime


@strawberry.input
class CheckpointInput:
    name: str
    location: str = ""
    category: FacilityCategory = FacilityCategory.other
