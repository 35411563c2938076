"""The notifications the on-duty staff get: a safety alarm's (sent by the SDK's escalation, at
every level, with ``escalation_level`` added to the data), and — for a device alarm this plugin
takes over (``register_device_alarm_takeovers``) while its rule is switched off in the device's
community — one plain notice, since the devices plugin leaves taken-over alarms to this one."""

from __future__ import annotations

from typing import Any

from kernel.sdk import NotificationTemplate, notify
from kernel.sdk.escalation import on_duty

ALARM = NotificationTemplate(
    key="safety.alarm",
    category="alarms",
    subject={
        "zh-CN": "安全告警：{type_zh}（{location}）",
        "en": "Safety alarm: {type} at {location}",
    },
    body={
        "zh-CN": "{location}发生{type_zh}（级别 {severity}{floors_zh}），请立即确认并前往处置。第 {escalation_level} 级通知。",
        "en": "{type} at {location} (severity {severity}{floors_en}): acknowledge and go on site. Level {escalation_level} notice.",
    },
)
DEVICE_ALARM = NotificationTemplate(
    key="safety.device_alarm",
    category="alarms",
    subject={"zh-CN": "设备告警：{device}", "en": "Device alarm: {device}"},
    body={
        "zh-CN": "“{device}”触发告警 {rule}（级别 {severity}），请及时处置。",
        "en": "“{device}” raised the alarm {rule} (severity {severity}); please respond.",
    },
)
TEMPLATES = [ALARM, DEVICE_ALARM]


async def tell_on_duty(session: Any, device: Any, payload: dict[str, Any]) -> None:
    """The plain notice of a taken-over device alarm that raises no safety alarm: level 1 of
    the community's roster (else the property staff), urgent for critical and major, once per
    device alarm and person."""
    severity = str(payload.get("severity", ""))
    await notify(
        session,
        tenant_id=session.info["tenant_id"],
        recipients=await on_duty(
            session, tenant_id=session.info["tenant_id"], community_id=device.community_id
        ),
        template=DEVICE_ALARM.key,
        data={"device": device.name, "rule": str(payload.get("rule", "")), "severity": severity},
        urgency="urgent" if severity in ("critical", "major") else "normal",
        key=f"alarm:{payload.get('alarm_id')}:raised",
    )
