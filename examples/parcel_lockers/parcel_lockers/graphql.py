"""GraphQL: the ``parcels`` query and the ``collectParcel`` mutation.

Permissions (declared in :mod:`parcel_lockers`): ``parcels:read`` (staff: every parcel, no codes),
``parcels:read_own`` (owners and residents: their units' parcels with the pickup codes),
``parcels:collect`` (whoever holds a code: the locker opens the compartment).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from kernel.sdk.graphql import Allowed, AnyOf, Connection, paginate, requested_page_size, to_gid
from parcel_lockers import service
from parcel_lockers.models import WAITING, Parcel
from parcel_lockers.repository import readable_statement

PLUGIN = "parcel_lockers"


@strawberry.enum(description="Where a parcel is")
class ParcelStatus(Enum):
    WAITING = "waiting"
    COLLECTED = "collected"


@strawberry.type(name="LockerParcel", description="A parcel in a locker compartment (快递柜包裹)")
class ParcelNode:
    id: strawberry.ID
    locker_id: strawberry.ID = strawberry.field(description="Global id of the locker (a Device)")
    unit_id: strawberry.ID | None = strawberry.field(description="Global id of the recipient's Unit; null if unknown")
    compartment: str
    tracking_number: str
    status: ParcelStatus
    deposited_at: datetime
    collected_at: datetime | None
    reminders: int
    pickup_code: str | None = strawberry.field(
        description="The pickup code (取件码), shown only to the people of the recipient unit while the parcel waits"
    )

    @classmethod
    def from_row(cls, row: Parcel, *, code: str | None = None) -> ParcelNode:
        return cls(
            id=strawberry.ID(str(to_gid("LockerParcel", row.id))),
            locker_id=strawberry.ID(str(to_gid("Device", row.device_id))),
            unit_id=strawberry.ID(str(to_gid("Unit", row.unit_id))) if row.unit_id else None,
            compartment=row.compartment,
            tracking_number=row.tracking_number,
            status=ParcelStatus(row.status),
            deposited_at=row.deposited_at,
            collected_at=row.collected_at,
            reminders=row.reminders,
            pickup_code=code,
        )


@strawberry.type
class ParcelQuery:
    @strawberry.field(
        permission_classes=[AnyOf(("parcels", "read"), ("parcels", "read_own"), plugin=PLUGIN)],
        description="Parcels in the tenant's lockers, oldest first (staff: all; owners and residents: their units')",
    )
    async def parcels(
        self, info: strawberry.Info, waiting_only: bool = False, first: int | None = None, after: str | None = None
    ) -> Connection[ParcelNode]:
        ctx = info.context
        stmt, own_units = await readable_statement(ctx)
        if waiting_only:
            stmt = stmt.where(Parcel.status == WAITING)

        def node(row: Parcel) -> ParcelNode:
            code = None
            if row.status == WAITING and row.unit_id in own_units:
                code = ctx.runtime.vault.decrypt(ctx.tenant.id, row.code_enc)
            return ParcelNode.from_row(row, code=code)

        return await paginate(
            ctx.session,
            stmt,
            order_by=[Parcel.deposited_at, Parcel.id],
            first=requested_page_size(info, first),
            after=after,
            to_node=node,
            key_types=[datetime.fromisoformat, uuid.UUID],
        )


@strawberry.type
class ParcelMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("parcels", "collect", plugin=PLUGIN)],
        description="Pick a parcel up with its pickup code: the locker opens the compartment",
    )
    async def collect_parcel(self, info: strawberry.Info, code: str) -> ParcelNode:
        ctx = info.context
        row = await service.collect(ctx.runtime, ctx.session, ctx.tenant.id, ctx.actor.label, code)
        return ParcelNode.from_row(row)
