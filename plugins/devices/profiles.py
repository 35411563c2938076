"""Built-in device profiles for residential communities (contributed through
``register_device_profiles`` like any plugin's). Valid ranges are physical limits of the
sensors: a value outside them is refused as bad input; alarm thresholds lie inside them."""

from __future__ import annotations

from kernel.sdk import AlarmRule, CommandParam, DeviceCommand, DeviceProfile, TelemetryKey

BATTERY = TelemetryKey("battery", "number", "%", 0, 100, "remaining battery")
LOW_BATTERY = AlarmRule("low_battery", "threshold", "warning", "battery", "<", 15, description="replace the battery", work_order_category="electrical")

ACCESS_GATE = DeviceProfile(
    type="access_gate",
    name="门禁 access gate",
    telemetry=(
        TelemetryKey("door_open", "boolean", description="door leaf open"),
        TelemetryKey("opened_by", "string", description="card | face | qr | remote | button", max_length=16),
        TelemetryKey("forced_open", "boolean", description="opened without a credential"),
        BATTERY,
    ),
    alarms=(
        AlarmRule("door_forced", "threshold", "critical", "forced_open", "==", True, description="forced entry", work_order_category="security"),
        AlarmRule("door_held_open", "threshold", "major", "door_open", "==", True, duration_seconds=120, work_order_category="security"),
        LOW_BATTERY,
    ),
    commands=(DeviceCommand("open", "open the door once", timeout_seconds=10), DeviceCommand("lock", "lock until unlocked")),
    inactivity_timeout_seconds=300,
)

BARRIER_GATE = DeviceProfile(
    type="barrier_gate",
    name="道闸 barrier gate",
    telemetry=(
        TelemetryKey("barrier_up", "boolean"),
        TelemetryKey("plate", "string", description="licence plate read at the gate", max_length=16),
        TelemetryKey("vehicle_count", "integer", "vehicles", 0, 1_000_000),
        TelemetryKey("fault_code", "integer", "", 0, 999, "0 = no fault"),
    ),
    alarms=(
        AlarmRule("barrier_fault", "threshold", "major", "fault_code", ">", 0, work_order_category="public_facility"),
        AlarmRule("barrier_stuck_open", "threshold", "warning", "barrier_up", "==", True, duration_seconds=300, work_order_category="public_facility"),
    ),
    commands=(DeviceCommand("raise", "raise the barrier"), DeviceCommand("lower", "lower the barrier")),
    inactivity_timeout_seconds=300,
)

SMOKE_DETECTOR = DeviceProfile(
    type="smoke_detector",
    name="烟感 smoke detector",
    telemetry=(
        TelemetryKey("smoke", "boolean", description="smoke alarm state"),
        TelemetryKey("smoke_level", "number", "%obs/m", 0, 100, "optical obscuration"),
        TelemetryKey("temperature", "number", "°C", -40, 125),
        BATTERY,
    ),
    alarms=(
        AlarmRule("smoke", "threshold", "critical", "smoke", "==", True, description="fire: dispatch at once", work_order_category="fire"),
        AlarmRule("smoke_level_high", "threshold", "major", "smoke_level", ">", 10, work_order_category="fire"),
        AlarmRule("no_heartbeat", "missing", "major", None, duration_seconds=86_400, work_order_category="electrical"),
        LOW_BATTERY,
    ),
    commands=(DeviceCommand("silence", "silence the sounder", (CommandParam("seconds", "integer", required=False),)),),
    inactivity_timeout_seconds=7_200,
)

ELEVATOR_MONITOR = DeviceProfile(
    type="elevator_monitor",
    name="电梯监测 elevator monitor",
    telemetry=(
        TelemetryKey("floor", "integer", "", -10, 200),
        TelemetryKey("running", "boolean"),
        TelemetryKey("door_open", "boolean"),
        TelemetryKey("trapped", "boolean", description="passenger trapped"),
        TelemetryKey("speed", "number", "m/s", 0, 12),
        TelemetryKey("ebike_detected", "boolean", description="e-bike in the car (电动车入梯)"),
    ),
    alarms=(
        AlarmRule("passenger_trapped", "threshold", "critical", "trapped", "==", True, work_order_category="elevator"),
        AlarmRule("ebike_in_elevator", "threshold", "major", "ebike_detected", "==", True, work_order_category="fire"),
        AlarmRule("overspeed", "threshold", "major", "speed", ">", 2.5, work_order_category="elevator"),
        AlarmRule("door_open_long", "threshold", "warning", "door_open", "==", True, duration_seconds=180, work_order_category="elevator"),
    ),
    commands=(
        DeviceCommand("announce", "voice announcement in the car", (CommandParam("text"),)),
        # the safety plugin holds the doors when an e-bike enters (电动车入梯)
        DeviceCommand("hold_doors", "keep the doors open until released or the time runs out", (CommandParam("seconds", "integer"), CommandParam("reason", required=False))),
        DeviceCommand("release_doors", "return the car to normal service"),
    ),
    inactivity_timeout_seconds=300,
)

