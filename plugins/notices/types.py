"""The notice plugin's GraphQL types: enums, ``Notice``, read receipts, the input of
``createNotice``; the per-request loaders of the caller's units and read receipts, and which
notices a caller may read (through :class:`plugins.notices.repository.NoticeRepository`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import Select
from strawberry import relay
from strawberry.dataloader import DataLoader

from kernel.sdk import Forbidden
from kernel.sdk.estate import Unit
from kernel.sdk.graphql import Connection, paginate, requested_page_size
from kernel.sdk.repository import Viewer
from plugins.notices import models as m
from plugins.notices import service
from plugins.notices.repository import NoticeRepository, ReceiptRepository

PLUGIN = "notices"


@strawberry.enum(description="通知类别")
class NoticeCategory(Enum):
    GENERAL = "general"
    MAINTENANCE = "maintenance"
    FEE = "fee"
    SAFETY = "safety"
    OUTAGE = "outage"
    GOVERNANCE = "governance"
    EVENT = "event"


@strawberry.enum
class NoticeScope(Enum):
    COMMUNITY = "community"
    BUILDING = "building"
    UNIT = "unit"


@strawberry.enum
class NoticeStatus(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


_SCOPE_TYPES = {"Community": "community", "Building": "building", "Unit": "unit"}


_first = requested_page_size


async def _my_places(info: strawberry.Info) -> list[service.Place]:
    """The caller's units, loaded once per request."""
    ctx = info.context

    def factory() -> DataLoader[uuid.UUID | None, list[service.Place]]:
        async def load(keys: list[uuid.UUID | None]) -> list[list[service.Place]]:
            return [await service.places_of_account(ctx.session, k) for k in keys]

        return DataLoader(load_fn=load)

    return await ctx.loader("notices.places", factory).load(ctx.actor.account_id if ctx.actor else None)


def _read_loader(info: strawberry.Info, places: list[service.Place]) -> DataLoader[uuid.UUID, bool]:
    """Whether the caller's units have read each notice: one query for a whole list."""

    def factory() -> DataLoader[uuid.UUID, bool]:
        async def load(notice_ids: list[uuid.UUID]) -> list[bool]:
            read = await ReceiptRepository(info.context.session, places).read_by_places(notice_ids)
            return [n in read for n in notice_ids]

        return DataLoader(load_fn=load)

    return info.context.loader("notices.read_by_me", factory)  # type: ignore[no-any-return]


@strawberry.type(description="通知公告: a notice addressed to a community, a building or a unit.")
class Notice(relay.Node):
    id: relay.NodeID[str]
    scope: NoticeScope
    target_id: strawberry.ID = strawberry.field(description="Global id of the Community, Building or Unit addressed")
    community_id: strawberry.ID
    category: NoticeCategory
    title: str
    body: str
    status: NoticeStatus
    public_disclosure: bool = strawberry.field(description="Shown on the community's disclosure board (公示)")
    display_days: int | None
    published_at: datetime | None
    display_until: datetime | None = strawberry.field(description="End of the disclosure period (aware UTC)")
    withdrawn_at: datetime | None
    created_at: datetime

    @strawberry.field(description="Whether one of the caller's units has a read receipt for this notice")
    async def read_by_me(self, info: strawberry.Info) -> bool:
        places = await _my_places(info)
        return await _read_loader(info, places).load(uuid.UUID(self.id))

    @classmethod
    def from_row(cls, row: m.Notice) -> Notice:
        target = {"community": ("Community", row.community_id), "building": ("Building", row.building_id), "unit": ("Unit", row.unit_id)}[row.scope]
        return cls(
            id=str(row.id),
            scope=NoticeScope(row.scope),
            target_id=strawberry.ID(str(relay.GlobalID(target[0], str(target[1])))),
            community_id=strawberry.ID(str(relay.GlobalID("Community", str(row.community_id)))),
            category=NoticeCategory(row.category),
            title=row.title,
            body=row.body,
            status=NoticeStatus(row.status),
            public_disclosure=row.public_disclosure,
            display_days=row.display_days,
            published_at=row.published_at,
            display_until=row.display_until,
            withdrawn_at=row.withdrawn_at,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        # ``node(id:)`` is a kernel field: the plugin guard the composer adds to our root fields
        # does not cover it, so check enablement here.
        ctx = info.context
        ctx.require_plugin(PLUGIN)
        stmt = await _readable(info)
        ids = []
        for n in node_ids:
            try:
                ids.append(uuid.UUID(n))
            except ValueError:
                ids.append(None)
        found = {r.id: r for r in await ctx.session.scalars(stmt.where(m.Notice.id.in_([i for i in ids if i])))}
        return [cls.from_row(found[i]) if i in found else None for i in ids]


async def _readable(info: strawberry.Info) -> Select[tuple[m.Notice]]:
    """Notices the caller may read: all (``notices:read``) or those addressed to their units."""
    ctx = info.context
    if ctx.allowed("notices", "read"):
        return NoticeRepository(ctx.session).readable_statement(Viewer.of(ctx))
    if ctx.allowed("notices", "read_own"):
        return NoticeRepository(ctx.session, await _my_places(info)).readable_statement(Viewer.of(ctx))
    raise Forbidden("you lack the permission notices:read_own", permission="notices:read_own")


async def _newest_first(info: strawberry.Info, stmt: Select[tuple[m.Notice]], first: int | None, after: str | None) -> Connection[Notice]:
    """Keyset pagination, newest first, on ``(created_at, id)``."""
    return await paginate(
        info.context.session, stmt, order_by=[m.Notice.created_at, m.Notice.id], first=_first(info, first),
        after=after, to_node=Notice.from_row, key_types=[datetime.fromisoformat, uuid.UUID], descending=True,
    )


@strawberry.type
class UnitRef:
    id: strawberry.ID = strawberry.field(description="Global id of the Unit")
    number: str
    building_id: strawberry.ID

    @classmethod
    def from_row(cls, row: Unit) -> UnitRef:
        return cls(
            id=strawberry.ID(str(relay.GlobalID("Unit", str(row.id)))),
            number=row.number,
            building_id=strawberry.ID(str(relay.GlobalID("Building", str(row.building_id)))),
        )


@strawberry.type
class BuildingReadCount:
    building_id: strawberry.ID
    building_name: str
    read: int
    unread: int


@strawberry.type(description="Read receipts of a notice, counted per unit (one receipt per unit)")
class NoticeReceipts:
    notice_id: strawberry.ID
    total_units: int
    read_units: int
    unread_units: int
    by_building: list[BuildingReadCount]
    _notice: strawberry.Private[m.Notice]

    @strawberry.field(description="Units of the audience with no receipt yet, by building and number")
    async def units_not_read(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[UnitRef]:
        stmt = NoticeRepository(info.context.session).units_not_read(self._notice)
        return await paginate(
            info.context.session, stmt, order_by=[Unit.building_id, Unit.number_key, Unit.number], first=_first(info, first), after=after,
            to_node=UnitRef.from_row, key_types=[uuid.UUID, str, str],
        )


@strawberry.input
class NoticeInput:
    target_id: relay.GlobalID = strawberry.field(description="A Community, Building or Unit id: the audience")
    title: str
    body: str
    category: NoticeCategory = NoticeCategory.GENERAL
    public_disclosure: bool = False
    display_days: int | None = strawberry.field(default=None, description="Disclosure period in days (default 7)")
