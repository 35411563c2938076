"""Device profiles' ``event_keys``: a message carrying one is published as a
``device.telemetry_event`` (with the values of its timestamp); other messages publish nothing."""

from __future__ import annotations

import types
from typing import Any

import pytest
import pytest_asyncio

from kernel.sdk import SDK_API_VERSION, DeviceProfile, PluginManifest, TelemetryKey, hookimpl

CARD_READER = DeviceProfile(
    type="card_reader",
    name="card reader",
    telemetry=(
        TelemetryKey("card_read", "string", max_length=32),
        TelemetryKey("temperature", "number", "°C", -40, 85),
    ),
    event_keys=("card_read",),
)


def _card_reader_plugin() -> types.ModuleType:
    mod = types.ModuleType("card_reader_plugin")
    mod.MANIFEST = PluginManifest(name="card_reader_plugin", version="0", sdk_api=SDK_API_VERSION)  # type: ignore[attr-defined]

    @hookimpl
    def register_device_profiles() -> list[Any]:
        return [CARD_READER]

    mod.register_device_profiles = register_device_profiles  # type: ignore[attr-defined]
    return mod


@pytest_asyncio.fixture
async def runtime(make_runtime, probe):  # type: ignore[no-untyped-def]
    from kernel.devices.config import DeviceSettings

    rt = make_runtime(extra_plugins=[probe, _card_reader_plugin()])
    rt.services["device_settings"] = DeviceSettings()
    return rt


def test_event_keys_must_be_declared_telemetry_keys():
    with pytest.raises(ValueError, match="event keys"):
        DeviceProfile(type="x", name="x", telemetry=(TelemetryKey("a", "number"),), event_keys=("b",))


async def test_a_message_with_an_event_key_is_published_with_its_values(dev):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "card_reader", name="east gate reader")
    r = await dev.post(token, {"temperature": 21.5})
    assert r.status_code == 200, r.text
    r = await dev.post(token, {"card_read": "A-1001", "temperature": 22})
    assert r.status_code == 200, r.text
    await dev.deliver(estate)
    events = dev.events("device.telemetry_event", estate)
    assert len(events) == 1  # the reading without an event key published nothing
    payload = events[0].payload
    assert payload["device_type"] == "card_reader" and payload["device_id"] == str(await dev.device_uuid(device_id))
    assert payload["values"] == {"card_read": "A-1001", "temperature": 22.0}
