"""Device settings (``LINLI_DEVICES_`` prefix); the embedded default needs none."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class DeviceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_DEVICES_", env_file=".env", extra="ignore")

    #: Largest accepted message (HTTP body or MQTT payload), in bytes.
    max_payload_bytes: int = 64 * 1024
    #: Most data points in one message.
    max_points_per_message: int = 1000
    #: A timestamp further than this in the future is refused (clock skew allowance).
    max_future_skew_seconds: int = 600
    #: A timestamp older than this is refused (a device with a reset clock sends 1970).
    max_age_days: int = 366
    #: Per-device message rate (token bucket: sustained per second, burst).
    device_rate_per_second: float = 20.0
    device_burst: int = 60
    #: Per-tenant message rate across all its devices.
    tenant_rate_per_second: float = 20_000.0
    tenant_burst: int = 40_000
    #: MQTT bridge: a batch holds at most this many messages.
    batch_max_messages: int = 5000
    #: MQTT bridge: 0 (default) is group commit — a batch is what arrived while the previous one
    #: was in the database, flushed as soon as that one commits; > 0 waits up to this many
    #: milliseconds for a full batch (fewer, larger transactions at light load, higher latency).
    batch_max_wait_ms: int = 0
    #: MQTT bridge: messages held in memory before the bridge stops reading (back-pressure).
    queue_max_messages: int = 20_000
    #: How often the offline / missing-data job runs.
    activity_check_seconds: float = 30.0
    #: MQTT bridge identity on the broker (see docs/devices.md).
    bridge_username: str = "linli-bridge"
    bridge_password: str = ""
    bridge_client_id: str = "linli-bridge"
    #: Several bridge processes share the load when this names a shared-subscription group
    #: (``$share/<group>/linli/up/#``); each then needs its own ``bridge_client_id``.
    bridge_share_group: str = ""


@lru_cache
def get_device_settings() -> DeviceSettings:
    return DeviceSettings()
