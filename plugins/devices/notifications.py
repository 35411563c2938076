"""Telling on-duty staff that a device raised an alarm.

"On duty" is the duty roster's first level for the device's community
(``kernel.sdk.escalation.on_duty``); when the roster has nobody on duty there and then, every
login of the tenant with the ``property_staff`` or ``technician`` role is told instead. Critical
and major alarms (a smoke detector, a trapped lift) are urgent: they ignore quiet hours and
preferences.
"""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import Event, HandlerContext, NotFound, NotificationTemplate, devices, notify
from kernel.sdk.escalation import on_duty

ON_DUTY_ROLES = ("property_staff", "technician")
URGENT_SEVERITIES = frozenset({"critical", "major"})

RAISED = NotificationTemplate(
    key="devices.alarm_raised",
    category="alarms",
    subject={"zh-CN": "设备告警：{device}", "en": "Device alarm: {device}"},
    body={
        "zh-CN": "“{device}”触发告警 {rule}（级别 {severity}），请及时处置。",
        "en": "“{device}” raised the alarm {rule} (severity {severity}); please respond.",
    },
)
TEMPLATES = [RAISED]


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def _community(session: Any, payload: dict[str, Any]) -> uuid.UUID | None:
    """The alarm's community: from the payload, else from the device registry, else None."""
    community = _uuid(payload.get("community_id"))
    device_id = _uuid(payload.get("device_id"))
    if community is not None or device_id is None:
        return community
    try:
        device = await devices.registry.get_device(session, device_id)
    except NotFound:  # not a device of this tenant: no community known
        return None
    return device.community_id  # type: ignore[no-any-return]


async def on_alarm_raised(ctx: HandlerContext, event: Event) -> None:
    p = event.payload
    if p.get("raised_by") or p.get("taken_over_by"):
        # raised by a plugin (safety alarms), or a rule a plugin takes over
        # (``register_device_alarm_takeovers``): that plugin tells its on-duty staff itself
        return
    staff = await on_duty(
        ctx.session,
        tenant_id=ctx.tenant_id,
        community_id=await _community(ctx.session, p),
        level=1,
        fallback_roles=ON_DUTY_ROLES,
    )
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=staff,
        template=RAISED.key,
        data={
            "device": p.get("device_name") or p.get("device_id", ""),
            "rule": p.get("rule", ""),
            "severity": p.get("severity", ""),
        },
        urgency="urgent" if p.get("severity") in URGENT_SEVERITIES else "normal",
        key=f"alarm:{p.get('alarm_id') or event.id}:raised",
    )


HANDLERS = {"device.alarm_raised": on_alarm_raised}
