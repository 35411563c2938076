"""The safety rules: whether a device's happening is an alarm, with which severity, and the
settings a firm keeps per alarm type (firm-wide, overridden per community).

A rule reads the values of one ``device.telemetry_event`` (one timestamp of one device) and
answers a :class:`Verdict` or None. The built-in defaults are in
:data:`plugins.safety.vocabulary.ALARM_TYPES`; a :class:`~plugins.safety.models.SafetyRuleSetting`
of the community beats the firm-wide one, which beats the default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from plugins.safety.models import SafetyRuleSetting
from plugins.safety.vocabulary import ALARM_TYPES


@dataclass(frozen=True)
class Effective:
    """An alarm type's settings as they apply in one community."""

    alarm_type: str
    enabled: bool
    severity: str
    threshold: float | None
    ack_within_seconds: int | None


@dataclass(frozen=True)
class Verdict:
    """A happening that is an alarm: its type, severity and the fields the alarm keeps."""

    alarm_type: str
    severity: str
    #: Names the happening (unique per firm): a redelivered message raises nothing twice.
    dedupe: str
    #: Whether a repeat while an alarm of this type and device is open counts on that alarm
    #: (a lane still blocked) rather than raising a new one (another falling object).
    merge_open: bool = True
    floor_from: int | None = None
    floor_to: int | None = None
    clip_ref: str | None = None


async def effective(session: Any, alarm_type: str, community_id: uuid.UUID | None) -> Effective:
    """The settings of ``alarm_type`` in ``community_id`` (community row > firm row > default)."""
    default = ALARM_TYPES[alarm_type]
    stmt = select(SafetyRuleSetting).where(SafetyRuleSetting.alarm_type == alarm_type)
    if community_id is None:
        stmt = stmt.where(SafetyRuleSetting.community_id.is_(None))
    else:
        stmt = stmt.where(
            or_(
                SafetyRuleSetting.community_id.is_(None),
                SafetyRuleSetting.community_id == community_id,
            )
        )
    rows = sorted(await session.scalars(stmt), key=lambda r: r.community_id is not None)
    enabled, severity, threshold, ack = True, default.severity, default.threshold, None
    for row in rows:  # firm-wide first, then the community's
        enabled = row.enabled
        severity = row.severity or severity
        threshold = row.threshold if row.threshold is not None else threshold
        ack = row.ack_within_seconds or ack
    return Effective(alarm_type, enabled, severity, threshold, ack)


def _int(value: Any) -> int | None:
    """An integer reading (the device event carries numbers as stored: ``12.0``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _true(value: Any) -> bool:
    """A boolean reading that is on (stored as ``True`` or ``1.0``)."""
    return value is True or (not isinstance(value, bool | str) and value == 1)


def judge(
    alarm_type: str, values: dict[str, Any], settings: Effective, *, ts: int, device_id: str
) -> Verdict | None:
    """Whether the values of one device message raise ``alarm_type`` under ``settings``."""
    if not settings.enabled:
        return None
    clip = values.get("clip_ref") if isinstance(values.get("clip_ref"), str) else None
    if alarm_type == "thrown_object":
        if not _true(values.get("thrown_object")):
            return None
        lo, hi = _int(values.get("floor_from")), _int(values.get("floor_to"))
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        # every falling object is its own incident: the clip (or the time) tells them apart
        return Verdict(
            alarm_type,
            settings.severity,
            f"{alarm_type}:{device_id}:{clip or ts}",
            False,
            lo,
            hi,
            clip,
        )
    if alarm_type == "fire_lane_blocked":
        blocked = _int(values.get("blocked_seconds")) or 0
        if not _true(values.get("lane_blocked")) or blocked < (settings.threshold or 0):
            return None
        return Verdict(
            alarm_type, settings.severity, f"{alarm_type}:{device_id}:{ts}", clip_ref=clip
        )
    if alarm_type == "gas_leak":
        lel = values.get("gas_lel")
        over = (
            isinstance(lel, int | float)
            and not isinstance(lel, bool)
            and settings.threshold is not None
            and lel >= settings.threshold
        )
        if not _true(values.get("gas_leak")) and not over:
            return None
        return Verdict(alarm_type, settings.severity, f"{alarm_type}:{device_id}:{ts}")
    key = {
        "perimeter_intrusion": "intrusion",
        "ebike_in_lift": "ebike_detected",
        "water_leak": "water_leak",
    }[alarm_type]
    if not _true(values.get(key)):
        return None
    floor = _int(values.get("floor"))
    return Verdict(
        alarm_type, settings.severity, f"{alarm_type}:{device_id}:{ts}", True, floor, floor, clip
    )
