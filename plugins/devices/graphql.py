"""GraphQL for devices, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.devices.types` (profiles, devices with latest telemetry and
aggregated series, alarms, provisioning answers, command calls, live changes),
:mod:`~plugins.devices.queries` (query and subscription roots), :mod:`~plugins.devices.mutations`
(provisioning single and CSV, token rotation and revocation, alarm acknowledge/clear, commands),
:mod:`~plugins.devices.repository` (reads and their access rules), :mod:`~plugins.devices.inputs`
(pydantic validation) and :mod:`~plugins.devices.service` (the writes, their audit entries and
broker notifications) over the kernel's device registry (:mod:`kernel.sdk.devices`).
"""

from __future__ import annotations

from plugins.devices.mutations import DevicesMutation
from plugins.devices.queries import DevicesQuery, DevicesSubscription
from plugins.devices.types import (
    Alarm,
    AlarmChange,
    Device,
    DeviceCommandCall,
    DeviceProfileInfo,
    DeviceStatusChange,
    ProvisionDeviceInput,
    ProvisionedDevice,
)

__all__ = [
    "Alarm",
    "AlarmChange",
    "Device",
    "DeviceCommandCall",
    "DeviceProfileInfo",
    "DeviceStatusChange",
    "DevicesMutation",
    "DevicesQuery",
    "DevicesSubscription",
    "ProvisionDeviceInput",
    "ProvisionedDevice",
]
