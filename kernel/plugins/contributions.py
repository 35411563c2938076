"""What plugins hand to the host through ``register_*`` hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strawberry.types.scalar import ScalarDefinition


@dataclass(frozen=True)
class Grant:
    """Permission ``object:action`` granted to a role (kept here, free of casbin, so that a
    plugin's manifest module imports light; the enforcer lives in ``kernel.identity.authz``)."""

    role: str
    obj: str
    act: str


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry root types to merge into the schema, plus types only reachable indirectly."""

    query: tuple[type, ...] = ()
    mutation: tuple[type, ...] = ()
    subscription: tuple[type, ...] = ()
    types: tuple[type, ...] = ()
    #: Custom scalars the plugin's types use: a Python type (usually a ``NewType``) mapped to
    #: ``strawberry.scalar(name=..., serialize=..., parse_value=...)``. Merged into the schema's
    #: ``StrawberryConfig.scalar_map``, strawberry's replacement for the deprecated
    #: ``strawberry.scalar(cls, ...)``; the scalar stays defined in the plugin that owns it.
    scalar_map: Mapping[object, ScalarDefinition] = field(default_factory=dict)


@dataclass(frozen=True)
class Permission:
    """A permission ``object:action`` the plugin checks, with a description for admins."""

    obj: str
    act: str
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.obj}:{self.act}"


@dataclass(frozen=True)
class PermissionSet:
    permissions: tuple[Permission, ...] = ()
    #: Role grants proposed when a tenant enables the plugin.
    grants: tuple[Grant, ...] = ()

    def validate(self, plugin: str) -> None:
        declared = {(p.obj, p.act) for p in self.permissions}
        for g in self.grants:
            if (g.obj, g.act) not in declared:
                raise ValueError(f"plugin {plugin!r} proposes a grant of undeclared permission {g.obj}:{g.act}")


EventHandler = Callable[[Any, Any], Awaitable[None]]
EventHandlers = Mapping[str, EventHandler]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    interval_seconds: float
    run: Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class PluginManifest:
    """Declared by every plugin module as ``MANIFEST``."""

    name: str
    version: str
    sdk_api: str
    description: str = ""
    #: Enabled for every new tenant at provisioning.
    default_enabled: bool = False
    #: Part of the platform itself (the estate registry): always on, cannot be disabled.
    core: bool = False
    #: Optional pydantic model class validating the plugin's per-tenant settings.
    settings_schema: type | None = None
    requires: tuple[str, ...] = field(default_factory=tuple)
