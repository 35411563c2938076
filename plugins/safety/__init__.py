"""Safety alarms (安防告警): objects thrown from height (高空抛物), blocked fire lanes, perimeter
intrusion, e-bikes entering lifts (电动车入梯), smoke, gas and water leaks — device profiles and
rules per firm and community; every alarm opens a work order through the closed loop (the
``device.alarm_raised`` event the workorders plugin handles) and tells the on-duty staff through
the SDK's escalation. See docs/safety.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    hookimpl,
)

MANIFEST = PluginManifest(
    name="safety",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Safety alarms from devices: thrown objects, fire lanes, intrusion, e-bikes in lifts, smoke, gas, water; work orders and escalation",
)


@hookimpl
def register_models() -> list[type]:
    from plugins.safety import models

    return [models.SafetyAlarm, models.SafetyRuleSetting]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_device_profiles() -> list[Any]:
    from plugins.safety.profiles import PROFILES

    return list(PROFILES)


@hookimpl
def register_device_alarm_takeovers() -> list[str]:
    """The device alarm rules that become safety alarms: their notice is the escalation's."""
    from plugins.safety.vocabulary import ADOPTED_DEVICE_RULES

    return list(ADOPTED_DEVICE_RULES)


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.safety.graphql import SafetyAlarm, SafetyMutation, SafetyQuery, SafetySubscription

    return GraphQLContribution(
        query=(SafetyQuery,),
        mutation=(SafetyMutation,),
        subscription=(SafetySubscription,),
        types=(SafetyAlarm,),
    )


PERMISSIONS = (
    Permission("safety", "read", "See safety alarms, their statistics and the rule settings"),
    Permission(
        "safety", "respond", "Acknowledge, arrive at and resolve safety alarms; mark false alarms"
    ),
    Permission(
        "safety",
        "configure",
        "Set the safety rules: on/off, severity, thresholds, time to acknowledge",
    ),
)
GRANTS = (
    *(
        Grant(r, "safety", "read")
        for r in (
            "tenant_admin",
            "property_staff",
            "technician",
            "grid_worker",
            "committee_member",
            "auditor",
        )
    ),
    *(Grant(r, "safety", "respond") for r in ("tenant_admin", "property_staff", "technician")),
    *(Grant(r, "safety", "configure") for r in ("tenant_admin", "property_staff")),
)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.safety.handlers import HANDLERS

    return dict(HANDLERS)


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.safety.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="safety", title={"zh-CN": "安全告警", "en": "Safety"}, permission="safety:read", order=52, icon="safety"),
        # the 一图感知 dashboard's widget (web/dashboard.js): safety alarms by type, live
        WebPage(
            key="safety-widget",
            title={"zh-CN": "安全告警（30 天）", "en": "Safety alarms (30 days)"},
            client="dashboard",
            permission="safety:read",
            module=str(Path(__file__).resolve().parent / "web" / "dashboard.js"),
            order=52,
        ),
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.safety.kpis import KPIS

    return list(KPIS)
