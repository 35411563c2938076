"""Which parcels an actor may read: the one place the access rule lives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select

from parcel_lockers.models import Parcel
from parcel_lockers.service import account_units


async def readable_statement(ctx: Any) -> tuple[Select[tuple[Parcel]], frozenset[Any]]:
    """Parcels the caller may read, and the units whose pickup codes the caller may see.

    Staff (``parcels:read``) read every parcel of the tenant but never a code; owners and
    residents (``parcels:read_own``) read their own units' parcels, with the codes.
    """
    units = frozenset(await account_units(ctx.session, ctx.actor.account_id if ctx.actor else None))
    if ctx.allowed("parcels", "read"):
        return select(Parcel), units
    if ctx.allowed("parcels", "read_own") and units:
        return select(Parcel).where(Parcel.unit_id.in_(units)), units
    return select(Parcel).where(false()), units
