"""Sample readers the SDK offers to KPI contributors for data the kernel itself holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.notifications.models import EscalationRecord
from kernel.supervision.kpis import KpiSample


async def acknowledgement_samples(
    session: AsyncSession, *, source: str, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime
) -> list[KpiSample]:
    """Seconds from opening to acknowledgement of ``source``'s escalations opened in the period in
    those communities (unacknowledged ones are left out); ``subject`` is the escalation's
    ``subject_id`` — a plugin whose alerts concern persons maps it to the person."""
    rows = await session.execute(
        select(EscalationRecord.community_id, EscalationRecord.opened_at, EscalationRecord.acknowledged_at, EscalationRecord.subject_id).where(
            EscalationRecord.source == source,
            EscalationRecord.community_id.in_(community_ids),
            EscalationRecord.opened_at >= since,
            EscalationRecord.opened_at < until,
            EscalationRecord.acknowledged_at.is_not(None),
        )
    )
    return [
        KpiSample(community_id=cid, at=opened, value=(acked - opened).total_seconds() if acked else 0.0, subject=subject)
        for cid, opened, acked, subject in rows.all()
        if cid is not None
    ]
