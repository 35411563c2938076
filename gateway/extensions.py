"""Schema extensions: error codes, limits (depth, cost, rate), and the request's unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from kernel.config import Settings
from kernel.db.outage import DATABASE_UNAVAILABLE_MESSAGE, is_database_outage
from kernel.errors import LinliError
from kernel.logging import query_outline
from kernel.metrics import graphql_errors, rate_limited

log = structlog.get_logger("linli.graphql")


class ErrorCodes(MaskErrors):
    """Every error leaves with ``extensions.code``. Unexpected exceptions are masked as
    INTERNAL_SERVER_ERROR; validation and parse errors become BAD_USER_INPUT.

    Nothing is logged per error: the operation's errors are summarised (codes and counts, the
    first unexpected exception with its traceback, the query's outline without literals) into
    the request's one log entry (:class:`gateway.app.RequestIdAndLimits`)."""

    def __init__(self) -> None:
        super().__init__(error_message="internal error; it has been logged with the request id")
        self._unexpected: BaseException | None = None
        self._tenant: str | None = None

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in errors:
            original = error.original_error
            if isinstance(original, LinliError) or (error.extensions or {}).get("code"):
                pass
            elif original is not None and is_database_outage(original):
                # not a bug: PostgreSQL restarting or out of reach; the transaction died with its connection
                error = GraphQLError(DATABASE_UNAVAILABLE_MESSAGE, nodes=error.nodes, path=error.path)
                error.extensions = {"code": "DATABASE_UNAVAILABLE"}
            elif original is not None and not _is_input_error(error):
                self._unexpected = self._unexpected or original
                error = self.anonymise_error(error)
                error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
            else:
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
                document = getattr(getattr(self, "execution_context", None), "graphql_document", None)
                field = _variable_field(error.message, document)
                if field is not None and "field" not in error.extensions:
                    error.extensions["field"] = field
            graphql_errors.labels(error.extensions.get("code", "?") if error.extensions else "?").inc()
            out.append(error)
        return out

    def on_operation(self) -> Iterator[None]:
        # read now: after the unit of work commits, the tenant row is expired (no I/O here)
        tenant = getattr(self.execution_context.context, "tenant", None)
        self._tenant = tenant.slug if tenant is not None else None
        try:
            yield from super().on_operation()
        except GraphQLError as error:
            # a parse error (or a document bound) raised while parsing escapes the operation
            # before any result exists: code it in place (strawberry returns this very object)
            self._process_errors([error])
            self._summarise([error])
            raise
        result = self.execution_context.result
        self._summarise(getattr(result, "errors", None) or [])

    def _summarise(self, errors: list[GraphQLError]) -> None:
        ec = self.execution_context
        ctx = ec.context
        summary: dict[str, Any] = {"operation": ec.operation_name}
        if self._tenant is not None:
            summary["tenant"] = self._tenant
        if errors:
            summary["errors"] = dict(Counter(str((e.extensions or {}).get("code", "?")) for e in errors))
            summary["query"] = query_outline(ec.query)
        request: Any = getattr(ctx, "request", None)
        if _is_http(request):
            request.state.graphql = summary
            request.state.unexpected = self._unexpected
        else:  # a WebSocket operation has no HTTP request entry of its own
            (log.error if self._unexpected else log.info)("graphql_operation", **summary, exc_info=self._unexpected)


_VARIABLE_PATH = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ((?:\.\w+|\[\d+\])+))?:")


