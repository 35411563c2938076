"""The gateway's execution shortcuts (``gateway.schema.SettledExecution``: scalars read straight
from their object, Relay ids, permissions decided once per query) must answer exactly as
strawberry and graphql-core do without them: the same data, the same errors at the same paths."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema import SettledExecution


class Denied(Exception):
    pass


class Color(enum.Enum):
    RED = "red"


class CountedPermission(BasePermission):
    """Depends on the request only (``per_request``): counts how often it is asked."""

    message = "not allowed"
    per_request = True

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        info.context["asked"] += 1
        if not info.context["allow"]:
            raise Denied("you lack the permission")
        return True


@strawberry.type
class Leaf:
    name: str
    maybe: str | None
    count: int
    color: Color

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field(permission_classes=[CountedPermission])
    async def secret(self, info: strawberry.Info) -> str:
        await asyncio.sleep(0)
        return f"secret of {self.name}"

    @strawberry.field(permission_classes=[CountedPermission])
    def plain_secret(self) -> str:
        return f"plain {self.name}"


@strawberry.type
class Item(relay.Node):
    id: relay.NodeID[str]
    label: str


@strawberry.type
class Query:
    @strawberry.field
    def leaves(self) -> list[Leaf | None]:
        return [
            Leaf(name="a", maybe=None, count=1, color=Color.RED),
            Leaf(name=None, maybe="m", count=2, color=Color.RED),  # type: ignore[arg-type]  # null in a non-null field
            Leaf(name="c", maybe="x", count=2**40, color=Color.RED),  # beyond GraphQL's Int
            Leaf(name="d", maybe="y", count=4, color="not a colour"),  # type: ignore[arg-type]
        ]

    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(id="1", label="one"), Item(id="2", label="two")]

    @strawberry.field
    def secrets(self) -> list[Leaf | None]:
        return [Leaf(name=n, maybe=None, count=1, color=Color.RED) for n in "xyz"]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> list[Leaf]:
        return [Leaf(name=n, maybe=None, count=1, color=Color.RED) for n in "pq"]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )
    settled = strawberry.Schema(
        query=Query, mutation=Mutation, execution_context_class=SettledExecution
    )
    return plain, settled


async def _both(query: str, allow: bool = True) -> tuple[Any, Any, dict[str, int], dict[str, int]]:
    plain, settled = _schemas()
    ctx_plain: dict[str, Any] = {"allow": allow, "asked": 0}
    ctx_settled: dict[str, Any] = {"allow": allow, "asked": 0}
    a = await plain.execute(query, context_value=ctx_plain)
    b = await settled.execute(query, context_value=ctx_settled)
    return a, b, ctx_plain, ctx_settled


def _view(result: Any) -> tuple[Any, list[tuple[str, Any]]]:
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


async def test_scalars_nulls_and_coercion_errors_answer_as_without_the_shortcut() -> None:
    a, b, _, _ = await _both("{ leaves { name maybe count color shout } }")
    assert _view(a) == _view(b)
    messages = [m for m, _ in _view(b)[1]]
    assert any("Cannot return null for non-nullable field Leaf.name" in m for m in messages), (
        messages
    )
    assert any("Int cannot represent non 32-bit signed integer" in m for m in messages), messages
    assert any("Enum 'Color' cannot represent value" in m for m in messages), messages
    assert b.data["leaves"][0] == {
        "name": "a",
        "maybe": None,
        "count": 1,
        "color": "RED",
        "shout": "A",
    }
    assert b.data["leaves"][1:] == [None, None, None]


@strawberry.type
class Holder:
    name: str = "h"

    @strawberry.field
    def value(self) -> str:
        raise Denied("the method failed")


@strawberry.type
class HolderQuery:
    @strawberry.field
    def holders(self) -> list[Holder | None]:
        return [Holder(), Holder()]


async def test_a_failing_method_is_located_at_its_field() -> None:
    plain = strawberry.Schema(query=HolderQuery)
    settled = strawberry.Schema(query=HolderQuery, execution_context_class=SettledExecution)
    a = await plain.execute("{ holders { name value } }")
    b = await settled.execute("{ holders { name value } }")
    assert _view(a) == _view(b)
    assert [e.path for e in b.errors] == [["holders", 0, "value"], ["holders", 1, "value"]]


async def test_relay_ids_are_strawberrys() -> None:
    a, b, _, _ = await _both("{ items { id label } }")
    assert not b.errors and _view(a) == _view(b)
    assert b.data["items"][0]["id"] == relay.to_base64("Item", "1")


async def test_a_query_asks_a_per_request_permission_once_with_the_same_answers() -> None:
    a, b, ctx_a, ctx_b = await _both("{ secrets { name secret plainSecret } }")
    assert not b.errors and _view(a) == _view(b)
    assert b.data["secrets"][2] == {"name": "z", "secret": "secret of z", "plainSecret": "plain z"}
    assert ctx_a["asked"] == 6  # strawberry alone: every field of every row
    assert ctx_b["asked"] == 1


async def test_a_denial_is_an_error_on_every_field_as_before() -> None:
    a, b, _, ctx_b = await _both("{ secrets { name secret } }", allow=False)
    assert _view(a) == _view(b)
    assert [e.path for e in b.errors] == [["secrets", i, "secret"] for i in range(3)]
    assert ctx_b["asked"] >= 3  # a denial is never remembered


async def test_a_mutation_asks_on_every_field() -> None:
    a, b, ctx_a, ctx_b = await _both("mutation { touch { name plainSecret } }")
    assert not b.errors and _view(a) == _view(b)
    assert ctx_a["asked"] == ctx_b["asked"] == 2
