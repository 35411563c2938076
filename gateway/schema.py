"""Composes the GraphQL schema at start-up: kernel root types plus every loaded plugin's.

A root field defined twice stops start-up with an error naming both owners (strawberry's
``merge_types`` only warns); so does a custom scalar name two plugins define. Every root field
a plugin contributes is guarded by ``PluginEnabled`` so a tenant that has not enabled the plugin gets PLUGIN_DISABLED.
"""

from __future__ import annotations

import asyncio
import operator
from functools import partial
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLNonNull, OperationType, Undefined, is_leaf_type
from graphql.execution.executor import to_nodes
from strawberry import relay
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types.field import StrawberryField

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

    def execute_field(
        self, parent_type: Any, source: Any, field_details_list: Any, path: Any, position_context: Any
    ) -> Any:
        plans = self.__dict__.get("_linli_plans")
        if plans is None:
            plans = self._plans()
        key = (parent_type, field_details_list[0].node.name.value)
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _plan(self.schema, parent_type, key[1])
        read, coerce, settle, guarded = plan
        if guarded is not None and self._granted(guarded[1], source, parent_type, field_details_list, path):
            result = self._call_guarded(guarded, parent_type, source, field_details_list, path, position_context)
            return self._settled(result) if self.is_awaitable(result) else result
        if read is not None:
            # a scalar field read straight from its object: what graphql-core and strawberry do
            # for it (resolve info, strawberry Info, arguments, extension chain, value
            # completion) reduced to reading the value and coercing it; anything unusual (an
            # error, null, an awaitable) takes the general path with the value already read
            try:
                result = read(source)
            except Exception as raw_error:  # noqa: BLE001 - as graphql-core's execute_field
                self.handle_field_error(raw_error, _field_type(self, parent_type, field_details_list), field_details_list, path)
                return None
        if read is not None and result is not _GENERAL_PATH:
            if result is not None and result is not Undefined and not isinstance(result, Exception) and not self.is_awaitable(result):
                try:
                    coerced = coerce(result)
                except Exception:  # noqa: BLE001 - completed again below, where the error is located
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
            return self._complete_read(parent_type, field_details_list, path, position_context, result)
        result = super().execute_field(parent_type, source, field_details_list, path, position_context)
        if not settle or not self.is_awaitable(result):
            # a plain attribute's completion is awaitable only through the fields below it,
            # which are settled themselves: no task of its own (half the tasks of a list page)
            return result
        return self._settled(result)

    def _plans(self) -> dict[Any, Any]:
        """This operation's field plans: the schema's, or none when a schema extension resolves
        every field (strawberry makes those graphql-core middleware)."""
        manager = self.middleware_manager
        if manager is None or getattr(manager, "_middleware_resolvers", None) is None:
            plans = getattr(self.schema, _PLANS, None)
            if plans is None:
                plans = {}
                setattr(self.schema, _PLANS, plans)
        else:
            plans = _NO_PLANS
        self.__dict__["_linli_plans"] = plans
        return plans

    def _granted(self, permissions: tuple[Any, ...], source: Any, parent_type: Any, field_details_list: Any, path: Any) -> bool:
        """Whether every permission of a guarded field grants it in this operation. A query
        decides each permission class once (they depend on the request, not on the row: a
        50-row page used to ask 50 times); a denial, a mutation or a subscription is left to
        the field's own permission extension, which raises the coded error as before."""
        granted = self.__dict__.get("_linli_granted")
        if granted is None:
            if self.operation.operation != OperationType.QUERY:
                return False
            granted = self.__dict__["_linli_granted"] = set()
        missing = [p for p in permissions if type(p) not in granted]
        if not missing:
            return True
        field_def: Any = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        info = _strawberry_info(self, field_def, self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path))
        for permission in missing:
            try:
                if permission.has_permission(source, info) is not True:
                    return False
            except Exception:  # noqa: BLE001 - the extension raises it again, coded, on the general path
                return False
            granted.add(type(permission))
        return True

    def _call_guarded(self, guarded: Any, parent_type: Any, source: Any, field_details_list: Any, path: Any, position_context: Any) -> Any:
        """graphql-core's ``execute_field`` for a field whose permissions were granted: the
        resolver called as strawberry calls it (``self``, ``info``) without the extension chain."""
        field, _permissions, info_name, wants_self = guarded
        field_def: Any = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        try:
            kwargs = {info_name: _strawberry_info(self, field_def, info)} if info_name else {}
            result = field.get_result(source, info=None, args=[source] if wants_self else [], kwargs=kwargs)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(return_type, field_details_list, info, path, result, position_context)
            completed = self.complete_value(return_type, field_details_list, info, path, result, position_context)
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core's execute_field
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return _located(self, completed, return_type, field_details_list, path)
        return completed

    def _settled(self, awaitable: Any) -> Any:
        task = asyncio.ensure_future(awaitable)
        pending = getattr(self.context_value, "pending_fields", None)
        if isinstance(pending, set):
            pending.add(task)
            task.add_done_callback(pending.discard)
        task.add_done_callback(_retrieved)
        return asyncio.shield(task)

    def _complete_read(self, parent_type: Any, field_details_list: Any, path: Any, position_context: Any, result: Any) -> Any:
        """graphql-core's ``execute_field`` after its resolver returned ``result`` (which the
        fast path of :meth:`execute_field` already read: it is not read twice)."""
        field_def: Any = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        completed: Any
        try:
            if self.is_awaitable(result):
                completed = self.complete_awaitable_value(return_type, field_details_list, info, path, result, position_context)
            else:
                completed = self.complete_value(return_type, field_details_list, info, path, result, position_context)
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core's execute_field
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._settled(completed) if self.is_awaitable(completed) else completed


