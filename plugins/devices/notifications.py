"""Telling on-duty staff that a device raised an alarm.

There is no duty roster yet, so "on duty" is every login of the tenant with the
``property_staff`` or ``technician`` role (``sdk.accounts_with_roles``). Critical and major
alarms (a smoke detector, a trapped lift) are urgent: they ignore quiet hours and preferences.
"""

from __future__ import annotations

from typing import Any

from kernel.sdk import Event, NotificationTemplate, accounts_with_roles, notify

ON_DUTY_ROLES = ("property_staff", "technician")
URGENT_SEVERITIES = frozenset({"critical", "major"})

RAISED = NotificationTemplate(
    key="devices.alarm_raised",
    category="alarms",
    subject={"zh-CN": "设备告警：{device}", "en": "Device alarm: {device}"},
    body={"zh-CN": "“{device}”触发告警 {rule}（级别 {severity}），请及时处置。", "en": "“{device}” raised the alarm {rule} (severity {severity}); please respond."},
)
TEMPLATES = [RAISED]


async def on_alarm_raised(ctx: Any, event: Event) -> None:
    p = event.payload
    if p.get("raised_by"):
        return  # raised by a plugin (safety alarms), which tells its on-duty staff itself
    staff = await accounts_with_roles(ctx.session, ctx.tenant_id, ON_DUTY_ROLES)
    await notify(
        ctx.session,
        tenant_id=ctx.tenant_id,
        recipients=staff,
        template=RAISED.key,
        data={"device": p.get("device_name") or p.get("device_id", ""), "rule": p.get("rule", ""), "severity": p.get("severity", "")},
        urgency="urgent" if p.get("severity") in URGENT_SEVERITIES else "normal",
        key=f"alarm:{p.get('alarm_id') or event.id}:raised",
    )


HANDLERS = {"device.alarm_raised": on_alarm_raised}
