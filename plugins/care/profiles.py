"""Device profiles for home care, contributed through ``register_device_profiles``.

Keys that mean "the person is up and about" are ``event_keys``: a message carrying one is
published as ``device.telemetry_event``, which :mod:`plugins.care.service` turns into the activity
trail the no-activity baseline learns from. SOS, falls and heart rate are the profiles' alarm
rules (``device.alarm_raised``), which raise care alerts. (The devices plugin's
``elder_wristband`` raises the same alarm rules and works for SOS and falls too; only these
profiles feed the activity trail.)"""

from __future__ import annotations

from kernel.sdk import AlarmRule, DeviceCommand, DeviceProfile, TelemetryKey

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

WRISTBAND = DeviceProfile(
    type="care_wristband",
    name="养老手环 care wristband",
    telemetry=(
        TelemetryKey("heart_rate", "integer", "bpm", 0, 250),
        TelemetryKey("fall", "boolean", description="fall detected"),
        TelemetryKey("sos", "boolean", description="SOS button pressed"),
        TelemetryKey("steps", "integer", "steps", 0, 200_000, "steps since the last message"),
        BATTERY,
    ),
    alarms=(
        AlarmRule(
            "sos",
            "threshold",
            "critical",
            "sos",
            "==",
            True,
            description="call the elder at once",
            work_order_category="other",
        ),
        AlarmRule("fall", "threshold", "critical", "fall", "==", True),
        AlarmRule("tachycardia", "threshold", "major", "heart_rate", ">", 130, duration_seconds=60),
        AlarmRule("bradycardia", "threshold", "major", "heart_rate", "<", 40, duration_seconds=60),
        LOW_BATTERY,
    ),
    commands=(DeviceCommand("ring", "ring and vibrate the band"),),
    event_keys=("steps",),
    inactivity_timeout_seconds=1_800,
)

CALL_BUTTON = DeviceProfile(
    type="care_call_button",
    name="一键呼叫 one-touch call button",
    telemetry=(TelemetryKey("pressed", "boolean", description="the button was pressed"), BATTERY),
    alarms=(
        AlarmRule(
            "sos",
            "threshold",
            "critical",
            "pressed",
            "==",
            True,
            description="一键呼叫",
            work_order_category="other",
        ),
        LOW_BATTERY,
    ),
    event_keys=("pressed",),
    inactivity_timeout_seconds=86_400,
)

DOOR_SENSOR = DeviceProfile(
    type="care_door_sensor",
    name="门磁 door sensor",
    telemetry=(
        TelemetryKey("door_open", "boolean", description="the door opened (true) or closed"),
        BATTERY,
    ),
    alarms=(LOW_BATTERY,),
    event_keys=("door_open",),
    inactivity_timeout_seconds=86_400,
)

WATER_METER = DeviceProfile(
    type="care_water_meter",
    name="智能水表（居家养老） care water meter",
    telemetry=(
        TelemetryKey("reading", "number", "m³", 0, 10_000_000),
        TelemetryKey("used_litres", "number", "L", 0, 10_000, "water used since the last message"),
        BATTERY,
    ),
    alarms=(LOW_BATTERY,),
    event_keys=("used_litres",),
    inactivity_timeout_seconds=86_400,
)

SMART_PLUG = DeviceProfile(
    type="care_smart_plug",
    name="智能插座 smart plug",
    telemetry=(
        TelemetryKey("power_w", "number", "W", 0, 4_000, "power drawn"),
        TelemetryKey("switched_on", "boolean", description="the appliance was switched on"),
    ),
    event_keys=("switched_on",),
    commands=(DeviceCommand("switch_off", "cut the power"),),
    inactivity_timeout_seconds=3_600,
)

PROFILES = (WRISTBAND, CALL_BUTTON, DOOR_SENSOR, WATER_METER, SMART_PLUG)

#: The profile type each care device kind is provisioned with.
PROFILE_OF_KIND = {
    "wristband": WRISTBAND.type,
    "call_button": CALL_BUTTON.type,
    "door_sensor": DOOR_SENSOR.type,
    "water_meter": WATER_METER.type,
    "smart_plug": SMART_PLUG.type,
}

#: When a telemetry event is a sign of life: a step, a door movement, water drawn, a switch-on.
ACTIVITY_SIGNS = {
    "steps": lambda v: v > 0,
    "pressed": lambda v: bool(v),
    "door_open": lambda v: v is not None,
    "used_litres": lambda v: v > 0,
    "switched_on": lambda v: bool(v),
}