EBIKE_SHED_CAMERA = DeviceProfile(
    type="ebike_shed_camera",
    name="电动车棚热成像 e-bike shed thermal camera",
    telemetry=(
        TelemetryKey("max_temperature", "number", "°C", -40, 650),
        TelemetryKey("ebike_count", "integer", "bikes", 0, 2000),
        TelemetryKey("smoke", "boolean"),
    ),
    alarms=(
        AlarmRule("overheat", "threshold", "critical", "max_temperature", ">", 80, work_order_category="fire"),
        AlarmRule("heating", "threshold", "major", "max_temperature", ">", 55, duration_seconds=60, work_order_category="fire"),
        AlarmRule("shed_smoke", "threshold", "critical", "smoke", "==", True, work_order_category="fire"),
    ),
    commands=(DeviceCommand("cut_charging_power", "cut the chargers' circuit"), DeviceCommand("sound_alarm", "sound the siren")),
    inactivity_timeout_seconds=300,
)

ENVIRONMENT_SENSOR = DeviceProfile(
    type="environment_sensor",
    name="环境监测 environment sensor",
    telemetry=(
        TelemetryKey("temperature", "number", "°C", -40, 85),
        TelemetryKey("humidity", "number", "%RH", 0, 100),
        TelemetryKey("pm25", "number", "µg/m³", 0, 1000),
        TelemetryKey("noise", "number", "dB(A)", 20, 140),
    ),
    alarms=(
        AlarmRule("pm25_high", "threshold", "warning", "pm25", ">", 150, duration_seconds=600),
        AlarmRule("noise_high", "threshold", "warning", "noise", ">", 70, duration_seconds=300, work_order_category="noise"),
        AlarmRule("heat", "threshold", "major", "temperature", ">", 40),
        AlarmRule("no_data", "missing", "warning", "temperature", duration_seconds=1_800),
    ),
    inactivity_timeout_seconds=900,
)

WATER_METER = DeviceProfile(
    type="water_meter",
    name="水表 water meter",
    telemetry=(
        TelemetryKey("reading", "number", "m³", 0, 10_000_000),
        TelemetryKey("flow_rate", "number", "m³/h", 0, 100),
        TelemetryKey("leak", "boolean"),
        BATTERY,
    ),
    alarms=(
        AlarmRule("flow_spike", "threshold", "major", "flow_rate", ">", 5, work_order_category="plumbing"),
        AlarmRule("continuous_flow", "threshold", "warning", "flow_rate", ">", 0.05, duration_seconds=6 * 3600, work_order_category="plumbing"),
        AlarmRule("leak", "threshold", "major", "leak", "==", True, work_order_category="plumbing"),
        LOW_BATTERY,
    ),
    commands=(DeviceCommand("close_valve", "close the inlet valve"), DeviceCommand("open_valve", "open the inlet valve")),
    inactivity_timeout_seconds=86_400,
)

ELDER_WRISTBAND = DeviceProfile(
    type="elder_wristband",
    name="老人手环 elder wristband",
    telemetry=(
        TelemetryKey("heart_rate", "integer", "bpm", 0, 250),
        TelemetryKey("fall", "boolean", description="fall detected"),
        TelemetryKey("sos", "boolean", description="SOS button pressed (一键呼叫)"),
        TelemetryKey("steps", "integer", "steps", 0, 200_000),
        BATTERY,
    ),
    alarms=(
        AlarmRule("sos", "threshold", "critical", "sos", "==", True, description="call the elder at once", work_order_category="other"),
        AlarmRule("fall", "threshold", "critical", "fall", "==", True),
        AlarmRule("tachycardia", "threshold", "major", "heart_rate", ">", 130, duration_seconds=60),
        AlarmRule("bradycardia", "threshold", "major", "heart_rate", "<", 40, duration_seconds=60),
        AlarmRule("no_activity", "missing", "major", "steps", duration_seconds=12 * 3600, description="独居老人 no-activity alert"),
        LOW_BATTERY,
    ),
    commands=(DeviceCommand("ring", "ring and vibrate the band"),),
    inactivity_timeout_seconds=1_800,
)

BUILTIN_PROFILES = (
    ACCESS_GATE,
    BARRIER_GATE,
    SMOKE_DETECTOR,
    ELEVATOR_MONITOR,
    EBIKE_SHED_CAMERA,
    ENVIRONMENT_SENSOR,
    WATER_METER,
    ELDER_WRISTBAND,
)
