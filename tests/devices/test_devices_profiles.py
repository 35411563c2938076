"""Device profiles: the ``register_device_profiles`` hook, the catalog, value validation."""

from __future__ import annotations

import types
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.devices.config import DeviceSettings
from kernel.devices.ingest import parse_telemetry
from kernel.devices.profiles import AlarmRule, ProfileCatalog, ProfileConflict, TelemetryKey
from kernel.errors import BadUserInput
from kernel.plugins.host import PluginHost
from kernel.sdk import SDK_API_VERSION, DeviceProfile, PluginManifest, hookimpl

PARCEL_LOCKER = DeviceProfile(
    type="parcel_locker",
    name="智能快递柜 parcel locker",
    telemetry=(TelemetryKey("free_boxes", "integer", "boxes", 0, 500),),
    alarms=(AlarmRule("full", "threshold", "warning", "free_boxes", "==", 0),),
)


def _plugin(name: str, profiles: list[DeviceProfile]) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.MANIFEST = PluginManifest(name=name, version="1.0.0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]

    @hookimpl
    def register_device_profiles() -> list[DeviceProfile]:
        return profiles

    mod.register_device_profiles = register_device_profiles  # type: ignore[attr-defined]
    return mod


def test_hook_register_device_profiles():
    """A third-party plugin's profile joins the built-in ones; a duplicate type stops start-up
    with an error naming both plugins."""
    host = PluginHost()
    host.load(extra=[_plugin("lockers", [PARCEL_LOCKER])], entry_points=False)
    catalog = ProfileCatalog.from_host(host)
    assert catalog.get("parcel_locker") is PARCEL_LOCKER and catalog.owner("parcel_locker") == "lockers"
    assert catalog.owner("smoke_detector") == "devices"
    clash = DeviceProfile(type="smoke_detector", name="another smoke detector")
    host = PluginHost()
    host.load(extra=[_plugin("copycat", [clash])], entry_points=False)
    with pytest.raises(ProfileConflict, match="contributed by both ('devices' and 'copycat'|'copycat' and 'devices')"):
        ProfileCatalog.from_host(host)


def test_profiles_refuse_inconsistent_rules():
    with pytest.raises(ValueError, match="not FacilityCategory values"):
        DeviceProfile(
            type="x", name="x", telemetry=(TelemetryKey("t", "boolean"),),
            alarms=(AlarmRule("a", "threshold", "major", "t", "==", True, work_order_category="firefighting"),),
        )
    ok = AlarmRule("a", "threshold", "major", "t", "==", True, work_order_category="fire")
    assert DeviceProfile(type="x", name="x", telemetry=(TelemetryKey("t", "boolean"),), alarms=(ok,)).alarms[0].work_order_category == "fire"
    with pytest.raises(ValueError, match="unknown severity"):
        DeviceProfile(type="x", name="x", telemetry=(TelemetryKey("t"),), alarms=(AlarmRule("a", "threshold", "urgent", "t"),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="declared key"):
        DeviceProfile(type="x", name="x", alarms=(AlarmRule("a", "threshold", "major", "nope"),))


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**6, 10**6) | st.booleans() | st.text(max_size=3))
def test_a_value_is_accepted_exactly_when_it_is_a_number_in_range(value: Any):
    key = TelemetryKey("pm25", "number", "µg/m³", 0, 1000)
    ok = not isinstance(value, bool | str) and value == value and abs(value) != float("inf") and 0 <= value <= 1000
    assert (key.check(value) is None) == ok


@given(st.integers(-300, 300), st.integers(0, 250))
def test_threshold_rules_compare_like_the_operator_says(value: int, threshold: int):
    assert AlarmRule("hi", "threshold", "major", "hr", ">", threshold).holds(value) == (value > threshold)
    assert AlarmRule("lo", "threshold", "major", "hr", "<=", threshold).holds(value) == (value <= threshold)


@given(st.lists(st.integers(0, 250), min_size=1, max_size=20), st.integers(0, 250))
def test_a_message_is_all_or_nothing(values: list[int], bad_at: int):
    """One bad value anywhere refuses the whole message (nothing is half-written)."""
    profile = DeviceProfile(type="w", name="w", telemetry=(TelemetryKey("heart_rate", "integer", "bpm", 0, 250),))
    now = 1_800_000_000_000
    body = [{"ts": now - i * 1000, "values": {"heart_rate": v}} for i, v in enumerate(values)]
    readings = parse_telemetry(body, profile, DeviceSettings(), received_ms=now)
    assert [r.num for r in readings] == [float(v) for v in values]
    body[bad_at % len(body)]["values"]["heart_rate"] = 251
    with pytest.raises(BadUserInput):
        parse_telemetry(body, profile, DeviceSettings(), received_ms=now)
