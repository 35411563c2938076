"""Relay global ids: ``base64("TypeName:uuid")`` via strawberry.relay."""

from __future__ import annotations

import uuid

from strawberry import relay

from kernel.errors import BadUserInput


def decode_id(gid: relay.GlobalID, expected: str | tuple[str, ...]) -> uuid.UUID:
    """The UUID inside a global id of the expected type(s); BAD_USER_INPUT otherwise."""
    names = (expected,) if isinstance(expected, str) else expected
    if gid.type_name not in names:
        raise BadUserInput(f"expected an id of {' or '.join(names)}, got one of {gid.type_name}")
    try:
        return uuid.UUID(gid.node_id)
    except ValueError as exc:
        raise BadUserInput("malformed id") from exc


def to_gid(type_name: str, value: uuid.UUID | str) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(value))
