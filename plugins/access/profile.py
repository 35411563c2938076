"""The access reader as a device (门禁控制器 / 梯控读头): what it reports and the commands it takes.

A reader that cannot ask over HTTP reports a scan as telemetry: ``scan`` (an event key, so the
kernel publishes the message as ``device.telemetry_event``) holds ``<kind>:<value>`` —
``qr:LQ1…``, ``card:04A1B2C3``, ``face:<vendor reference>``, ``pass:K7M2Q9XZ4P`` — with
``direction`` and the reader's ``event_id``. The platform decides, records, and sends ``open``
when the scan is allowed. Telemetry is kept by the device layer as a time series: readers that
can should ask synchronously (``POST /plugins/access/devices/{token}/decisions``), which stores
no credential value at all.
"""

from __future__ import annotations

from kernel.sdk.devices import AlarmRule, CommandParam, DeviceCommand, DeviceProfile, TelemetryKey

TYPE = "access_reader"

ACCESS_READER = DeviceProfile(
    type=TYPE,
    name="门禁读头 access reader (gate, door, lift)",
    telemetry=(
        TelemetryKey(
            "scan", "string", description="a credential shown: <kind>:<value>", max_length=160
        ),
        TelemetryKey("direction", "string", description="in | out", max_length=3),
        TelemetryKey(
            "event_id", "string", description="the reader's id for this scan", max_length=64
        ),
        TelemetryKey("door_open", "boolean", description="door leaf open"),
        TelemetryKey("forced_open", "boolean", description="opened without a credential"),
        TelemetryKey(
            "offline_buffered", "integer", "events", 0, 1_000_000, "decisions waiting for upload"
        ),
    ),
    alarms=(
        AlarmRule(
            "door_forced",
            "threshold",
            "critical",
            "forced_open",
            "==",
            True,
            description="forced entry",
            work_order_category="security",
        ),
        AlarmRule(
            "door_held_open",
            "threshold",
            "major",
            "door_open",
            "==",
            True,
            duration_seconds=120,
            work_order_category="security",
        ),
        AlarmRule("reader_backlog", "threshold", "warning", "offline_buffered", ">", 1000),
    ),
    commands=(
        DeviceCommand(
            "open",
            "open once",
            (
                CommandParam("seconds", "integer", required=False),
                CommandParam("record_id", required=False),
            ),
            timeout_seconds=10,
        ),
        DeviceCommand(
            "revoke_credential",
            "forget a credential held on the reader (a face reference whose consent was revoked)",
            (CommandParam("kind"), CommandParam("reference")),
            timeout_seconds=300,
        ),
    ),
    event_keys=("scan",),
    inactivity_timeout_seconds=300,
)
