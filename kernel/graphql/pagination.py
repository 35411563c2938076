"""Relay cursor connections with keyset pagination over SQLAlchemy selects.

Cursors are opaque (base64 of the sort key). ``first`` is capped by ``LINLI_MAX_PAGE_SIZE``; a
request over the cap is a BAD_USER_INPUT error, not a silent truncation. ``totalCount`` counts
every item the connection's query matches (over all pages, as the caller may see them: the same
statement, in the request's tenant-scoped session), only when a client asks for it.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, select, tuple_

from kernel.errors import BadUserInput

T = TypeVar("T")
N = TypeVar("N")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    #: a known total, or (session, statement) to count when ``totalCount`` is asked for
    known_total: strawberry.Private[int | None] = None
    count_query: strawberry.Private[Any] = None

    @strawberry.field(description="How many items match over every page (counted when asked; null if unknown)")
    async def total_count(self) -> int | None:
        if self.known_total is None and self.count_query is not None:
            session, stmt = self.count_query
            counted = select(func.count()).select_from(stmt.order_by(None).subquery())
            self.known_total = int(await session.scalar(counted) or 0)
        return self.known_total

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def decode_cursor(cursor: str, n: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != n:
            raise ValueError
        return [str(v) for v in values]
    except Exception as exc:
        raise BadUserInput("the cursor is not valid; use a cursor from a previous page") from exc


def page_size(first: int | None, *, default: int, maximum: int) -> int:
    if first is None:
        return default
    if first < 1 or first > maximum:
        raise BadUserInput(f"`first` must be between 1 and {maximum}", argument="first")
    return first


async def paginate(
    session: Any,
    stmt: Select[Any],
    *,
    order_by: Sequence[Any],
    first: int,
    after: str | None,
    to_node: Callable[[Any], Any],
    key_types: Sequence[Callable[[str], Any]] | None = None,
    descending: bool = False,
) -> Connection[Any]:
    """Run ``stmt`` ordered by the columns ``order_by`` (together unique) after the cursor:
    ascending, or with ``descending=True`` newest/largest first (every column descending).

    ``key_types`` turn the cursor's strings back into the columns' types (``uuid.UUID``,
    ``datetime.fromisoformat``, ...). ``to_node`` may be async; it is awaited row by row.
    """
    whole = stmt
    if after:
        raw = decode_cursor(after, len(order_by))
        casts = key_types or [str] * len(order_by)
        try:
            values = [cast(v) for cast, v in zip(casts, raw, strict=True)]
        except (ValueError, TypeError) as exc:
            raise BadUserInput("the cursor is not valid; use a cursor from a previous page") from exc
        key = tuple_(*order_by) if len(order_by) > 1 else order_by[0]
        bound = tuple_(*values) if len(order_by) > 1 else values[0]
        stmt = stmt.where(key < bound if descending else key > bound)
    ordering = [col.desc() for col in order_by] if descending else list(order_by)
    rows = (await session.scalars(stmt.order_by(*ordering).limit(first + 1))).all()
    more = len(rows) > first
    rows = rows[:first]
    edges = []
    for row in rows:
        key_values = [getattr(row, col.key) for col in order_by]
        node = to_node(row)
        if inspect.isawaitable(node):
            node = await node
        edges.append(Edge(cursor=encode_cursor(key_values), node=node))
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        # a first page that is the whole list knows its total; otherwise count when asked
        known_total=len(edges) if not after and not more else None,
        count_query=(session, whole),
    )


def requested_page_size(info: Any, first: int | None) -> int:
    """``first`` checked against the gateway's page-size settings (default when omitted)."""
    s = info.context.runtime.settings
    return page_size(first, default=s.default_page_size, maximum=s.max_page_size)
