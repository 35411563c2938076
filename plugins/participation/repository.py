"""Reading participation data: the row-level access rules live here, once.

* ``participation:read_all`` (the owners' committee, staff, auditors) sees every community's
  topics, comments and surveys;
* ``participation:read`` alone (owners, residents) sees those of the communities where one of
  their register persons owns or lives in a unit;
* anyone else sees nothing (the field's permission answers FORBIDDEN first).

Hidden comments stay readable rows; what of them is shown is decided in the types (the text
only to the committee and the author)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, select

from kernel.sdk.estate import Ownership, Person, Residency, Unit
from kernel.sdk.repository import Repository, Viewer
from plugins.participation import models as m
from plugins.participation.permissions import PLUGIN


def readable_communities(actor: Viewer) -> Select[Any] | None:
    """``None`` for readers of every community, else a select of the community ids readable."""
    if actor.allowed(PLUGIN, "read_all"):
        return None
    if not actor.allowed(PLUGIN, "read") or actor.account_id is None:
        return select(Unit.community_id).where(false())
    persons = select(Person.id).where(Person.account_id == actor.account_id)
    units = (
        select(Ownership.unit_id)
        .where(Ownership.person_id.in_(persons))
        .union(select(Residency.unit_id).where(Residency.person_id.in_(persons)))
    )
    return select(Unit.community_id).where(Unit.id.in_(units))


async def cosigned(
    session: Any, topic_ids: list[uuid.UUID], person_keys: set[str]
) -> set[uuid.UUID]:
    """The topics among ``topic_ids`` that one of ``person_keys`` has co-signed."""
    if not topic_ids or not person_keys:
        return set()
    return set(
        await session.scalars(
            select(m.TopicCoSignature.topic_id).where(
                m.TopicCoSignature.topic_id.in_(topic_ids),
                m.TopicCoSignature.person_key.in_(list(person_keys)),
            )
        )
    )


async def readable_community(session: Any, actor: Viewer, community_id: uuid.UUID) -> None:
    """NOT_FOUND unless ``actor`` may read the community's participation."""
    from kernel.sdk import NotFound

    ids = readable_communities(actor)
    if ids is not None and community_id not in set(await session.scalars(ids)):
        raise NotFound("no community with this id", field="communityId")


class TopicRepository(Repository[m.DeliberationTopic]):
    model = m.DeliberationTopic

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        ids = readable_communities(actor)
        stmt = self.base_statement()
        return stmt if ids is None else stmt.where(m.DeliberationTopic.community_id.in_(ids))

    async def listed(
        self,
        actor: Viewer,
        *,
        community_id: uuid.UUID | None = None,
        status: str | None = None,
        limit: int = 200,
    ) -> list[m.DeliberationTopic]:
        stmt = self.readable_statement(actor).order_by(
            m.DeliberationTopic.created_at.desc(), m.DeliberationTopic.id
        )
        if community_id is not None:
            stmt = stmt.where(m.DeliberationTopic.community_id == community_id)
        if status is not None:
            stmt = stmt.where(m.DeliberationTopic.status == status)
        return list(await self.session.scalars(stmt.limit(limit)))


class CommentRepository(Repository[m.TopicComment]):
    model = m.TopicComment

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        topics = (
            TopicRepository(self.session)
            .readable_statement(actor)
            .with_only_columns(m.DeliberationTopic.id)
        )
        return self.base_statement().where(m.TopicComment.topic_id.in_(topics))

    async def of_topic(self, actor: Viewer, topic_id: uuid.UUID) -> list[m.TopicComment]:
        stmt = (
            self.readable_statement(actor)
            .where(m.TopicComment.topic_id == topic_id)
            .order_by(m.TopicComment.created_at, m.TopicComment.id)
        )
        return list(await self.session.scalars(stmt.limit(1000)))


class SurveyRepository(Repository[m.Survey]):
    model = m.Survey

    async def published_of_kinds(
        self, community_ids: list[uuid.UUID], kinds: tuple[str, ...]
    ) -> list[m.Survey]:
        """The surveys of ``kinds`` of ``community_ids`` that are not drafts, oldest first — a
        street office's aggregates, read across firms through the regulator call."""
        stmt = (
            self.base_statement()
            .where(
                m.Survey.community_id.in_(community_ids),
                m.Survey.kind.in_(kinds),
                m.Survey.status != "draft",
            )
            .order_by(m.Survey.created_at)
        )
        return list(await self.session.scalars(stmt))

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        ids = readable_communities(actor)
        stmt = self.base_statement()
        if not actor.allowed(PLUGIN, "manage_surveys"):
            stmt = stmt.where(m.Survey.status != "draft")  # drafts are the organisers' own
        return stmt if ids is None else stmt.where(m.Survey.community_id.in_(ids))

    async def listed(
        self, actor: Viewer, *, community_id: uuid.UUID | None = None
    ) -> list[m.Survey]:
        stmt = self.readable_statement(actor).order_by(m.Survey.created_at.desc(), m.Survey.id)
        if community_id is not None:
            stmt = stmt.where(m.Survey.community_id == community_id)
        return list(await self.session.scalars(stmt.limit(200)))
