"""The care plugin's closed vocabularies (stored strings = GraphQL words)."""

from __future__ import annotations

from enum import StrEnum

import strawberry


@strawberry.enum(name="CareAlertKind", description="What raised a care alert.")
class AlertKind(StrEnum):
    sos = "sos"
    fall = "fall"
    heart_rate = "heart_rate"
    no_activity = "no_activity"
    missed_check_in = "missed_check_in"


@strawberry.enum(
    name="CareAlertStatus",
    description="Where a care alert stands: open → acknowledged → arrived → resolved.",
)
class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    arrived = "arrived"
    resolved = "resolved"


@strawberry.enum(
    name="CareRecipientStatus",
    description="A care recipient: monitored, paused (consent revoked) or ended.",
)
class RecipientStatus(StrEnum):
    active = "active"
    paused = "paused"
    ended = "ended"


@strawberry.enum(name="CareCheckInMethod", description="How a daily check-in was made.")
class CheckInMethod(StrEnum):
    self = "self"
    call = "call"
    visit = "visit"


@strawberry.enum(name="CareServiceKind", description="A visit or service of the care plan.")
class ServiceKind(StrEnum):
    meal_help = "meal_help"
    housekeeping = "housekeeping"
    health_check = "health_check"
    visit = "visit"


@strawberry.enum(
    name="CareServiceStatus", description="Where a planned visit or service stands: planned → done, or cancelled."
)
class ServiceStatus(StrEnum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


@strawberry.enum(name="CareDeviceKind", description="A care device's role for its wearer or home.")
class DeviceKind(StrEnum):
    wristband = "wristband"
    call_button = "call_button"
    door_sensor = "door_sensor"
    water_meter = "water_meter"
    smart_plug = "smart_plug"


#: Device alarm rules (``device.alarm_raised``) that raise a care alert, by alert kind.
ALARM_RULES: dict[str, AlertKind] = {
    "sos": AlertKind.sos,
    "fall": AlertKind.fall,
    "tachycardia": AlertKind.heart_rate,
    "bradycardia": AlertKind.heart_rate,
}
