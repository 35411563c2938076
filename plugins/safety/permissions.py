"""Permission classes of the safety plugin's fields: PLUGIN_DISABLED first, then casbin (the
permissions themselves and their default grants are in the package's ``__init__``, which the
CLI loads without strawberry)."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "safety"


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """``obj:act`` for this plugin's fields."""
    return sdk_graphql.AnyOf((obj, act), plugin=PLUGIN)
