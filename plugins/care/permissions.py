"""Permission classes of the care plugin's fields: PLUGIN_DISABLED first, then casbin."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "care"


def Allowed(*perms: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of ``perms`` (``("care", "read")``…) for this plugin's fields."""
    return sdk_graphql.AnyOf(*perms, plugin=PLUGIN)


READ = ("care", "read")
READ_OWN = ("care", "read_own")
MANAGE = ("care", "manage")
RESPOND = ("care", "respond")
CHECK_IN = ("care", "check_in")
