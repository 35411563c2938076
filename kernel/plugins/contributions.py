"""What plugins hand to the host through ``register_*`` hooks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
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


#: What the relayer makes of a contract call's outcome (see :class:`ContractContribution`):
#: ``confirmed`` (the effect happened), ``done`` (the effect was already there: the intent is *skipped*),
#: ``retry`` (not yet: the outbox tries again later), ``failed`` (the intent is *reverted*).
CALL_OUTCOMES = ("confirmed", "done", "retry", "failed")


@dataclass(frozen=True)
class CallVerdict:
    """A contribution's classification of one call's outcome; ``reason`` is the error name recorded on the
    intent (``done``/``failed``) or the retry's message."""

    outcome: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in CALL_OUTCOMES:
            raise ValueError(f"unknown call outcome {self.outcome!r}; one of {', '.join(CALL_OUTCOMES)}")


@dataclass(frozen=True)
class CallBatch:
    """Calls of one function that ride together in one transaction (signed ballots, for example).

    The relayer picks up to ``max_calls`` pending intents of the same community, contract and function,
    sends one call with ``merge([args of each intent])`` and gives each intent the receipt's events for
    which ``owns(its args, event)`` is true. The contract must skip (not revert on) a bad member. Batched
    calls publish no ``chain.transaction_done`` (there are many; their outcome is on the intent's row).
    """

    function: str
    merge: Callable[[list[list[Any]]], list[Any]]
    owns: Callable[[list[Any], dict[str, Any]], bool]
    max_calls: int = 100


@dataclass(frozen=True)
class ContractContribution:
    """Contracts a plugin brings to every community's deployment (``register_contracts`` hook).

    * ``artifacts`` — contract role (the name ``enqueue_chain_call(contract=...)`` uses and the deployment
      record keeps, 1–16 characters ``[a-z0-9_]``) → artifact: a committed artifact's name (``contracts/artifacts``)
      or a ``contracts.Artifact`` the plugin loads from its own package;
    * ``deploy`` — ``async (DeployContext) -> {role: address}``, called when a community's contracts are
      ensured and none of these roles is deployed yet; ``after`` names roles (of any contribution) that must be
      deployed first (their addresses are in ``ctx.addresses``);
    * ``done_errors`` / ``retry_errors`` — custom error names meaning "already done" / "not yet";
      ``classify`` — ``async (CallOutcome) -> CallVerdict | None`` for anything subtler (a revert whose
      meaning depends on the function, a receipt whose events say the call was skipped); ``None`` keeps
      the default (a revert fails the intent, a receipt confirms it);
    * ``batches`` — functions whose calls the relayer batches (:class:`CallBatch`);
    * ``projections`` — event name → ``async (ProjectionContext) -> None``, called by the indexer once
      per new event of these roles, in the indexer's transaction (project into the plugin's own tables);
    * ``reconcile`` — ``async (ReconcileContext) -> None``: compare the plugin's projections with the
      contracts' views and add mismatches (run by ``kernel.chain.indexer.reconcile``).
    """

    artifacts: Mapping[str, Any]
    deploy: Callable[[Any], Awaitable[Mapping[str, str]]] | None = None
    after: tuple[str, ...] = ()
    done_errors: frozenset[str] = frozenset()
    retry_errors: frozenset[str] = frozenset()
    classify: Callable[[Any], Awaitable[CallVerdict | None]] | None = None
    batches: tuple[CallBatch, ...] = ()
    projections: Mapping[str, Callable[[Any], Awaitable[None]]] = field(default_factory=dict)
    reconcile: Callable[[Any], Awaitable[None]] | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.artifacts)

    def batch_for(self, function: str) -> CallBatch | None:
        return next((b for b in self.batches if b.function == function), None)


#: The web clients a page can belong to: the staff console (/console/), the resident app
#: (/app/) and the community dashboard (/dashboard/).
WEB_CLIENTS = ("console", "app", "dashboard")
#: The locales every page title is given in (the clients' languages).
WEB_LOCALES = ("zh-CN", "en")
#: File types the gateway serves from a plugin page's folder (``/web-plugins/<plugin>/<file>``).
WEB_FILE_TYPES = (".js", ".mjs", ".css", ".json", ".svg", ".png", ".webp", ".woff2", ".map")
_WEB_KEY = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class WebPage:
    """A page a plugin contributes to a web client (``register_web_pages``): one menu entry.

    ``module`` is the absolute path of the page's ES module (plain JavaScript, no build step
    needed): the gateway serves the files of its folder under ``/web-plugins/<plugin>/`` and the
    client loads it with a dynamic ``import()``; it exports ``mount(element, api)`` (see
    docs/plugins/web-pages.md). ``module=None`` names a page the client itself ships (the
    built-in plugins' screens, routed by ``key``). The page is listed only to a person holding
    ``permission`` (``"obj:act"``; ``None``: anyone signed in) in a tenant that enabled the plugin.
    """

    key: str
    title: Mapping[str, str]
    client: str = "console"
    permission: str | None = None
    module: str | None = None
    order: int = 100
    icon: str = ""

    def validate(self, plugin: str) -> None:
        """Refuses a malformed page at start-up, naming the plugin."""
        where = f"plugin {plugin!r} web page {self.key!r}"
        if not _WEB_KEY.fullmatch(self.key):
            raise ValueError(f"{where}: the key must be lowercase letters, digits, '-' or '_' (at most 40)")
        if self.client not in WEB_CLIENTS:
            raise ValueError(f"{where}: unknown client {self.client!r}; one of {', '.join(WEB_CLIENTS)}")
        missing = [loc for loc in WEB_LOCALES if not self.title.get(loc)]
        if missing:
            raise ValueError(f"{where}: a title is needed in {', '.join(missing)}")
        if self.permission is not None and self.permission.count(":") != 1:
            raise ValueError(f"{where}: the permission is 'object:action', not {self.permission!r}")
        if self.module is not None:
            path = Path(self.module)
            if not path.is_absolute() or path.suffix not in (".js", ".mjs") or not path.is_file():
                raise ValueError(f"{where}: module must be the absolute path of an existing .js/.mjs file, not {self.module!r}")
