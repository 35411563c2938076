"""Permission classes: small, declarative, backed by casbin. Resolvers hold no permission code.

``permission_classes=[Allowed("estate", "read")]`` on a field.

The classes here are marked ``per_request``: their decision depends on the request (caller,
tenant, roles, enabled plugins), never on the object or the field's arguments, so the gateway
asks each of them once per query operation rather than once per row (``gateway.schema``). A
permission class that looks at ``source`` or ``kwargs`` must not set it.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from kernel.errors import Forbidden, LinliError, Unauthenticated


def AnyOf(*perms: tuple[str, str], plugin: str | None = None) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """A permission class granting the field to actors whose roles allow any of ``perms``
    (``("fee", "read"), ("fee", "manage")``).

    With ``plugin``, the tenant must have enabled that plugin first (PLUGIN_DISABLED otherwise,
    whatever order guards run in); without, the request must be bound to an active tenant.
    """
    if not perms:
        raise ValueError("AnyOf needs at least one (object, action) permission")
    keys = [f"{o}:{a}" for o, a in perms]

    class _AnyOf(BasePermission):
        message = "you lack the permission " + " or ".join(keys)
        per_request = True

        def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
            ctx = info.context
            if plugin is not None:
                ctx.require_plugin(plugin)
            else:
                ctx.require_tenant()  # raises UNAUTHENTICATED / TENANT_SUSPENDED with its own code
            if not any(ctx.allowed(o, a) for o, a in perms):
                raise Forbidden(self.message, permission=" or ".join(keys))
            return True

    prefix = "Allowed" if len(perms) == 1 else "AnyOf"
    _AnyOf.__name__ = f"{prefix}_{plugin + '_' if plugin else ''}" + "_".join(f"{o}_{a}" for o, a in perms)
    return _AnyOf


def Allowed(obj: str, act: str, *, plugin: str | None = None) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """A permission class granting the field to actors whose roles allow ``obj:act``."""
    return AnyOf((obj, act), plugin=plugin)


class Authenticated(BasePermission):
    message = "log in first"
    per_request = True

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        info.context.require_tenant()
        return True


class PluginEnabled(BasePermission):
    """Added by the schema composer to every root field a plugin contributes."""

    plugin: str = ""
    message = "plugin disabled"
    per_request = True

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        actor = info.context.actor
        if actor is not None and actor.kind == "regulator" and getattr(info.context, "auth_error", None) is None:
            # a regulator has no tenant: the field's own permission (IsRegulator, or Allowed which
            # then refuses) decides; regulator reads check enablement per tenant themselves
            return True
        info.context.require_plugin(self.plugin)
        return True


class TenantOrRegulator(BasePermission):
    """Signed in to a tenant, or a street office's regulator account (which has none): fields
    both may read, such as the web clients' menus."""

    message = "log in first"
    per_request = True

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        ctx = info.context
        actor = getattr(ctx, "actor", None)
        if actor is not None and actor.kind == "regulator" and actor.regulator_street:
            if getattr(ctx, "auth_error", None) is not None:
                raise ctx.auth_error
            return True
        ctx.require_tenant()
        return True


class IsRegulator(BasePermission):
    """The caller is a street office's regulator account (read-only, cross-tenant aggregates)."""

    message = "only a street office's regulator account may read this"
    per_request = True

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        ctx = info.context
        if getattr(ctx, "auth_error", None) is not None:
            raise ctx.auth_error
        if ctx.actor is None:
            raise Unauthenticated("log in first: send `Authorization: Bearer <access token>`")
        if ctx.actor.kind != "regulator" or not ctx.actor.regulator_street:
            raise Forbidden(self.message)
        return True


def plugin_enabled(plugin: str) -> type[BasePermission]:
    return type(f"PluginEnabled_{plugin}", (PluginEnabled,), {"plugin": plugin})


__all__ = ["Allowed", "AnyOf", "Authenticated", "LinliError", "plugin_enabled"]
