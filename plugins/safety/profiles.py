"""Device profiles the safety plugin owns. Each reports its happening through an *event key*
(``thrown_object``, ``lane_blocked``, ``intrusion``, ``ebike_detected``, ``gas_leak``,
``water_leak``): a message carrying it is published as ``device.telemetry_event`` and the safety
rules (:mod:`plugins.safety.rules`, thresholds per tenant and community) decide whether it is an
alarm. The kernel's own alarm rules stay for device health (battery, heartbeat).

Smoke detectors, water meters and elevator monitors are the devices plugin's generic profiles;
their kernel alarms ``smoke``, ``shed_smoke``, ``leak`` and ``ebike_in_elevator`` are taken over
as safety alarms (see :data:`plugins.safety.vocabulary.ADOPTED_DEVICE_RULES`).
"""

from __future__ import annotations

from kernel.sdk import AlarmRule, CommandParam, DeviceCommand, DeviceProfile, TelemetryKey

BATTERY = TelemetryKey("battery", "number", "%", 0, 100, "remaining battery")
LOW_BATTERY = AlarmRule(
    "low_battery",
    "threshold",
    "warning",
    "battery",
    "<",
    15,
    description="replace the battery",
    work_order_category="electrical",
)
CLIP_REF = TelemetryKey(
    "clip_ref",
    "string",
    description="the camera's reference of the video clip (NVR id or URL)",
    max_length=256,
)

THROWN_OBJECT_CAMERA = DeviceProfile(
    type="thrown_object_camera",
    name="高空抛物摄像机 thrown-object camera",
    telemetry=(
        TelemetryKey(
            "thrown_object", "boolean", description="an object was seen falling from the facade"
        ),
        TelemetryKey(
            "floor_from", "integer", "", -10, 200, "lowest floor the object may have come from"
        ),
        TelemetryKey(
            "floor_to", "integer", "", -10, 200, "highest floor the object may have come from"
        ),
        CLIP_REF,
    ),
    event_keys=("thrown_object",),
    inactivity_timeout_seconds=600,
    description="A camera looking up a building's facade; reports each falling object with an estimated floor range.",
)

FIRE_LANE_CAMERA = DeviceProfile(
    type="fire_lane_camera",
    name="消防通道摄像机 fire-lane camera",
    telemetry=(
        TelemetryKey("lane_blocked", "boolean", description="something stands in the fire lane"),
        TelemetryKey(
            "blocked_seconds", "integer", "s", 0, 7 * 86_400, "how long it has stood there"
        ),
        TelemetryKey("plate", "string", description="licence plate, when a vehicle", max_length=16),
        CLIP_REF,
    ),
    event_keys=("lane_blocked",),
    inactivity_timeout_seconds=600,
    description="Reports while the lane is blocked (e.g. every 30 s) with the time it has been blocked.",
)

PERIMETER_SENSOR = DeviceProfile(
    type="perimeter_sensor",
    name="周界报警 perimeter sensor",
    telemetry=(
        TelemetryKey(
            "intrusion", "boolean", description="the beam, fence or video line was crossed"
        ),
        TelemetryKey("zone", "string", description="the perimeter zone", max_length=64),
        CLIP_REF,
        BATTERY,
    ),
    alarms=(LOW_BATTERY,),
    event_keys=("intrusion",),
    inactivity_timeout_seconds=600,
)

LIFT_CONTROLLER = DeviceProfile(
    type="lift_controller",
    name="电梯控制器（电动车识别） lift controller with e-bike detection",
    telemetry=(
        TelemetryKey(
            "ebike_detected", "boolean", description="an e-bike entered the car (电动车入梯)"
        ),
        TelemetryKey("floor", "integer", "", -10, 200),
        TelemetryKey("door_open", "boolean"),
        CLIP_REF,
    ),
    event_keys=("ebike_detected",),
    commands=(
        DeviceCommand(
            "hold_doors",
            "keep the doors open and the car parked until released or the time runs out",
            (CommandParam("seconds", "integer"), CommandParam("reason", required=False)),
            timeout_seconds=10,
        ),
        DeviceCommand("release_doors", "return the car to normal service", timeout_seconds=10),
        DeviceCommand("announce", "voice announcement in the car", (CommandParam("text"),)),
    ),
    inactivity_timeout_seconds=300,
)

GAS_DETECTOR = DeviceProfile(
    type="gas_detector",
    name="燃气探测器 gas detector",
    telemetry=(
        TelemetryKey(
            "gas_leak",
            "boolean",
            description="the detector's own alarm state; sent with every report",
        ),
        TelemetryKey(
            "gas_lel",
            "number",
            "%LEL",
            0,
            100,
            "concentration, percent of the lower explosive limit",
        ),
        BATTERY,
    ),
    alarms=(LOW_BATTERY,),
    event_keys=("gas_leak",),
    commands=(DeviceCommand("close_valve", "close the gas shut-off valve"),),
    inactivity_timeout_seconds=3_600,
)

WATER_LEAK_SENSOR = DeviceProfile(
    type="water_leak_sensor",
    name="水浸传感器 water-leak sensor",
    telemetry=(
        TelemetryKey("water_leak", "boolean", description="water on the probe"),
        BATTERY,
    ),
    alarms=(LOW_BATTERY,),
    event_keys=("water_leak",),
    inactivity_timeout_seconds=86_400,
)

PROFILES = (
    THROWN_OBJECT_CAMERA,
    FIRE_LANE_CAMERA,
    PERIMETER_SENSOR,
    LIFT_CONTROLLER,
    GAS_DETECTOR,
    WATER_LEAK_SENSOR,
)

#: The event key of each profile and the alarm type its messages may raise.
EVENT_TYPES = {
    "thrown_object_camera": ("thrown_object", "thrown_object"),
    "fire_lane_camera": ("lane_blocked", "fire_lane_blocked"),
    "perimeter_sensor": ("intrusion", "perimeter_intrusion"),
    "lift_controller": ("ebike_detected", "ebike_in_lift"),
    "gas_detector": ("gas_leak", "gas_leak"),
    "water_leak_sensor": ("water_leak", "water_leak"),
}
