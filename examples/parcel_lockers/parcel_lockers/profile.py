"""The locker as a device: what it reports and the one command it takes.

A courier's deposit arrives as one telemetry message carrying ``deposit_compartment`` (an event
key: the kernel publishes the message as a ``device.telemetry_event``), the recipient's building
and unit number, and the tracking number. The recipient's phone never leaves the locker: the
platform finds the people of the unit in the owner register.
"""

from __future__ import annotations

from kernel.sdk.devices import AlarmRule, CommandParam, DeviceCommand, DeviceProfile, TelemetryKey

TYPE = "parcel_locker"

PARCEL_LOCKER = DeviceProfile(
    type=TYPE,
    name="智能快递柜 parcel locker",
    telemetry=(
        TelemetryKey("deposit_compartment", "string", description="compartment a courier just filled", max_length=16),
        TelemetryKey("deposit_building", "string", description="recipient's building (name in the estate)", max_length=64),
        TelemetryKey("deposit_unit", "string", description="recipient's unit number", max_length=32),
        TelemetryKey("deposit_tracking", "string", description="courier's tracking number", max_length=64),
        TelemetryKey("free_compartments", "integer", "", 0, 500, "empty compartments left"),
        TelemetryKey("door_open", "boolean", description="a compartment door stands open"),
    ),
    alarms=(
        AlarmRule("locker_full", "threshold", "warning", "free_compartments", "==", 0, description="no empty compartment"),
        AlarmRule("door_left_open", "threshold", "minor", "door_open", "==", True, duration_seconds=300),
    ),
    commands=(
        DeviceCommand(
            "open_compartment", "open one compartment for a pickup", (CommandParam("compartment", "string"),), timeout_seconds=15
        ),
    ),
    event_keys=("deposit_compartment",),
    inactivity_timeout_seconds=900,
)
