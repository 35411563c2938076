"""Permission classes: small, declarative, backed by casbin. Resolvers hold no permission code.

``permission_classes=[Allowed("estate", "read")]`` on a field.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from kernel.errors import Forbidden, LinliError


def Allowed(obj: str, act: str) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """A permission class granting the field to actors whose roles allow ``obj:act``."""

    class _Allowed(BasePermission):
        message = f"you lack the permission {obj}:{act}"

        def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
            ctx = info.context
            ctx.require_tenant()  # raises UNAUTHENTICATED / TENANT_SUSPENDED with its own code
            if not ctx.allowed(obj, act):
                raise Forbidden(self.message, permission=f"{obj}:{act}")
            return True

    _Allowed.__name__ = f"Allowed_{obj}_{act}"
    return _Allowed


class Authenticated(BasePermission):
    message = "log in first"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        info.context.require_tenant()
        return True


class PluginEnabled(BasePermission):
    """Added by the schema composer to every root field a plugin contributes."""

    plugin: str = ""
    message = "plugin disabled"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        info.context.require_plugin(self.plugin)
        return True


def plugin_enabled(plugin: str) -> type[BasePermission]:
    return type(f"PluginEnabled_{plugin}", (PluginEnabled,), {"plugin": plugin})


__all__ = ["Allowed", "Authenticated", "LinliError", "plugin_enabled"]
