"""The parking plugin's device profiles: the plate-reading barrier lane and the EV charger.

``parking_barrier`` (车牌识别道闸): the lane camera reports each plate it reads as one telemetry
message ``{"plate": "粤B12345", "direction": "entry"}`` (``direction`` optional: the lane's
configured direction otherwise); ``plate`` is an event key, so each read becomes a
``device.telemetry_event`` the plugin turns into a session. The platform answers with the
``raise`` command when the car may pass.

``ev_charger`` (充电桩): ``charge_event`` (``start`` | ``stop``) with the charger's transaction id
``charge_session``, the ``plate`` (on start, optional) and the session's ``energy_wh`` (on
stop); ``fault_code`` > 0 raises the ``charger_fault`` alarm, which opens a work order.
"""

from __future__ import annotations

from kernel.sdk.devices import AlarmRule, DeviceCommand, DeviceProfile, TelemetryKey

PARKING_BARRIER = DeviceProfile(
    type="parking_barrier",
    name="车牌识别道闸 plate-reading barrier lane",
    telemetry=(
        TelemetryKey(
            "plate", "string", description="licence plate read by the lane camera", max_length=16
        ),
        TelemetryKey(
            "direction", "string", description="entry | exit (default: the lane's)", max_length=5
        ),
        TelemetryKey("barrier_up", "boolean"),
        TelemetryKey("fault_code", "integer", "", 0, 999, "0 = no fault"),
    ),
    alarms=(
        AlarmRule(
            "barrier_fault",
            "threshold",
            "major",
            "fault_code",
            ">",
            0,
            work_order_category="public_facility",
        ),
        AlarmRule(
            "barrier_stuck_open",
            "threshold",
            "warning",
            "barrier_up",
            "==",
            True,
            duration_seconds=300,
            work_order_category="public_facility",
        ),
    ),
    commands=(
        DeviceCommand("raise", "raise the barrier once", timeout_seconds=10),
        DeviceCommand("lower", "lower the barrier"),
    ),
    event_keys=("plate",),
    inactivity_timeout_seconds=300,
)

EV_CHARGER = DeviceProfile(
    type="ev_charger",
    name="充电桩 EV charging pile",
    telemetry=(
        TelemetryKey("charge_event", "string", description="start | stop", max_length=5),
        TelemetryKey(
            "charge_session", "string", description="the charger's transaction id", max_length=64
        ),
        TelemetryKey(
            "plate", "string", description="the car's plate, if the pile knows it", max_length=16
        ),
        TelemetryKey("energy_wh", "integer", "Wh", 0, 1_000_000, "energy of the session (on stop)"),
        TelemetryKey(
            "reason",
            "string",
            description="why a session stopped: full | user | fault",
            max_length=8,
        ),
        TelemetryKey("power_kw", "number", "kW", 0, 400),
        TelemetryKey("fault_code", "integer", "", 0, 999, "0 = no fault"),
    ),
    alarms=(
        AlarmRule(
            "charger_fault",
            "threshold",
            "major",
            "fault_code",
            ">",
            0,
            description="charger fault: send a technician",
            work_order_category="electrical",
        ),
    ),
    commands=(DeviceCommand("stop_charging", "end the current charge"),),
    event_keys=("charge_event",),
    inactivity_timeout_seconds=900,
)

PROFILES = (PARKING_BARRIER, EV_CHARGER)