def _variable_field(message: str, document: DocumentNode | None) -> str | None:
    """The input field a variable's value failed at, so a bad enum word (or scalar) sent in a
    variable names its field as the resolvers' own BAD_USER_INPUT errors do: the last field of
    the path (``Variable '$i' has invalid value at .kind: …`` → ``kind``), else the argument or
    input field the variable is passed to in the document (``severity: $sev`` → ``severity``)."""
    found = _VARIABLE_PATH.match(message)
    if found is None:
        return None
    names = re.findall(r"\.(\w+)", found.group(2) or "")
    if names:
        return names[-1]
    if document is None:
        return None
    variable = found.group(1)
    bound: list[str] = []

    class _Uses(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            return self._use(node.name.value, node.value)

        def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> Any:
            return self._use(node.name.value, node.value)

        def _use(self, name: str, value: Any) -> Any:
            if isinstance(value, VariableNode) and value.name.value == variable:
                bound.append(name)
                return BREAK
            return None

    visit(document, _Uses())
    return bound[0] if bound else None


def _is_input_error(error: GraphQLError) -> bool:
    """Variable coercion failures (wrong scalar) carry an original error but no path; a global
    id that does not decode fails while the resolver's arguments are converted; an argument's
    value refused by graphql-core while the field's arguments are coerced (a null variable for a
    non-null argument that has a default) is a GraphQLError of its own, with the field's path."""
    from strawberry.relay.types import GlobalIDValueError

    if isinstance(error.original_error, (GlobalIDValueError, GraphQLError)):
        return True
    return error.path is None and isinstance(error.original_error, (GraphQLError, ValueError, TypeError))


def _int_arg(node: FieldNode, name: str, variables: dict[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != name:
            continue
        if isinstance(arg.value, IntValueNode):
            return int(arg.value.value)
        if isinstance(arg.value, VariableNode):
            v = variables.get(arg.value.name.value)
            return v if isinstance(v, int) else None
    return None


@dataclass(frozen=True)
class Shape:
    """What an operation asks for. ``depth`` and ``cost`` leave introspection out (as before);
    ``fields`` and ``aliases`` count every field as executed, fragments expanded where spread;
    ``repeats`` is the most times one response name occurs in one selection set (fragments
    merged), which is what makes validation's overlap check quadratic."""

    depth: int = 0
    cost: int = 0
    fields: int = 0
    aliases: int = 0
    repeats: int = 0

    def __add__(self, other: Shape) -> Shape:
        return Shape(
            max(self.depth, other.depth), self.cost + other.cost, self.fields + other.fields,
            self.aliases + other.aliases, max(self.repeats, other.repeats),
        )


def measure(document: Any, variables: dict[str, Any], operation_name: str | None, default_page: int) -> Shape:
    """The :class:`Shape` of the operation: cost counts every field once per item of each
    enclosing list, list size taken from ``first`` (or the default page size).

    Linear in the document: each fragment is measured once and its shape reused wherever it is
    spread (a fragment spreading the next twice, 22 deep, used to take seconds here). A cost is
    a product of list sizes, so a fragment's cost under a multiplier is the multiplier times its
    cost at 1. A fragment cycle (invalid; validation reports it) counts as empty."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        ops = [o for o in ops if o.name and o.name.value == operation_name] or ops
    memo: dict[str, tuple[Shape, Counter[str]]] = {}
    in_progress: set[str] = set()

    def fragment(name: str) -> tuple[Shape, Counter[str]]:
        found = memo.get(name)
        if found is not None:
            return found
        if name in in_progress or name not in fragments:
            return Shape(), Counter()
        in_progress.add(name)
        found = memo[name] = selections(fragments[name].selection_set)
        in_progress.discard(name)
        return found

    def selections(selection_set: Any) -> tuple[Shape, Counter[str]]:
        """The shape of a selection set and the response names it merges into its parent."""
        total, names = Shape(), Counter[str]()
        if selection_set is None:
            return total, names
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                inner = finished(sel.selection_set)
                names[(sel.alias or sel.name).value] += 1
                alias = 1 if sel.alias is not None else 0
                if sel.name.value.startswith("__"):  # introspection: counted, not priced
                    total += Shape(0, 0, 1 + inner.fields, alias + inner.aliases, inner.repeats)
                    continue
                first = _int_arg(sel, "first", variables)
                per_item = 1
                if first is not None:
                    per_item = max(first, 1)
                elif sel.selection_set is not None and _looks_like_connection(sel):
                    per_item = default_page
                total += Shape(1 + inner.depth, 1 + per_item * inner.cost, 1 + inner.fields, alias + inner.aliases, inner.repeats)
            else:
                shape, merged = selections(sel.selection_set) if isinstance(sel, InlineFragmentNode) else (
                    fragment(sel.name.value) if isinstance(sel, FragmentSpreadNode) else (Shape(), Counter[str]())
                )
                total += shape
                names.update(merged)
        return total, names

    def finished(selection_set: Any) -> Shape:
        """A field's own selection set: its merged names end here."""
        shape, names = selections(selection_set)
        return shape + Shape(repeats=max(names.values(), default=0))

    return finished(ops[0].selection_set) if ops else Shape()


def document_error(shape: Shape, settings: Any) -> GraphQLError | None:
    """A coded error if the document asks for more fields or aliases than a request may."""
    if shape.aliases > settings.max_query_aliases:
        return GraphQLError(
            f"the query uses {shape.aliases} aliases; the limit is {settings.max_query_aliases}",
            extensions={"code": "BAD_USER_INPUT", "aliases": shape.aliases},
        )
    if shape.fields > settings.max_query_fields:
        return GraphQLError(
            f"the query selects {shape.fields} fields (fragments expanded); the limit is {settings.max_query_fields}",
            extensions={"code": "BAD_USER_INPUT", "fields": shape.fields},
        )
    if shape.repeats > settings.max_query_repeats:
        return GraphQLError(
            f"the query selects one field {shape.repeats} times in one place; the limit is {settings.max_query_repeats}",
            extensions={"code": "BAD_USER_INPUT", "repeats": shape.repeats},
        )
    return None


def _looks_like_connection(node: FieldNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value in ("edges", "nodes") for s in node.selection_set.selections  # type: ignore[union-attr]
    )


def widest(document: Any) -> Shape:
    """The most any operation of the document asks for (each measure's maximum), whatever its
    variables."""
    shapes = [
        measure(document, {}, op.name.value if op.name else None, 1)
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode)
    ]
    return Shape(
        fields=max((s.fields for s in shapes), default=0),
        aliases=max((s.aliases for s in shapes), default=0),
        repeats=max((s.repeats for s in shapes), default=0),
    )


class BoundedParser(ParserCache):
    """Parses each distinct query text once (LRU, like ``ParserCache``) with a bound on its
    tokens, then refuses a document with too many fields or aliases before validation runs:
    validation's work grows with the document (pairs of same-named fields), so a document is
    bounded before anything costly looks at it. The shape is cached with the parse."""

    def __init__(self, maxsize: int | None = None) -> None:
        super().__init__(maxsize=maxsize)
        self.cached_shape = _shape_cache(maxsize, self.cached_parse_document)

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        settings = getattr(getattr(ec.context, "runtime", None), "settings", None) or Settings.model_construct()
        ec.parse_options["max_tokens"] = settings.max_query_tokens
        if ec.query and len(ec.query) > settings.max_query_tokens and tokens_at_least(ec.query, settings.max_query_tokens + 1):
            # refused by a regular expression (C speed) before graphql-core's lexer spends a few
            # milliseconds of Python per thousand tokens holding the GIL the event loop needs
            raise GraphQLError(f"Document contains more than {settings.max_query_tokens} tokens. Parsing aborted.")
        ec.graphql_document, shape = await _off_loop(ec.query, self._parse, ec.query, ec.parse_options)
        if _subscription_over_http(ec):
            # strawberry would run it like a query (and fail uncoded); the HTTP view answers this
            # with a 400 that the gateway codes BAD_USER_INPUT
            raise InvalidOperationTypeError(OperationType.SUBSCRIPTION)
        if NUL_IN_TEXT.search(ec.query or ""):
            raise _unstorable_error()
        error = document_error(shape, settings)
        if error is not None:
            raise error
        yield

    def _parse(self, query: str, options: dict[str, Any]) -> tuple[Any, Shape]:
        return self.cached_parse_document(query, **options), self.cached_shape(query, **options)


#: GraphQL's lexical tokens as graphql-core's lexer counts them (ignored: whitespace, commas,
#: comments, a byte-order mark): block strings and strings are one token each, ``...`` is one.
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\"""|\\.|"(?!""))*(?:"""|$)'
    r'|"(?:[^"\\\n]|\\.)*(?:"|$)'
    r"|#[^\n\r]*"
    r"|\.\.\.|[!$&()\:=@\[\]{}|]"
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
    r"|[_A-Za-z][_0-9A-Za-z]*"
)


