"""Permission classes of the parking plugin's fields: PLUGIN_DISABLED first, then casbin."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "parking"


def Allowed(*pairs: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of the ``(obj, act)`` pairs, for this plugin's fields."""
    return sdk_graphql.AnyOf(*pairs, plugin=PLUGIN)


READ = ("parking", "read")
MANAGE = ("parking", "manage")
COLLECT = ("parking", "collect")
USE = ("parking", "use")
