"""The access plugin's query root; which rows a caller sees is decided in
:mod:`plugins.access.repository`."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay

from kernel.sdk import NotFound, utcnow
from kernel.sdk.graphql import Connection, decode_id, page_size, paginate
from kernel.sdk.repository import Viewer
from plugins.access import models as m
from plugins.access import service
from plugins.access.permissions import MANAGE, READ, USE, Allowed
from plugins.access.repository import (
    BlacklistRepository,
    CredentialRepository,
    GrantRepository,
    PassRepository,
    PointRepository,
    RecordRepository,
)
from plugins.access.types import (
    AccessBlacklistEntry,
    AccessCredential,
    AccessGrant,
    AccessPoint,
    AccessQrCode,
    AccessRecord,
    AccessSettings,
    VisitorPass,
)

MAX_PAGE = 200


def _community(gid: relay.GlobalID | None):  # type: ignore[no-untyped-def]
    return decode_id(gid, "Community") if gid is not None else None


@strawberry.type
class AccessQuery:
    @strawberry.field(
        permission_classes=[Allowed(READ)], description="The firm's access points by name."
    )
    async def access_points(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[AccessPoint]:
        ctx = info.context
        cid = _community(community_id)
        rows = await PointRepository(ctx.session).list_by(
            actor=Viewer.of(ctx),
            order_by=[m.AccessPoint.name],
            **({"community_id": cid} if cid else {}),
        )
        return [AccessPoint.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(USE)], description="The points the caller may pass now."
    )
    async def my_access_points(self, info: strawberry.Info) -> list[AccessPoint]:
        ctx = info.context
        if ctx.actor.account_id is None:
            return []
        rows = await service.points_of_account(ctx.session, ctx.tenant.id, ctx.actor.account_id)
        return [AccessPoint.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed(READ)])
    async def access_grants(
        self, info: strawberry.Info, community_id: relay.GlobalID | None = None
    ) -> list[AccessGrant]:
        ctx = info.context
        cid = _community(community_id)
        rows = await GrantRepository(ctx.session).list_by(
            actor=Viewer.of(ctx),
            order_by=[m.AccessGrant.created_at],
            **({"community_id": cid} if cid else {}),
        )
        return [AccessGrant.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="Cards and faces: staff see anyone's (filter by account), others their own.",
    )
    async def access_credentials(
        self, info: strawberry.Info, account_id: strawberry.ID | None = None
    ) -> list[AccessCredential]:
        ctx = info.context
        where = {}
        if account_id is not None:
            try:
                where["account_id"] = uuid.UUID(str(account_id))
            except ValueError:
                return []
        rows = await CredentialRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.AccessCredential.created_at], **where
        )
        return [AccessCredential.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="Passes, newest first (at most 200): staff see all, others the passes they host.",
    )
    async def visitor_passes(
        self, info: strawberry.Info, active_only: bool = False
    ) -> list[VisitorPass]:
        ctx = info.context
        now = utcnow()
        stmt = PassRepository(ctx.session).readable_statement(Viewer.of(ctx))
        if active_only:
            stmt = stmt.where(
                m.VisitorPass.revoked_at.is_(None),
                m.VisitorPass.valid_until > now,
                m.VisitorPass.entries_used < m.VisitorPass.max_entries,
            )
        rows = await ctx.session.scalars(
            stmt.order_by(m.VisitorPass.created_at.desc()).limit(MAX_PAGE)
        )
        return [VisitorPass.from_row(r, now) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="A pass's code again, for its host (or staff) to share; audited.",
    )
    async def visitor_pass_code(self, info: strawberry.Info, id: relay.GlobalID) -> str:
        ctx = info.context
        vp = await PassRepository(ctx.session).get_by_id(
            decode_id(id, "VisitorPass"), actor=Viewer.of(ctx)
        )
        if vp is None:
            raise NotFound("no visitor pass with this id")
        return await service.pass_code(ctx.session, ctx.runtime.vault, vp, actor=ctx.actor.label)

    @strawberry.field(
        permission_classes=[Allowed(READ, USE)],
        description="Access records, newest first: staff see the firm's, others their own and their visitors'.",
    )
    async def access_records(
        self,
        info: strawberry.Info,
        community_id: relay.GlobalID | None = None,
        point_id: relay.GlobalID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AccessRecord]:
        ctx = info.context
        stmt = RecordRepository.filtered(
            RecordRepository(ctx.session).readable_statement(Viewer.of(ctx)),
            community_id=_community(community_id),
            point_id=decode_id(point_id, "AccessPoint") if point_id is not None else None,
        )
        return await paginate(
            ctx.session,
            stmt,
            order_by=[m.AccessRecord.occurred_at, m.AccessRecord.id],
            first=page_size(first, default=50, maximum=MAX_PAGE),
            after=after,
            to_node=AccessRecord.from_row,
            descending=True,
        )

    @strawberry.field(
        permission_classes=[Allowed(USE)],
        description="The caller's own passages (and their visitors').",
    )
    async def my_access_records(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[AccessRecord]:
        ctx = info.context
        return await paginate(
            ctx.session,
            RecordRepository(ctx.session).own_statement(Viewer.of(ctx)),
            order_by=[m.AccessRecord.occurred_at, m.AccessRecord.id],
            first=page_size(first, default=50, maximum=MAX_PAGE),
            after=after,
            to_node=AccessRecord.from_row,
            descending=True,
        )

    @strawberry.field(permission_classes=[Allowed(READ)])
    async def access_blacklist(self, info: strawberry.Info) -> list[AccessBlacklistEntry]:
        ctx = info.context
        rows = await BlacklistRepository(ctx.session).list_by(
            actor=Viewer.of(ctx), order_by=[m.BlacklistEntry.created_at]
        )
        return [AccessBlacklistEntry.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed(READ, MANAGE)])
    async def access_settings(self, info: strawberry.Info) -> AccessSettings:
        from plugins.access.decisions import settings_of

        s = await settings_of(info.context.session)
        return AccessSettings(
            retention_days=s.retention_days,
            qr_step_seconds=s.qr_step_seconds,
            qr_key_version=s.qr_key_version,
        )

    @strawberry.field(
        permission_classes=[Allowed(USE)],
        description="The caller's rotating QR code: show it to a reader; fetch a new one every step.",
    )
    async def my_access_qr_code(self, info: strawberry.Info) -> AccessQrCode:
        ctx = info.context
        if ctx.actor.account_id is None:
            raise NotFound("only a person's login has a QR code")
        code, until, step = await service.issue_qr(
            ctx.runtime, ctx.session, ctx.tenant.id, ctx.actor.account_id
        )
        return AccessQrCode(code=code, valid_until=until, step_seconds=step)
