"""The inspection plugin's query root; which rows a caller sees is decided in
:mod:`plugins.inspections.repository`."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk.graphql import decode_id
from kernel.sdk.repository import Viewer
from plugins.inspections.permissions import Allowed
from plugins.inspections.repository import RoundRepository, RouteRepository
from plugins.inspections.types import InspectionRound, InspectionRoute
from plugins.inspections.vocabulary import InspectionRoundStatus


@strawberry.type
class InspectionQuery:
    @strawberry.field(permission_classes=[Allowed("inspections", "read")])
    async def inspection_routes(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[InspectionRoute]:
        ctx = info.context
        cid = decode_id(community_id, "Community") if community_id is not None else None
        rows = await RouteRepository(ctx.session).listed(Viewer.of(ctx), community_id=cid)
        return [InspectionRoute.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed("inspections", "read")],
        description="Rounds, newest first (at most 100).",
    )
    async def inspection_rounds(
        self,
        info: strawberry.Info,
        route_id: relay.GlobalID | None = None,
        status: InspectionRoundStatus | None = None,
    ) -> list[InspectionRound]:
        ctx = info.context
        rid = decode_id(route_id, "InspectionRoute") if route_id is not None else None
        rows = await RoundRepository(ctx.session).newest(
            Viewer.of(ctx), route_id=rid, status=status.value if status is not None else None
        )
        return [InspectionRound.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed("inspections", "read")])
    async def inspection_round(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> InspectionRound | None:
        ctx = info.context
        row = await RoundRepository(ctx.session).get_by_id(
            decode_id(id, "InspectionRound"), actor=Viewer.of(ctx)
        )
        return InspectionRound.from_row(row) if row else None
