"""Permission classes of the grid plugin's fields: PLUGIN_DISABLED first, then casbin."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "grid"


def Allowed(*perms: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of ``perms`` (``("grid", "read")``…) for this plugin's fields."""
    return sdk_graphql.AnyOf(*perms, plugin=PLUGIN)


READ = ("grid", "read")
OVERSEE = ("grid", "oversee")
MANAGE = ("grid", "manage")
PATROL = ("grid", "patrol")
REPORT = ("grid", "report")
FOLLOW_UP = ("grid", "follow_up")
CARE = ("grid", "care")
