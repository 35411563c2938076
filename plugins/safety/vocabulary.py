"""The safety plugin's words: alarm types with their default severity, statuses and the
severities an alarm can carry. Names are stable API values (GraphQL enums, event payloads)."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("critical", "major", "minor")
RAISED, ACKNOWLEDGED, ARRIVED, RESOLVED = "raised", "acknowledged", "arrived", "resolved"
STATUSES = (RAISED, ACKNOWLEDGED, ARRIVED, RESOLVED)
OPEN_STATUSES = (RAISED, ACKNOWLEDGED, ARRIVED)


@dataclass(frozen=True)
class AlarmType:
    """One kind of safety alarm.

    ``threshold`` is the built-in value of the type's configurable threshold (its meaning is
    ``threshold_unit``; None = the type has none); ``work_order_category`` is the work-order
    category (``kernel.sdk.vocabulary.FacilityCategory``) the closed loop files it under: the
    ``device.alarm_raised`` this plugin publishes carries it, and the workorders plugin reads it.
    """

    name: str
    label_zh: str
    severity: str
    threshold: float | None = None
    threshold_unit: str = ""
    description: str = ""
    work_order_category: str = "other"


ALARM_TYPES: dict[str, AlarmType] = {
    t.name: t
    for t in (
        AlarmType(
            "thrown_object",
            "高空抛物",
            "major",
            description="object thrown from height, seen by a facade camera",
            work_order_category="security",
        ),
        AlarmType(
            "fire_lane_blocked",
            "消防通道占用",
            "major",
            300,
            "seconds",
            "a vehicle or goods standing in a fire lane for at least the threshold",
            work_order_category="fire",
        ),
        AlarmType(
            "perimeter_intrusion",
            "周界入侵",
            "critical",
            description="someone crossed the perimeter",
            work_order_category="security",
        ),
        AlarmType(
            "ebike_in_lift",
            "电动车入梯",
            "major",
            60,
            "seconds",
            "an e-bike entered a lift car; the lift holds its doors for the threshold",
            work_order_category="fire",
        ),
        AlarmType(
            "smoke",
            "烟雾报警",
            "critical",
            description="a smoke detector alarms",
            work_order_category="fire",
        ),
        AlarmType(
            "gas_leak",
            "燃气泄漏",
            "critical",
            25,
            "%LEL",
            "gas concentration at or above the threshold",
            work_order_category="fire",
        ),
        AlarmType(
            "water_leak",
            "漏水",
            "major",
            description="water where it should not be",
            work_order_category="plumbing",
        ),
    )
}
ALARM_TYPE_NAMES = tuple(ALARM_TYPES)

#: Kernel device-alarm rules (from any plugin's device profile, e.g. the devices plugin's smoke
#: detector, water meter and elevator monitor) the safety plugin takes over as safety alarms.
ADOPTED_DEVICE_RULES = {
    "smoke": "smoke",
    "shed_smoke": "smoke",
    "leak": "water_leak",
    "ebike_in_elevator": "ebike_in_lift",
}
