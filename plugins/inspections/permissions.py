"""Permission classes of the inspection plugin's fields: PLUGIN_DISABLED first, then casbin."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "inspections"


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields (PLUGIN_DISABLED first, then casbin)."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)