def tokens_at_least(query: str, n: int) -> bool:
    """Whether ``query`` holds at least ``n`` tokens (comments do not count), by a C-speed scan."""
    if n <= 0:
        return True
    count = 0
    for m in _TOKEN.finditer(query):
        if not m.group(0).startswith("#"):
            count += 1
            if count >= n:
                return True
    return False


def _subscription_over_http(ec: Any) -> bool:
    """Subscriptions are served over WebSocket only (graphql-transport-ws, docs/graphql.md)."""
    if not _is_http(getattr(ec.context, "request", None)):
        return False
    try:
        return bool(ec.operation_type == OperationType.SUBSCRIPTION)
    except RuntimeError:  # no single operation to run: validation says so
        return False


def _is_http(request: Any) -> bool:
    """An HTTP request (not a WebSocket, nor a test's stand-in without an ASGI scope)."""
    return isinstance(getattr(request, "scope", None), dict) and request.scope.get("type") == "http"


#: Characters no string argument may carry: NUL (PostgreSQL text refuses it) and lone
#: surrogates (not encodable as UTF-8). Checked once for every request, not per resolver.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


#: A NUL in the query text, raw or as an escape in an inline literal (graphql-core's lexer
#: already refuses lone surrogates there, raw or escaped).
NUL_IN_TEXT = re.compile(r"\x00|\\u(?:0000|\{0+\})")


