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

Two checks many inputs share, for use inside validators: :func:`aware` (a time given with a time
zone) and :func:`time_window` (an end after its start, optionally after ``now``, within a longest
and above a shortest duration)::

    @field_validator("valid_until")
    @classmethod
    def _until(cls, value: datetime, info: ValidationInfo) -> datetime:
        return time_window(info.data.get("valid_from"), aware(value), longest=timedelta(days=31),
                           backwards="a pass ends after it starts", too_long="a pass lasts at most 31 days")
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kernel.errors import BadUserInput

T = TypeVar("T", bound=BaseModel)

__all__ = ["aware", "camel_case", "parse_input", "time_window"]


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


def aware(value: datetime, message: str = "give the time with a time zone", *, utc: bool = False) -> datetime:
    """``value`` if it carries a time zone (converted to UTC with ``utc=True``); ``ValueError(message)``
    for a naive time — raised in a validator, ``BAD_USER_INPUT`` naming the field."""
    if value.tzinfo is None:
        raise ValueError(message)
    return value.astimezone(UTC) if utc else value


def time_window(
    start: datetime | None,
    end: datetime,
    *,
    longest: timedelta | None = None,
    shortest: timedelta | None = None,
    now: datetime | None = None,
    backwards: str = "the end comes after the start",
    too_long: str | None = None,
    too_short: str | None = None,
    over: str = "the window would already be over",
) -> datetime:
    """``end`` checked against ``start``, in this order: at least ``shortest`` after it (``too_short``),
    after it (``backwards``), after ``now`` (``over``), at most ``longest`` after it (``too_long``);
    each failure a ``ValueError`` with that message. ``start`` None (its own validation failed, and
    pydantic reports that) checks nothing. Returns ``end``."""
    if start is None:
        return end
    if shortest is not None and end - start < shortest:
        raise ValueError(too_short or f"the window lasts at least {shortest}")
    if end <= start:
        raise ValueError(backwards)
    if now is not None and end <= now:
        raise ValueError(over)
    if longest is not None and end - start > longest:
        raise ValueError(too_long or f"the window lasts at most {longest}")
    return end
