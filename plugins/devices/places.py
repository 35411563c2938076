"""Where a device is: a community, building or unit of the estate (``tenants`` public models)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from kernel.sdk import NotFound, estate
from kernel.sdk.graphql import decode_id

_KINDS = {"Community": ("community", estate.Community), "Building": ("building", estate.Building), "Unit": ("unit", estate.Unit)}


async def resolve(session: AsyncSession, gid: relay.GlobalID) -> tuple[str, uuid.UUID, uuid.UUID]:
    """``(place kind, place id, community id)`` of a place in the session's tenant; NOT_FOUND
    for an unknown id or another tenant's."""
    place_id = decode_id(gid, tuple(_KINDS))
    kind, model = _KINDS[gid.type_name]
    row = await session.scalar(select(model).where(model.id == place_id))
    if row is None:
        raise NotFound(f"no such {kind}")
    community_id = row.id if kind == "community" else row.community_id
    return kind, place_id, community_id
