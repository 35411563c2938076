"""Device metrics on the process registry (``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from kernel.metrics import registry

device_messages = Counter(
    "linli_device_messages_total",
    "Device messages by transport and outcome (stored, rejected, rate_limited, unknown_token)",
    ["transport", "outcome"],
    registry=registry,
)
device_points = Counter("linli_device_points_stored_total", "Telemetry data points stored", ["transport"], registry=registry)
mqtt_dropped = Counter(
    "linli_mqtt_dropped_total", "MQTT messages the bridge dropped, by reason", ["reason"], registry=registry
)
mqtt_reconnects = Counter("linli_mqtt_bridge_reconnects_total", "MQTT bridge reconnections", registry=registry)
batch_seconds = Histogram(
    "linli_device_batch_seconds", "Time to store one telemetry batch", ["transport"], registry=registry
)
