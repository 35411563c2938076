"""Reading access data: the row-level rules live here, once.

* Points, grants, credentials, the blacklist: ``access:read`` (staff) sees the firm's; a
  resident sees the points they may pass through ``myAccessPoints`` (computed, not a rule here)
  and their own credentials.
* Visitor passes: staff see every pass; anyone else the passes they host.
* Access records: staff see the firm's (filtered by community on request); a person sees their
  own passages and those of the visitors they invited — never anyone else's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select

from kernel.sdk.repository import Repository, Viewer
from plugins.access import models as m


def _staff(actor: Viewer) -> bool:
    return actor.allowed("access", "read")


class PointRepository(Repository[m.AccessPoint]):
    model = m.AccessPoint

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return self.base_statement() if _staff(actor) else self.base_statement().where(false())


class GrantRepository(Repository[m.AccessGrant]):
    model = m.AccessGrant

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return self.base_statement() if _staff(actor) else self.base_statement().where(false())


class BlacklistRepository(Repository[m.BlacklistEntry]):
    model = m.BlacklistEntry

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return self.base_statement() if _staff(actor) else self.base_statement().where(false())


class CredentialRepository(Repository[m.AccessCredential]):
    model = m.AccessCredential

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if _staff(actor):
            return stmt
        return (
            stmt.where(m.AccessCredential.account_id == actor.account_id)
            if actor.account_id
            else stmt.where(false())
        )


class PassRepository(Repository[m.VisitorPass]):
    model = m.VisitorPass

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if _staff(actor):
            return stmt
        return (
            stmt.where(m.VisitorPass.host_account_id == actor.account_id)
            if actor.account_id
            else stmt.where(false())
        )


class RecordRepository(Repository[m.AccessRecord]):
    model = m.AccessRecord

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        stmt = self.base_statement()
        if _staff(actor):
            return stmt
        if actor.account_id is None:
            return stmt.where(false())
        hosted = select(m.VisitorPass.id).where(m.VisitorPass.host_account_id == actor.account_id)
        return stmt.where(
            or_(m.AccessRecord.account_id == actor.account_id, m.AccessRecord.pass_id.in_(hosted))
        )

    def own_statement(self, actor: Viewer) -> Select[Any]:
        """Only the caller's own passages and their visitors' (staff too: "my records")."""
        stmt = self.base_statement()
        if actor.account_id is None:
            return stmt.where(false())
        hosted = select(m.VisitorPass.id).where(m.VisitorPass.host_account_id == actor.account_id)
        return stmt.where(
            or_(m.AccessRecord.account_id == actor.account_id, m.AccessRecord.pass_id.in_(hosted))
        )

    @staticmethod
    def filtered(
        stmt: Select[Any], *, community_id: uuid.UUID | None, point_id: uuid.UUID | None
    ) -> Select[Any]:
        if community_id is not None:
            stmt = stmt.where(m.AccessRecord.community_id == community_id)
        if point_id is not None:
            stmt = stmt.where(m.AccessRecord.point_id == point_id)
        return stmt
