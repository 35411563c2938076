"""Composes the GraphQL schema at start-up: kernel root types plus every loaded plugin's.

A root field defined twice stops start-up with an error naming both owners (strawberry's
``merge_types`` only warns); so does a custom scalar name two plugins define. Every root field
a plugin contributes is guarded by ``PluginEnabled`` so a tenant that has not enabled the plugin gets PLUGIN_DISABLED.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types

from gateway.extensions import BoundedParser, BoundedValidation, ErrorCodes, Limits, UnitOfWork
from gateway.kernel_schema import KernelMutation, KernelQuery
from kernel.consent.reads import RecordPersonalReads, RecordReadsOfFailedRequests
from kernel.graphql.permissions import PluginEnabled, plugin_enabled
from kernel.plugins.contributions import GraphQLContribution
from kernel.plugins.host import PluginHost

if TYPE_CHECKING:
    from graphql import GraphQLError
    from strawberry.types import ExecutionContext
    from strawberry.types.scalar import ScalarDefinition

#: Distinct query texts whose parse and validation results are kept (per process).
QUERY_CACHE_SIZE = 512


class SchemaCollisionError(RuntimeError):
    pass


class SettledExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core cancels a field's siblings when a non-null field fails; a sibling cancelled
    in the middle of a query on the request's session breaks that session's connection
    (aiosqlite hangs terminating it, asyncpg closes it), and the request's rollback then fails.
    Each asynchronous field runs in a task of its own behind a shield instead: cancellation
    stops graphql-core waiting for it, not the query, and :class:`~gateway.extensions.UnitOfWork`
    lets every such task settle before it commits or rolls back."""

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        result = super().execute_field(*args, **kwargs)
        if not self.is_awaitable(result):
            return result
        task = asyncio.ensure_future(result)
        pending = getattr(self.context_value, "pending_fields", None)
        if isinstance(pending, set):
            pending.add(task)
            task.add_done_callback(pending.discard)
        task.add_done_callback(_retrieved)
        return asyncio.shield(task)


def _retrieved(task: asyncio.Future[Any]) -> None:
    """A shielded field whose waiter was cancelled fails unobserved: mark its error seen (the
    operation's result already carries the error that cancelled it)."""
    if not task.cancelled():
        task.exception()


