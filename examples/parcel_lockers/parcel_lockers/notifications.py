"""The plugin's notification templates (zh-CN and en), contributed through
``register_notification_templates``. They carry no pickup code (see ``service.tell_recipients``)."""

from __future__ import annotations

from kernel.sdk import NotificationTemplate

ARRIVED = "parcel_lockers.arrived"
OVERDUE = "parcel_lockers.overdue"

TEMPLATES = (
    NotificationTemplate(
        key=ARRIVED,
        category="parcels",
        subject={"zh-CN": "您有包裹到了快递柜", "en": "A parcel is waiting in the locker"},
        body={
            "zh-CN": "您的包裹（运单尾号 {tracking_tail}）已存入{locker} {compartment} 格口。取件码请在“我的包裹”中查看。",
            "en": "Your parcel (tracking …{tracking_tail}) is in {locker}, compartment {compartment}. "
            "See “My parcels” for the pickup code.",
        },
    ),
    NotificationTemplate(
        key=OVERDUE,
        category="parcels",
        subject={"zh-CN": "包裹滞留提醒", "en": "Your parcel is still waiting"},
        body={
            "zh-CN": "您的包裹已在{locker} {compartment} 格口存放 {days} 天，请尽快取件；超过 48 小时将按天收取保管费。",
            "en": "Your parcel has waited {days} day(s) in {locker}, compartment {compartment}. Please collect it; "
            "storage past 48 hours is charged per day.",
        },
    ),
)
