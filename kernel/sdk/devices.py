"""Devices: the profiles a plugin contributes (``register_device_profiles``) and the device service.

This module *is* the service namespace too: besides the profile classes below, every public name
of the kernel's device service is reachable here (``devices.provision(...)``,
``devices.profiles(runtime)``, ``devices.send_command(...)``, ``devices.latest_values(...)``,
``devices.registry``, ...), so ``from kernel.sdk import devices`` and
``from kernel.sdk.devices import DeviceProfile`` name the same module.
"""

from __future__ import annotations

from typing import Any

from kernel.devices.profiles import (
    AlarmRule,
    CommandParam,
    DeviceCommand,
    DeviceProfile,
    TelemetryKey,
)


def __getattr__(name: str) -> Any:
    from kernel.devices import service

    if name.startswith("_") or not hasattr(service, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(service, name)


__all__ = ["AlarmRule", "CommandParam", "DeviceCommand", "DeviceProfile", "TelemetryKey"]
