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
