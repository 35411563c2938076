"""The service other plugins ask about the topic behind a proposal
(``participation.topic_of_proposal``, offered through ``register_services``): the governance
plugin, or any other, can show "this proposal answers owners' topic …" without importing this
plugin — the link back of a conversion, next to the event ``participation.topic_converted``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from plugins.participation.models import DeliberationTopic

__all__ = ["TopicFacts", "topic_of_proposal"]


@dataclass(frozen=True)
class TopicFacts:
    """What another plugin may know of a converted topic (no text beyond its title, no signers)."""

    id: uuid.UUID
    community_id: uuid.UUID
    title: str
    co_signatures: int
    threshold: int
    answered_at: datetime | None


async def topic_of_proposal(session: Any, proposal_id: uuid.UUID) -> TopicFacts | None:
    """The topic of the session's tenant converted into ``proposal_id`` (``None`` when none)."""
    row = await session.scalar(
        select(DeliberationTopic).where(DeliberationTopic.proposal_id == proposal_id)
    )
    if row is None:
        return None
    return TopicFacts(
        id=row.id,
        community_id=row.community_id,
        title=row.title,
        co_signatures=row.co_signatures,
        threshold=row.threshold,
        answered_at=row.answered_at,
    )