async def _located(ec: Any, completed: Any, return_type: Any, field_details_list: Any, path: Any) -> Any:
    """As graphql-core's ``await_completed``: a completion's error located at its field."""
    try:
        return await completed
    except Exception as raw_error:  # noqa: BLE001
        ec.handle_field_error(raw_error, return_type, field_details_list, path)
        return None


def _strawberry_info(ec: Any, field_def: Any, info: Any) -> Any:
    strawberry_schema = ec.schema._strawberry_schema
    return strawberry_schema.config.info_class(_raw_info=info, _field=field_def.extensions["strawberry-definition"])


def _field_type(ec: Any, parent_type: Any, field_details_list: Any) -> Any:
    return ec.schema.get_field(parent_type, field_details_list[0].node.name.value).type


#: Per graphql-core schema: (parent type, field name) → its :func:`_plan`.
_PLANS = "_linli_field_plans"
_GENERAL = (None, None, True, None)


class _NoPlans(dict):  # type: ignore[type-arg]
    """Every field on the general path (a schema extension resolves each field)."""

    def get(self, key: Any, default: Any = None) -> Any:
        return _GENERAL

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


_NO_PLANS = _NoPlans()
#: Returned by a plan's ``read`` for a value it leaves to the general path.
_GENERAL_PATH = object()


def _plan(schema: Any, parent_type: Any, field_name: str) -> tuple[Any, Any, bool, Any]:
    """How :meth:`SettledExecution.execute_field` runs a field: ``(read, coerce, settle, guarded)``.

    ``read`` and ``coerce`` are set for a field of a leaf type (scalar, enum) whose value
    strawberry would read without any extension, permission, argument, ``info`` or exception
    handler: a plain attribute (strawberry's "basic field") or a synchronous method taking only
    ``self``. ``settle`` is False for a plain attribute (its resolver never awaits anything).
    ``guarded`` is set for a field without arguments whose only extensions are permission
    checks that depend on the request alone (``per_request`` permission classes), resolved by
    a method taking ``self`` and/or ``info``: ``(field, permissions, info parameter, self?)``."""
    field_def = schema.get_field(parent_type, field_name)
    if field_def is None:
        return _GENERAL
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if strawberry_schema is None or strawberry_schema.schema_converter._exception_handler_specs:
        return _GENERAL
    field = (field_def.extensions or {}).get("strawberry-definition")
    if not isinstance(field, StrawberryField) or field_def.args or field.arguments:
        return _GENERAL
    resolve = field_def.resolve
    basic = bool(getattr(resolve, "_is_default", False)) and field.is_basic_field
    inner = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
    resolver = field.base_resolver
    plain_method = (
        resolver is not None and resolver.root_parameter is None and resolver.parent_parameter is None
        and not resolver.arguments and callable(resolver.wrapped_func)
    )
    if field.extensions:
        permissions = _request_permissions(field)
        if permissions is None or not plain_method or resolver is None or field.is_subscription:
            return _GENERAL
        info = resolver.info_parameter
        return None, None, True, (field, permissions, info.name if info is not None else None, resolver.self_parameter is not None)
    if not is_leaf_type(inner):
        return None, None, not basic, None
    if basic:
        if field.default_resolver is getattr:
            return operator.attrgetter(field.python_name), inner.coerce_output_value, False, None
        return (lambda source: resolve(source, None)), inner.coerce_output_value, False, None
    relay_id = _relay_id(parent_type, resolver)
    if relay_id is not None:
        return relay_id, inner.coerce_output_value, True, None
    if plain_method and resolver is not None and not resolver.is_async and resolver.self_parameter is not None and resolver.info_parameter is None:
        return resolver.wrapped_func, inner.coerce_output_value, True, None
    return _GENERAL


def _relay_id(parent_type: Any, resolver: Any) -> Any:
    """A reader of a Relay node's ``id`` as strawberry's ``Node._id`` computes it, for a node
    class that keeps strawberry's ``resolve_id`` and ``resolve_typename`` (the type name is the
    parent type's, as ``info.path.typename``): ``GlobalID(type name, str(id attribute))``."""
    node = relay.Node
    if resolver is None or getattr(resolver, "_unbound_wrapped_func", None) is not node.__dict__["_id"].__func__:
        return None
    cls = getattr(resolver.wrapped_func, "__self__", None)
    if not isinstance(cls, type) or not issubclass(cls, node):
        return None
    if _function(cls.resolve_id) is not _function(node.resolve_id) or _function(cls.resolve_typename) is not _function(node.resolve_typename):
        return None
    attribute, type_name = cls.resolve_id_attr(), parent_type.name

    def read(source: Any) -> Any:
        if type(source) is not cls:
            return _GENERAL_PATH
        value = getattr(source, attribute)
        if value is None or (not isinstance(value, str) and isawaitable(value)):
            return _GENERAL_PATH
        return relay.GlobalID(type_name=type_name, node_id=str(value))

    return read


def _function(method: Any) -> Any:
    return getattr(method, "__func__", None)


def _request_permissions(field: StrawberryField) -> tuple[Any, ...] | None:
    """The permissions of a field whose extensions are only strawberry permission checks
    (raising, not failing silently) by classes marked ``per_request``; else None."""
    permissions: list[Any] = []
    for extension in field.extensions:
        if type(extension) is not PermissionExtension or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if not getattr(permission, "per_request", False):
                return None
            permissions.append(permission)
    return tuple(permissions)


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
