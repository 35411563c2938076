"""Permission classes of the participation plugin's fields: PLUGIN_DISABLED first, then casbin."""

from __future__ import annotations

from strawberry.permission import BasePermission

from kernel.sdk import graphql as sdk_graphql

PLUGIN = "participation"


def Allowed(*perms: tuple[str, str]) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Any of ``perms`` (``("participation", "read")``…) for this plugin's fields."""
    return sdk_graphql.AnyOf(*perms, plugin=PLUGIN)


READ = (PLUGIN, "read")
READ_ALL = (PLUGIN, "read_all")
TAKE_PART = (PLUGIN, "take_part")
ANSWER_SURVEY = (PLUGIN, "answer_survey")
RESPOND = (PLUGIN, "respond")
MANAGE_SURVEYS = (PLUGIN, "manage_surveys")
CONFIGURE = (PLUGIN, "configure")
