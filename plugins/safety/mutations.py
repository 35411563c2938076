"""The safety plugin's mutation root: decode ids, call the service (which audits and publishes
its own changes)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk.graphql import decode_id
from plugins.safety import service
from plugins.safety.permissions import Allowed
from plugins.safety.queries import rule_views
from plugins.safety.types import SafetyAlarm, SafetyAlarmType, SafetyRule, SafetySeverity


def _alarm(id: relay.GlobalID):  # type: ignore[no-untyped-def]
    return decode_id(id, "SafetyAlarm")


@strawberry.type
class SafetyMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("safety", "respond")],
        description="I have taken this alarm (stops its escalation).",
    )
    async def acknowledge_safety_alarm(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> SafetyAlarm:
        ctx = info.context
        row = await service.acknowledge(
            ctx.session,
            ctx.runtime,
            _alarm(id),
            actor=ctx.actor.label,
            account_id=ctx.actor.account_id,
        )
        return SafetyAlarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("safety", "respond")], description="I am on site."
    )
    async def arrive_at_safety_alarm(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> SafetyAlarm:
        ctx = info.context
        row = await service.arrive(
            ctx.session,
            ctx.runtime,
            _alarm(id),
            actor=ctx.actor.label,
            account_id=ctx.actor.account_id,
        )
        return SafetyAlarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("safety", "respond")],
        description="It is over; with falseAlarm the note says why it was false.",
    )
    async def resolve_safety_alarm(
        self, info: strawberry.Info, id: relay.GlobalID, note: str = "", false_alarm: bool = False
    ) -> SafetyAlarm:
        ctx = info.context
        row = await service.resolve(
            ctx.session,
            ctx.runtime,
            _alarm(id),
            actor=ctx.actor.label,
            note=note,
            false_alarm=false_alarm,
            account_id=ctx.actor.account_id,
        )
        return SafetyAlarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("safety", "respond")],
        description="Mark an alarm false after the fact (resolving it if still open).",
    )
    async def mark_safety_false_alarm(
        self, info: strawberry.Info, id: relay.GlobalID, note: str
    ) -> SafetyAlarm:
        ctx = info.context
        row = await service.mark_false_alarm(
            ctx.session, ctx.runtime, _alarm(id), actor=ctx.actor.label, note=note
        )
        return SafetyAlarm.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("safety", "configure")],
        description="Set an alarm type's rule firm-wide, or for one community (which wins).",
    )
    async def set_safety_rule(
        self,
        info: strawberry.Info,
        type: SafetyAlarmType,  # type: ignore[valid-type]
        community_id: relay.GlobalID | None = None,
        enabled: bool = True,
        severity: SafetySeverity | None = None,  # type: ignore[valid-type]
        threshold: float | None = None,
        ack_within_seconds: int | None = None,
    ) -> SafetyRule:
        ctx = info.context
        await service.set_rule(
            ctx.session,
            alarm_type=type.value,
            community_id=decode_id(community_id, "Community") if community_id is not None else None,
            enabled=enabled,
            severity=severity.value if severity else None,
            threshold=threshold,
            ack_within_seconds=ack_within_seconds,
            actor=ctx.actor.label,
        )
        cid = decode_id(community_id, "Community") if community_id is not None else None
        return next(r for r in await rule_views(ctx.session, cid) if r.type == type)
