"""Devices: the built-in device profiles and the GraphQL for the kernel's device registry,
telemetry, alarms and commands. Uses only the public SDK (``kernel.sdk``) and the estate's
public models (to resolve a device's place)."""

from __future__ import annotations

from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="devices",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Device registry, telemetry, alarms and commands (ThingsBoard-compatible device API)",
    default_enabled=True,
)


@hookimpl
def register_device_profiles():  # type: ignore[no-untyped-def]
    from plugins.devices.profiles import BUILTIN_PROFILES

    return list(BUILTIN_PROFILES)


@hookimpl
def register_graphql():  # type: ignore[no-untyped-def]
    from kernel.sdk import GraphQLContribution
    from plugins.devices.graphql import (
        Alarm,
        Device,
        DevicesMutation,
        DevicesQuery,
        DevicesSubscription,
    )

    return GraphQLContribution(
        query=(DevicesQuery,), mutation=(DevicesMutation,), subscription=(DevicesSubscription,), types=(Device, Alarm)
    )


@hookimpl
def register_permissions():  # type: ignore[no-untyped-def]
    from kernel.sdk import Grant, Permission, PermissionSet

    perms = (
        Permission("devices", "read", "See devices, their telemetry and profiles"),
        Permission("devices", "write", "Provision devices, rotate and revoke their tokens"),
        Permission("devices", "command", "Send commands to devices (open a gate, silence a siren)"),
        Permission("alarms", "read", "See device alarms"),
        Permission("alarms", "manage", "Acknowledge and clear device alarms"),
    )
    grants = [Grant(r, "devices", "read") for r in ("tenant_admin", "property_staff", "technician", "grid_worker", "auditor")]
    grants += [Grant(r, "devices", "write") for r in ("tenant_admin", "property_staff")]
    grants += [Grant(r, "devices", "command") for r in ("tenant_admin", "property_staff", "technician")]
    grants += [Grant(r, "alarms", "read") for r in ("tenant_admin", "property_staff", "technician", "grid_worker", "auditor")]
    grants += [Grant(r, "alarms", "manage") for r in ("tenant_admin", "property_staff", "technician")]
    return PermissionSet(permissions=perms, grants=tuple(grants))


@hookimpl
def register_scheduled_jobs():  # type: ignore[no-untyped-def]
    from kernel.sdk import ScheduledJob, devices

    interval = devices.get_device_settings().activity_check_seconds
    return [
        ScheduledJob("devices.activity", interval, devices.run_activity_checks),
        ScheduledJob("devices.mqtt_bridge", 1.0, devices.run_mqtt_bridge),
    ]


@hookimpl
def register_event_handlers():  # type: ignore[no-untyped-def]
    from plugins.devices.notifications import HANDLERS

    return dict(HANDLERS)


@hookimpl
def register_notification_templates():  # type: ignore[no-untyped-def]
    from plugins.devices.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="alarms", title={"zh-CN": "设备告警", "en": "Device alarms"}, permission="alarms:read", order=32, icon="alarms"),
        WebPage(key="devices", title={"zh-CN": "设备", "en": "Devices"}, permission="devices:read", order=34, icon="devices"),
    ]
