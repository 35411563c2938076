"""Permissions of the safety plugin and the roles granted them by default, and the permission
classes of its fields (PLUGIN_DISABLED first, then casbin)."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import Grant, Permission
from kernel.sdk import graphql as sdk_graphql

PLUGIN = "safety"

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


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)
