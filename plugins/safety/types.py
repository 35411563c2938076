"""The safety plugin's GraphQL types: alarms (a Relay node), their live changes, the rule
settings as they apply, and the statistics per community and type."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk.graphql import load_nodes
from plugins.safety import models as m
from plugins.safety.permissions import PLUGIN
from plugins.safety.vocabulary import ALARM_TYPE_NAMES, SEVERITIES, STATUSES

SafetyAlarmType = strawberry.enum(
    enum.Enum("SafetyAlarmType", {n: n for n in ALARM_TYPE_NAMES}),  # type: ignore[misc]
    description="What happened: thrown_object (高空抛物), fire_lane_blocked, perimeter_intrusion, "
    "ebike_in_lift (电动车入梯), smoke, gas_leak, water_leak",
)
SafetySeverity = strawberry.enum(enum.Enum("SafetySeverity", {n: n for n in SEVERITIES}))  # type: ignore[misc]
SafetyAlarmStatus = strawberry.enum(enum.Enum("SafetyAlarmStatus", {n: n for n in STATUSES}))  # type: ignore[misc]


def gid(type_name: str, value: Any) -> strawberry.ID | None:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value)))) if value else None


@strawberry.type
class SafetyAlarm(relay.Node):
    id: relay.NodeID[str]
    type: SafetyAlarmType  # type: ignore[valid-type]
    severity: SafetySeverity  # type: ignore[valid-type]
    status: SafetyAlarmStatus  # type: ignore[valid-type]
    community_id: strawberry.ID | None
    building_id: strawberry.ID | None
    device_id: strawberry.ID | None
    location: str
    floor_from: int | None = strawberry.field(
        description="Lowest floor it may have come from (thrown objects), or the lift's floor"
    )
    floor_to: int | None
    clip_ref: str | None = strawberry.field(description="The camera's reference of the video clip")
    count: int = strawberry.field(description="How many times the device reported it while open")
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    false_alarm: bool
    resolution_note: str
    work_order_ref: str = strawberry.field(
        description="The work order's source reference (alarm:<id>)"
    )
    work_order_id: strawberry.ID | None = strawberry.field(
        description="The work order the alarm opened, once opened"
    )
    lift_command_id: strawberry.ID | None = strawberry.field(
        description="The device command sent (a lift told to hold its doors)"
    )
    escalated: bool = strawberry.field(
        description="Whether the on-duty staff were told through an escalation"
    )
    escalation_level: int = strawberry.field(
        description="The escalation level reached (0: none opened, 1: first on-duty level)"
    )
    regulator_alerted: bool = strawberry.field(
        description="A critical alarm left unacknowledged reached the street office"
    )

    @classmethod
    def from_row(cls, r: m.SafetyAlarm) -> SafetyAlarm:
        return cls(
            id=str(r.id),
            type=SafetyAlarmType[r.type],
            severity=SafetySeverity[r.severity],
            status=SafetyAlarmStatus[r.status],
            community_id=gid("Community", r.community_id),
            building_id=gid("Building", r.building_id),
            device_id=gid("Device", r.device_id),
            location=r.location,
            floor_from=r.floor_from,
            floor_to=r.floor_to,
            clip_ref=r.clip_ref,
            count=r.count,
            raised_at=r.raised_at,
            last_seen_at=r.last_seen_at,
            acknowledged_at=r.acknowledged_at,
            arrived_at=r.arrived_at,
            resolved_at=r.resolved_at,
            false_alarm=r.false_alarm,
            resolution_note=r.resolution_note,
            work_order_ref=r.work_order_ref,
            work_order_id=gid("WorkOrder", r.work_order_id),
            lift_command_id=strawberry.ID(str(r.command_call_id)) if r.command_call_id else None,
            escalated=r.escalation_id is not None,
            escalation_level=r.escalation_level,
            regulator_alerted=r.regulator_alerted,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        return await load_nodes(
            info,
            m.SafetyAlarm,
            cls.from_row,
            node_ids,
            permission=("safety", "read"),
            plugin=PLUGIN,
        )


@strawberry.type
class SafetyRule:
    """An alarm type's rule as it applies (the community's setting, else the firm's, else the default)."""

    type: SafetyAlarmType  # type: ignore[valid-type]
    community_id: strawberry.ID | None
    enabled: bool
    severity: SafetySeverity  # type: ignore[valid-type]
    threshold: float | None
    threshold_unit: str
    ack_within_seconds: int | None = strawberry.field(
        description="None: the firm's time for the severity"
    )


@strawberry.type
class SafetyAlarmStats:
    community_id: strawberry.ID | None
    type: SafetyAlarmType  # type: ignore[valid-type]
    total: int
    open: int
    false_alarms: int
    false_alarm_rate_bp: int | None = strawberry.field(
        description="False / resolved, in basis points (2500 = 25 %)"
    )
    mean_seconds_to_acknowledge: float | None
    mean_seconds_to_resolve: float | None
    max_seconds_to_acknowledge: float | None


@strawberry.type
class SafetyAlarmChange:
    event: str = strawberry.field(description="raised, acknowledged, arrived or resolved")
    alarm_id: strawberry.ID
    type: SafetyAlarmType  # type: ignore[valid-type]
    severity: SafetySeverity  # type: ignore[valid-type]
    status: SafetyAlarmStatus  # type: ignore[valid-type]
    community_id: strawberry.ID | None
    at: datetime
