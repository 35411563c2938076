"""Relay global ids: ``base64("TypeName:uuid")`` via strawberry.relay."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from strawberry import relay

from kernel.errors import BadUserInput, Forbidden


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


async def load_nodes(
    info: Any,
    model: Any,
    to_node: Callable[[Any], Any],
    node_ids: Iterable[str],
    *,
    permission: tuple[str, str],
    plugin: str | None = None,
) -> list[Any]:
    """``resolve_nodes`` for a Relay type backed by ``model``: checks the plugin is enabled and the
    caller holds ``permission``, loads every id in one tenant-scoped query, and answers None for
    ids that are malformed, missing or another tenant's."""
    ctx = info.context
    if plugin is not None:
        ctx.require_plugin(plugin)
    else:
        ctx.require_tenant()
    obj, act = permission
    if not ctx.allowed(obj, act):
        raise Forbidden(f"you lack the permission {obj}:{act}")
    ids: list[uuid.UUID | None] = []
    for n in node_ids:
        try:
            ids.append(uuid.UUID(n))
        except ValueError:
            ids.append(None)
    wanted = [i for i in ids if i is not None]
    found = {r.id: r for r in await ctx.session.scalars(select(model).where(model.id.in_(wanted)))} if wanted else {}
    return [to_node(found[i]) if i in found else None for i in ids]
