"""Governance KPI for the street office: vote participation (who voted, never how)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kernel.sdk.regulator import RATIO, KpiSample, RegulatorKpi
from plugins.governance import models as m

ENDED = ("preliminary", "objection", "final", "defeated", "defeated_no_quorum", "executed")


async def participation_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    """One sample per eligible owner (person, co-owners as one) of each vote that ended in the
    period: 1 if they voted. Non-voters are counted, not named."""
    proposals = (await session.execute(
        select(m.Proposal.id, m.Proposal.community_id, m.Proposal.voting_ends_at, m.Proposal.total_persons).where(
            m.Proposal.community_id.in_(community_ids), m.Proposal.status.in_(ENDED),
            m.Proposal.voting_ends_at >= since, m.Proposal.voting_ends_at < until,
        )
    )).all()
    if not proposals:
        return []
    voted = dict((await session.execute(
        select(m.Vote.proposal_id, func.count(func.distinct(m.Vote.holder_key)))
        .where(m.Vote.proposal_id.in_([p.id for p in proposals])).group_by(m.Vote.proposal_id)
    )).all())
    out: list[KpiSample] = []
    for p in proposals:
        n = int(voted.get(p.id, 0))
        out += [KpiSample(p.community_id, p.voting_ends_at, 1.0 if i < n else 0.0, subject=f"{p.id}:{i}") for i in range(max(p.total_persons, n))]
    return out


KPIS = [
    RegulatorKpi("governance.vote_participation", "业主表决参与率", "%", RATIO, participation_samples,
                 description="Share of the eligible owners (persons) who voted, over the votes that ended in the period."),
]
