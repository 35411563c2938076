"""Elderly-care KPI for the street office: how fast alerts are acknowledged; a group under five
elders is suppressed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kernel.sdk.regulator import MEDIAN, KpiSample, RegulatorKpi
from plugins.care.models import CareAlert


async def ack_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    rows = await session.execute(
        select(CareAlert.community_id, CareAlert.raised_at, CareAlert.acknowledged_at, CareAlert.recipient_id).where(
            CareAlert.community_id.in_(community_ids), CareAlert.raised_at >= since, CareAlert.raised_at < until,
            CareAlert.acknowledged_at.is_not(None),
        )
    )
    return [KpiSample(cid, raised, (acked - raised).total_seconds(), subject=rid) for cid, raised, acked, rid in rows.all()]


KPIS = [
    RegulatorKpi("care.alert_ack_seconds", "养老告警确认用时", "seconds", MEDIAN, ack_samples,
                 description="Median seconds from a care alert to its acknowledgement; suppressed when fewer than five elders are concerned."),
]
