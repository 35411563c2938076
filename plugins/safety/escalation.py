"""Telling the on-duty staff, through the SDK's escalation (``kernel.sdk.escalation``): a new
alarm opens an escalation (source ``safety``, subject = the alarm id) that notifies level 1 of
the community's duty roster at once; unless someone acknowledges within the alarm type's time
(the rule setting's ``ack_within_seconds``, else the firm's time for the severity — kernel
default 2 min critical, 10 min major), the kernel's job escalates it level by level and a
critical one reaches the street office as a regulator alert. The staff's acknowledge, arrive and
resolve on the alarm are recorded on its escalation too. No escalation logic lives here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kernel.sdk import escalation as sdk
from kernel.sdk.runtime import Runtime
from plugins.safety.models import SafetyAlarm
from plugins.safety.notifications import ALARM
from plugins.safety.rules import Effective
from plugins.safety.vocabulary import ALARM_TYPES

SOURCE = "safety"


def _data(alarm: SafetyAlarm) -> dict[str, Any]:
    floors_zh = floors_en = ""
    if alarm.floor_from is not None:
        span = (
            f"{alarm.floor_from}"
            if alarm.floor_from == alarm.floor_to
            else f"{alarm.floor_from}–{alarm.floor_to}"
        )
        floors_zh, floors_en = f"，约 {span} 层", f", floors {span}"
    return {
        "alarm_id": str(alarm.id),
        "type": alarm.type,
        "type_zh": ALARM_TYPES[alarm.type].label_zh,
        "severity": alarm.severity,
        "location": alarm.location or "—",
        "floors_zh": floors_zh,
        "floors_en": floors_en,
    }


async def start(session: Any, runtime: Runtime, alarm: SafetyAlarm, settings: Effective) -> None:
    """Open the alarm's escalation (level 1 told at once); the alarm's new fields are flushed by
    the caller."""
    found = await sdk.open_escalation(
        session,
        tenant_id=alarm.tenant_id,
        source=SOURCE,
        subject_id=str(alarm.id),
        community_id=alarm.community_id,
        severity=alarm.severity,
        template=ALARM.key,
        data=_data(alarm),
        ack_within=settings.ack_within_seconds,
        now=alarm.raised_at,
    )
    alarm.escalation_id = found.id
    alarm.escalation_level = max(alarm.escalation_level, found.level)


async def acknowledged(
    session: Any, alarm: SafetyAlarm, *, account_id: uuid.UUID | None, at: datetime | None
) -> None:
    if alarm.escalation_id is not None:
        await sdk.acknowledge(
            session,
            tenant_id=alarm.tenant_id,
            source=SOURCE,
            subject_id=str(alarm.id),
            account_id=account_id,
            at=at,
        )


async def arrived(
    session: Any, alarm: SafetyAlarm, *, account_id: uuid.UUID | None = None, at: datetime | None
) -> None:
    if alarm.escalation_id is not None:
        await sdk.mark_arrived(
            session,
            tenant_id=alarm.tenant_id,
            source=SOURCE,
            subject_id=str(alarm.id),
            account_id=account_id,
            at=at,
        )


async def resolved(
    session: Any, alarm: SafetyAlarm, *, account_id: uuid.UUID | None = None, at: datetime | None
) -> None:
    if alarm.escalation_id is not None:
        await sdk.resolve(
            session,
            tenant_id=alarm.tenant_id,
            source=SOURCE,
            subject_id=str(alarm.id),
            account_id=account_id,
            at=at,
        )
