"""The notice plugin's query root; which notices a caller reads is decided in
:mod:`plugins.notices.repository`."""

from __future__ import annotations

import strawberry
from strawberry import relay

from kernel.sdk import utcnow
from kernel.sdk.graphql import Allowed, Connection, decode_id
from kernel.sdk.repository import Viewer
from plugins.notices import models as m
from plugins.notices import service
from plugins.notices.repository import NoticeRepository
from plugins.notices.types import (
    BuildingReadCount,
    Notice,
    NoticeReceipts,
    NoticeStatus,
    _my_places,
    _newest_first,
    _readable,
)


@strawberry.type
class NoticesQuery:
    @strawberry.field(permission_classes=[Allowed("notices", "read")], description="Every notice of the tenant, newest first.")
    async def notices(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        status: NoticeStatus | None = None, community_id: relay.GlobalID | None = None,
    ) -> Connection[Notice]:
        cid = decode_id(community_id, "Community") if community_id is not None else None
        stmt = NoticeRepository(info.context.session).filtered(status=status.value if status is not None else None, community_id=cid)
        return await _newest_first(info, stmt, first, after)

    @strawberry.field(permission_classes=[Allowed("notices", "read_own")], description="Published notices addressed to the caller's units, newest first.")
    async def my_notices(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[Notice]:
        stmt = NoticeRepository(info.context.session, await _my_places(info)).addressed_to_places()
        return await _newest_first(info, stmt, first, after)

    @strawberry.field(permission_classes=[Allowed("notices", "read_own")], description="One notice, if the caller may read it (else null).")
    async def notice(self, info: strawberry.Info, id: relay.GlobalID) -> Notice | None:
        stmt = await _readable(info)
        row = await info.context.session.scalar(stmt.where(m.Notice.id == decode_id(id, "Notice")))
        return Notice.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[Allowed("notices", "read_own")],
        description="The community's public disclosure board (公示): disclosures within their display period. "
        "Empty for a caller who neither reads all notices nor owns or lives in a unit of the community.",
    )
    async def disclosure_board(self, info: strawberry.Info, community_id: relay.GlobalID) -> list[Notice]:
        cid = decode_id(community_id, "Community")
        ctx = info.context
        if not ctx.allowed("notices", "read") and not any(p.community_id == cid for p in await _my_places(info)):
            return []
        return [Notice.from_row(r) for r in await NoticeRepository(ctx.session).on_board(cid, utcnow())]

    @strawberry.field(permission_classes=[Allowed("notices", "read")], description="Read and unread units of a notice (null if no such notice).")
    async def notice_receipts(self, info: strawberry.Info, notice_id: relay.GlobalID) -> NoticeReceipts | None:
        row = await NoticeRepository(info.context.session).get_by_id(decode_id(notice_id, "Notice"), actor=Viewer.of(info.context))
        if row is None:
            return None
        s = await service.receipt_summary(info.context.session, row)
        return NoticeReceipts(
            notice_id=strawberry.ID(str(relay.GlobalID("Notice", str(row.id)))),
            total_units=s.total_units,
            read_units=s.read_units,
            unread_units=s.unread_units,
            by_building=[
                BuildingReadCount(
                    building_id=strawberry.ID(str(relay.GlobalID("Building", str(b.building_id)))), building_name=b.building_name, read=b.read, unread=b.unread
                )
                for b in s.by_building
            ],
            _notice=row,
        )
