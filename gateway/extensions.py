"""Schema extensions: error codes, limits (depth, cost, rate), and the request's unit of work."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    VariableNode,
)
from strawberry.extensions import MaskErrors, SchemaExtension

from kernel.errors import LinliError
from kernel.metrics import graphql_errors, rate_limited

log = structlog.get_logger("linli.graphql")


class ErrorCodes(MaskErrors):
    """Every error leaves with ``extensions.code``. Unexpected exceptions are logged and masked
    as INTERNAL_SERVER_ERROR; validation and parse errors become BAD_USER_INPUT."""

    def __init__(self) -> None:
        super().__init__(error_message="internal error; it has been logged with the request id")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in errors:
            original = error.original_error
            if isinstance(original, LinliError) or (error.extensions or {}).get("code"):
                pass
            elif original is not None and not _is_input_error(error):
                log.error("resolver_failed", path=error.path, exc_info=original)
                error = self.anonymise_error(error)
                error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
            else:
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            graphql_errors.labels(error.extensions.get("code", "?") if error.extensions else "?").inc()
            out.append(error)
        return out

    def on_operation(self) -> Iterator[None]:
        try:
            yield from super().on_operation()
        except GraphQLError as error:
            # a parse error raised by ParserCache escapes the operation before any result exists:
            # code it in place (strawberry returns this very error object)
            self._process_errors([error])
            raise


def _is_input_error(error: GraphQLError) -> bool:
    """Variable coercion failures (wrong scalar) carry an original error but no path; a global
    id that does not decode fails while the resolver's arguments are converted."""
    from strawberry.relay.types import GlobalIDValueError

    if isinstance(error.original_error, GlobalIDValueError):
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


def measure(document: Any, variables: dict[str, Any], operation_name: str | None, default_page: int) -> tuple[int, int]:
    """(depth, cost) of the operation: cost counts every field once per item of each enclosing
    list, list size taken from ``first`` (or the default page size)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        ops = [o for o in ops if o.name and o.name.value == operation_name] or ops
    max_depth = 0
    total = 0

    def walk(selection_set: Any, depth: int, multiplier: int, seen: frozenset[str]) -> None:
        nonlocal max_depth, total
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if sel.name.value.startswith("__"):
                    continue
                d = depth + 1
                max_depth = max(max_depth, d)
                total += multiplier
                first = _int_arg(sel, "first", variables)
                inner = multiplier
                if first is not None:
                    inner = multiplier * max(first, 1)
                elif sel.selection_set is not None and _looks_like_connection(sel):
                    inner = multiplier * default_page
                walk(sel.selection_set, d, inner, seen)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, depth, multiplier, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in seen or name not in fragments:
                    continue
                walk(fragments[name].selection_set, depth, multiplier, seen | {name})

    for op in ops[:1]:
        walk(op.selection_set, 0, 1, frozenset())
    return max_depth, total


def _looks_like_connection(node: FieldNode) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value in ("edges", "nodes") for s in node.selection_set.selections  # type: ignore[union-attr]
    )


class Limits(SchemaExtension):
    """Refuses too deep or too costly operations before execution and charges the tenant's
    rate budget with the operation's cost."""

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        ctx = ec.context
        settings = ctx.runtime.settings
        if ec.graphql_document is not None:
            depth, cost = measure(ec.graphql_document, ec.variables or {}, ec.operation_name, settings.default_page_size)
            ctx.query_cost = cost
            error = None
            if depth > settings.max_query_depth:
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
        yield
        ctx = self.execution_context.context
        result = self.execution_context.result
        session = ctx.session
        if session is None:
            return
        if result is not None and getattr(result, "errors", None):
            await session.rollback()
        else:
            await session.commit()
        ctx.elapsed = time.perf_counter() - started