def unstorable(value: Any) -> bool:
    """Whether a variable value (keys of JSON objects included) carries an unstorable character."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(v) for v in value)
    return False


def _unstorable_error() -> GraphQLError:
    return GraphQLError(
        "a string argument contains a NUL character or a lone UTF-16 surrogate; send valid Unicode text",
        extensions={"code": "BAD_USER_INPUT"},
    )


class BoundedValidation(ValidationCache):
    """``ValidationCache`` whose validation of a long, not yet cached document runs in a worker
    thread: the event loop keeps answering (``/healthz``, other requests) meanwhile."""

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        ec.pre_execution_errors = await _off_loop(
            ec.query, self.cached_validate_document, ec.schema._schema, ec.graphql_document, ec.validation_rules
        )
        yield


#: Query texts up to this length are parsed and validated on the event loop (the thread hop
#: would cost more than the work); longer ones in a worker thread.
OFF_LOOP_CHARS = 2048


async def _off_loop(query: str | None, fn: Any, *args: Any) -> Any:
    if query is not None and len(query) > OFF_LOOP_CHARS:
        return await asyncio.to_thread(fn, *args)
    return fn(*args)


@functools.cache
def _shape_cache(maxsize: int | None, parse: Any) -> Any:
    """One shape cache per parse cache, keyed like it by query text (documents are not cheaply
    hashable): the shape of a text already seen costs a dictionary look-up."""
    return functools.lru_cache(maxsize=maxsize)(lambda query, **options: widest(parse(query, **options)))


class Limits(SchemaExtension):
    """Refuses too deep or too costly operations before execution and charges the tenant's
    rate budget with the operation's cost."""

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        ctx = ec.context
        settings = ctx.runtime.settings
        if ec.graphql_document is not None:
            shape = await _off_loop(ec.query, measure, ec.graphql_document, ec.variables or {}, ec.operation_name, settings.default_page_size)
            depth, cost = shape.depth, shape.cost
            ctx.query_cost = cost
            error = None
            if unstorable(ec.variables or {}):
                error = _unstorable_error()
            elif depth > settings.max_query_depth:
                error = GraphQLError(
                    f"the query is {depth} levels deep; the limit is {settings.max_query_depth}",
                    extensions={"code": "BAD_USER_INPUT", "depth": depth},
                )
            elif cost > settings.max_query_cost:
                error = GraphQLError(
                    f"the query would cost {cost}; the limit is {settings.max_query_cost}: ask for smaller pages",
                    extensions={"code": "BAD_USER_INPUT", "cost": cost},
                )
            else:
                limiter = ctx.runtime.services.get("rate_limiter")
                key = str(ctx.tenant.id) if ctx.tenant is not None else f"anon:{ctx.client_ip}"
                if limiter is not None:
                    retry = await limiter.charge(key, max(cost, 1))
                    if retry is not None:
                        rate_limited.labels("tenant" if ctx.tenant else "anonymous").inc()
                        error = GraphQLError(
                            f"rate limit reached; retry in {retry:.1f} s",
                            extensions={"code": "RATE_LIMITED", "retryAfter": round(retry, 1)},
                        )
            if error is not None:
                ec.pre_execution_errors = [error]
        yield


class UnitOfWork(SchemaExtension):
    """The request's session is one transaction: committed when the operation produced no
    error, rolled back otherwise — a failing mutation leaves nothing half-written."""

    async def on_operation(self) -> Any:  # type: ignore[override]
        started = time.perf_counter()
        ctx = self.execution_context.context
        if ctx is not None and getattr(ctx, "pending_fields", None) is None:
            with contextlib.suppress(AttributeError):
                ctx.pending_fields = set()  # see gateway.schema.SettledExecution
        yield
        result = self.execution_context.result
        session = ctx.session
        pending = getattr(ctx, "pending_fields", None)
        if pending:  # fields whose waiters were cancelled still use the session: let them end
            await asyncio.gather(*list(pending), return_exceptions=True)
        if session is None:
            return
        if result is not None and getattr(result, "errors", None):
            try:
                await session.rollback()
            except Exception:  # noqa: BLE001
                # a non-null field's error cancels its siblings mid-query; the cancellation
                # closes their connection, so there is nothing left to roll back (the server
                # dropped the transaction with it): release what the session still holds
                with contextlib.suppress(Exception):
                    await session.close()
        else:
            await session.commit()
        ctx.elapsed = time.perf_counter() - started
