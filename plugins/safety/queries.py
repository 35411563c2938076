"""The safety plugin's query and subscription roots; which rows a caller sees is decided in
:mod:`plugins.safety.repository`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

import strawberry
from strawberry import relay

from kernel.sdk import BadUserInput, utcnow
from kernel.sdk.graphql import Connection, decode_id, paginate, requested_page_size
from kernel.sdk.repository import Viewer
from plugins.safety import models as m
from plugins.safety import rules, service
from plugins.safety.permissions import Allowed
from plugins.safety.repository import AlarmRepository
from plugins.safety.types import (
    SafetyAlarm,
    SafetyAlarmChange,
    SafetyAlarmStats,
    SafetyAlarmStatus,
    SafetyAlarmType,
    SafetyRule,
    SafetySeverity,
    gid,
)
from plugins.safety.vocabulary import ALARM_TYPES


def _aware(value: datetime | None, field: str) -> datetime | None:
    """A time filter with its time zone (a naive one is ambiguous: BAD_USER_INPUT)."""
    if value is not None and value.tzinfo is None:
        raise BadUserInput("give the time with a time zone (…+08:00 or …Z)", field=field)
    return value


def _cid(community_id: relay.GlobalID | None) -> uuid.UUID | None:
    return decode_id(community_id, "Community") if community_id is not None else None


async def rule_views(session: Any, cid: uuid.UUID | None) -> list[SafetyRule]:
    """Every alarm type's rule as it applies in community ``cid`` (firm-wide for None)."""
    out = []
    for name, kind in ALARM_TYPES.items():
        eff = await rules.effective(session, name, cid)
        out.append(
            SafetyRule(
                type=SafetyAlarmType[name],
                community_id=gid("Community", cid),
                enabled=eff.enabled,
                severity=SafetySeverity[eff.severity],
                threshold=eff.threshold,
                threshold_unit=kind.threshold_unit,
                ack_within_seconds=eff.ack_within_seconds,
            )
        )
    return out


@strawberry.type
class SafetyQuery:
    @strawberry.field(
        permission_classes=[Allowed("safety", "read")],
        description="Safety alarms, newest first, filtered.",
    )
    async def safety_alarms(
        self,
        info: strawberry.Info,
        type: SafetyAlarmType | None = None,  # type: ignore[valid-type]
        severity: SafetySeverity | None = None,  # type: ignore[valid-type]
        status: SafetyAlarmStatus | None = None,  # type: ignore[valid-type]
        open_only: bool = False,
        community_id: relay.GlobalID | None = None,
        building_id: relay.GlobalID | None = None,
        device_id: relay.GlobalID | None = None,
        false_alarm: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SafetyAlarm]:
        ctx = info.context
        stmt = AlarmRepository(ctx.session).filtered(
            Viewer.of(ctx),
            type=type.value if type else None,
            severity=severity.value if severity else None,
            status=status.value if status else None,
            open_only=open_only,
            community_id=_cid(community_id),
            building_id=decode_id(building_id, "Building") if building_id is not None else None,
            device_id=decode_id(device_id, "Device") if device_id is not None else None,
            false_alarm=false_alarm,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
        )
        return await paginate(
            ctx.session,
            stmt,
            order_by=[m.SafetyAlarm.raised_at, m.SafetyAlarm.id],
            first=requested_page_size(info, first),
            after=after,
            to_node=SafetyAlarm.from_row,
            key_types=[datetime.fromisoformat, uuid.UUID],
            descending=True,
        )

    @strawberry.field(permission_classes=[Allowed("safety", "read")])
    async def safety_alarm(self, info: strawberry.Info, id: relay.GlobalID) -> SafetyAlarm | None:
        ctx = info.context
        row = await AlarmRepository(ctx.session).get_by_id(
            decode_id(id, "SafetyAlarm"), actor=Viewer.of(ctx)
        )
        return SafetyAlarm.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[Allowed("safety", "read")],
        description="Every alarm type's rule as it applies in a community (or firm-wide).",
    )
    async def safety_rules(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[SafetyRule]:
        return await rule_views(info.context.session, _cid(community_id))

    @strawberry.field(
        permission_classes=[Allowed("safety", "read")],
        description="Alarms by community and type over a period (default the last 30 days): counts, "
        "false-alarm rate, times to acknowledge and resolve.",
    )
    async def safety_alarm_stats(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SafetyAlarmStats]:
        ctx = info.context
        until = _aware(until, "until") or utcnow()
        since = _aware(since, "since") or until - timedelta(days=30)
        rows = await service.stats(
            ctx.session, since=since, until=until, community_id=_cid(community_id)
        )
        return [
            SafetyAlarmStats(
                community_id=gid("Community", s.community_id),
                type=SafetyAlarmType[s.alarm_type],
                total=s.total,
                open=s.open,
                false_alarms=s.false_alarms,
                false_alarm_rate_bp=s.false_alarm_rate_bp,
                mean_seconds_to_acknowledge=s.mean_seconds_to_acknowledge,
                mean_seconds_to_resolve=s.mean_seconds_to_resolve,
                max_seconds_to_acknowledge=s.max_seconds_to_acknowledge,
            )
            for s in rows
        ]


@strawberry.type
class SafetySubscription:
    @strawberry.subscription(
        permission_classes=[Allowed("safety", "read")],
        description="Safety-alarm changes of the firm as they commit (WebSocket, graphql-transport-ws).",
    )
    async def safety_alarm_changes(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> AsyncGenerator[SafetyAlarmChange, None]:
        from plugins.safety.live import hub

        ctx = info.context
        only = _cid(community_id)
        async with hub(ctx.runtime).subscribe(ctx.tenant.id) as queue:
            while True:
                change = await queue.get()
                if only is not None and change.community_id != str(only):
                    continue
                yield SafetyAlarmChange(
                    event=change.type.removeprefix("safety.alarm_"),
                    alarm_id=strawberry.ID(str(relay.GlobalID("SafetyAlarm", change.alarm_id))),
                    type=SafetyAlarmType[change.alarm_type],
                    severity=SafetySeverity[change.severity],
                    status=SafetyAlarmStatus[change.status],
                    community_id=gid("Community", change.community_id),
                    at=change.at,
                )
