"""Validating a mutation's input with pydantic, errors as ``BAD_USER_INPUT`` naming the field.

A plugin describes an input as a pydantic model (types, bounds, normalisation such as stripping,
cross-field rules) and parses it before it writes anything::

    class NewParcel(BaseModel):
        locker_id: uuid.UUID
        size: Literal["S", "M", "L"]
        note: str = Field("", max_length=200)

    spec = parse_input(NewParcel, locker_id=lid, size=size, note=note)

The first error becomes :class:`~kernel.sdk.errors.BadUserInput` with ``field`` set to the
GraphQL (camelCase) name of the offending field — ``extensions: {code: "BAD_USER_INPUT",
field: "lockerId"}`` — and the validator's own message (a ``ValueError("...")`` raised in a
validator is shown as written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kernel.errors import BadUserInput

T = TypeVar("T", bound=BaseModel)

__all__ = ["camel_case", "parse_input"]


def camel_case(name: str) -> str:
    """``voting_ends_at`` → ``votingEndsAt`` (the name GraphQL clients see)."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def parse_input(model: type[T], data: Mapping[str, Any] | None = None, /, **fields: Any) -> T:
    """``model`` validated from ``data`` (or keyword ``fields``); BAD_USER_INPUT on the first error."""
    try:
        return model.model_validate(dict(data) if data is not None else fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if isinstance(p, str)]
        field = camel_case(loc[0]) if loc else None
        message = str(first.get("msg", "invalid input")).removeprefix("Value error, ")
        if first.get("type") != "value_error" and field:
            message = f"{field}: {message}"
        raise BadUserInput(message, field=field) from None
