"""The notification the on-duty staff get for a safety alarm (sent by the SDK's escalation, at
every level, with ``escalation_level`` added to the data)."""

from __future__ import annotations

from kernel.sdk import NotificationTemplate

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
TEMPLATES = [ALARM]
