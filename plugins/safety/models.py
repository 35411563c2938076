"""Safety tables: the alarms (one row per incident, with its life cycle times) and the rule
settings a firm keeps per alarm type, firm-wide or per community."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, tenant_fk


class SafetyAlarm(TenantRecord, Base):
    """One safety incident: raised by a device (or a device alarm taken over), acknowledged by
    the on-duty person, who arrives on site and resolves it — or marks it a false alarm.

    Repeats of the same condition on the same device while the alarm is open count (``count``,
    ``last_seen_at``) instead of raising another one. No personal data: the clip is a reference
    held by the camera's recorder, the plate of a fire-lane blocker a vehicle's.
    """

    __tablename__ = "safety_alarms"
    __table_args__ = (
        tenant_fk("community_id", "communities", ondelete=None),
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_safety_alarms_tenant_status", "tenant_id", "status"),
        Index("ix_safety_alarms_tenant_community_raised", "tenant_id", "community_id", "raised_at"),
        CheckConstraint(
            "floor_from IS NULL OR floor_to IS NULL OR floor_from <= floor_to", name="floor_range"
        ),
    )

    type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), default="raised")
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    building_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    #: The kernel device alarm this one took over (smoke detector, water meter, ...), if any.
    device_alarm_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    #: Where, in words (the device's name), for staff and the work order.
    location: Mapped[str] = mapped_column(String(200), default="")
    floor_from: Mapped[int | None] = mapped_column(default=None)
    floor_to: Mapped[int | None] = mapped_column(default=None)
    clip_ref: Mapped[str | None] = mapped_column(String(256), default=None)
    #: The readings that raised it (values of the triggering message).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Identifies the triggering happening, so a redelivered event raises nothing twice.
    dedupe_key: Mapped[str] = mapped_column(String(160))
    count: Mapped[int] = mapped_column(default=1)
    raised_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80), default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_by: Mapped[str | None] = mapped_column(String(80), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(80), default=None)
    false_alarm: Mapped[bool] = mapped_column(default=False)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    #: ``source_ref`` of the work order the closed loop opens (``alarm:<id>``) and, once the
    #: workorders plugin reported it, the order's id.
    work_order_ref: Mapped[str] = mapped_column(String(80), default="")
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: The device command (RPC call id) sent as the alarm's action (a lift told to hold its doors).
    command_call_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: The SDK escalation that notifies the on-duty staff, once opened.
    escalation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: The escalation level reached (1 = the first on-duty level told) and whether the street
    #: office got a regulator alert (critical alarms past level 1).
    escalation_level: Mapped[int] = mapped_column(default=0)
    regulator_alerted: Mapped[bool] = mapped_column(default=False)


class SafetyRuleSetting(TenantRecord, Base):
    """A firm's setting of one alarm type — firm-wide (``community_id`` None) or for one
    community (which wins): on or off, the severity, the threshold (fire-lane seconds, gas
    %LEL, lift door hold seconds) and the time to acknowledge before escalating."""

    __tablename__ = "safety_rule_settings"
    __table_args__ = (
        tenant_fk("community_id", "communities"),
        UniqueConstraint("tenant_id", "alarm_type", "community_id"),
        CheckConstraint(
            "ack_within_seconds IS NULL OR ack_within_seconds > 0", name="ack_positive"
        ),
    )

    alarm_type: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[str | None] = mapped_column(String(12), default=None)
    threshold: Mapped[float | None] = mapped_column(Float, default=None)
    ack_within_seconds: Mapped[int | None] = mapped_column(default=None)