class LinliSchema(strawberry.Schema):
    """strawberry logs every error with its traceback (``strawberry.execution``); here errors are
    summarised into the request's one log entry by :class:`gateway.extensions.ErrorCodes`."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        return None


def _root_fields(cls: type) -> list[Any]:
    return list(cls.__strawberry_definition__.fields)  # type: ignore[attr-defined]


def _guard(cls: type, plugin: str) -> None:
    permission = plugin_enabled(plugin)()
    for field in _root_fields(cls):
        # composed once per app: a field already guarded (by an earlier compose) keeps its one guard
        if any(isinstance(p, type) and issubclass(p, PluginEnabled) for p in field.permission_classes or ()):
            continue
        field.permission_classes = [type(permission), *(field.permission_classes or [])]
        # strawberry chains field extensions so that the LAST one runs first: append, so the
        # enablement check answers PLUGIN_DISABLED before any Allowed(...) says FORBIDDEN.
        field.extensions.append(PermissionExtension([permission], use_directives=False))


def _node_query() -> type:
    # a fresh class per schema: strawberry's relay field is bound to the schema it is built into
    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node(description="Fetch any object by its global id (Relay).")

    return NodeQuery


#: Schemas composed in this process, keyed by the contributions they were composed from (see
#: :func:`compose`); a few at most: a server composes one, the test suite a handful.
_COMPOSED: dict[tuple[Any, ...], tuple[strawberry.Schema, list[tuple[str, Any]]]] = {}
_COMPOSED_MAX = 8


def _contributions_key(host: PluginHost, contributions: list[tuple[str, Any]]) -> tuple[Any, ...] | None:
    """What a composed schema depends on: each plugin's name, whether it is core, and the very
    objects it contributed (its root classes, extra types and scalars), in plugin order."""
    key: list[Any] = []
    for plugin, c in contributions:
        if not isinstance(c, GraphQLContribution):
            return None  # compose raises the error
        scalars = tuple((id(k), id(v)) for k, v in c.scalar_map.items())
        key.append((plugin, host.plugins[plugin].manifest.core, c.query, c.mutation, c.subscription, c.types, scalars))
    return tuple(key)


def compose(host: PluginHost) -> strawberry.Schema:
    """The schema of the kernel and the host's plugins. A schema depends only on what the plugins
    contribute (``register_graphql`` takes no runtime), so a process that builds many apps from the
    same plugins (the test suite builds one per test) composes it once: strawberry's conversion
    costs ~0.2 s of CPU a schema."""
    contributions = host.graphql_contributions()
    key = _contributions_key(host, contributions)
    if key is not None and key in _COMPOSED:
        return _COMPOSED[key][0]
    schema = _compose(host, contributions)
    if key is not None:
        if len(_COMPOSED) >= _COMPOSED_MAX:
            _COMPOSED.pop(next(iter(_COMPOSED)))
        # the contributions are kept with the schema: the scalars in the key are named by id()
        _COMPOSED[key] = (schema, contributions)
    return schema


def _compose(host: PluginHost, contributions: list[tuple[str, Any]]) -> strawberry.Schema:
    roots: dict[str, list[type]] = {"query": [KernelQuery, _node_query()], "mutation": [KernelMutation], "subscription": []}
    owners: dict[tuple[str, str], str] = {("query", "node"): "kernel"}
    for field in _root_fields(KernelQuery):
        owners[("query", field.python_name)] = "kernel"
    for field in _root_fields(KernelMutation):
        owners[("mutation", field.python_name)] = "kernel"
    extra_types: list[type] = []
    scalar_map: dict[object, ScalarDefinition] = {}
    scalar_owners: dict[str, str] = {}
    for plugin, contribution in contributions:
        if not isinstance(contribution, GraphQLContribution):
            raise SchemaCollisionError(f"plugin {plugin!r}: register_graphql must return a GraphQLContribution")
        is_core = host.plugins[plugin].manifest.core
        for kind in ("query", "mutation", "subscription"):
            for cls in getattr(contribution, kind):
                for field in _root_fields(cls):
                    key = (kind, field.python_name)
                    if key in owners:
                        raise SchemaCollisionError(
                            f"GraphQL {kind} field {field.python_name!r} is defined by both "
                            f"{owners[key]!r} and {plugin!r}; rename one of them"
                        )
                    owners[key] = plugin
                if not is_core:
                    _guard(cls, plugin)
                roots[kind].append(cls)
        extra_types.extend(contribution.types)
        for python_type, scalar in contribution.scalar_map.items():
            if scalar.name in scalar_owners:
                raise SchemaCollisionError(
                    f"GraphQL scalar {scalar.name!r} is defined by both {scalar_owners[scalar.name]!r} and {plugin!r}; rename one of them"
                )
            scalar_owners[scalar.name] = plugin
            scalar_map[python_type] = scalar
    query = merge_types("Query", tuple(roots["query"]))
    mutation = merge_types("Mutation", tuple(roots["mutation"]))
    subscription = merge_types("Subscription", tuple(roots["subscription"])) if roots["subscription"] else None
    return LinliSchema(
        execution_context_class=SettledExecution,
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=extra_types,
        config=StrawberryConfig(scalar_map=scalar_map),
        # Parse and validate each distinct query text once per process (bounded LRUs shared by
        # all requests): validation was ~13% of a 50-row page (bench/graphql_vs_handwritten.py).
        # ValidationCache must come before Limits: it sets the (cached) validation errors, which
        # Limits may then replace with a depth/cost/rate error; after it, it would erase them.
        # Operation hooks end in reverse order: RecordPersonalReads writes a successful request's
        # reads before UnitOfWork commits; RecordReadsOfFailedRequests a failed one's after the
        # rollback (kernel/consent/reads.py).
        extensions=[
            partial(BoundedParser, maxsize=QUERY_CACHE_SIZE), partial(BoundedValidation, maxsize=QUERY_CACHE_SIZE),
            ErrorCodes, Limits, RecordReadsOfFailedRequests, UnitOfWork, RecordPersonalReads,
        ],
    )
