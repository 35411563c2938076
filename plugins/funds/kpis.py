"""Fund KPI for the street office: how soon flows of the maintenance fund are disclosed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kernel.sdk.regulator import MEDIAN, KpiSample, RegulatorKpi
from plugins.funds.models import FundEntry


async def disclosure_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    rows = await session.execute(
        select(FundEntry.community_id, FundEntry.occurred_at, FundEntry.created_at).where(
            FundEntry.community_id.in_(community_ids), FundEntry.occurred_at >= since, FundEntry.occurred_at < until,
            FundEntry.unit_id.is_(None),
        )
    )
    return [KpiSample(cid, at, max(0.0, (shown - at).total_seconds() / 86400)) for cid, at, shown in rows.all()]


KPIS = [
    RegulatorKpi("funds.disclosure_days", "维修资金公示及时性", "days", MEDIAN, disclosure_samples, personal=False,
                 description="Median days from a fund flow (community-level entry) to its disclosure on the fund pages."),
]
