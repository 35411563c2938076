"""Work-order KPIs for the street office: closure rate and handling time (see docs/regulator.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kernel.sdk.regulator import MEDIAN, RATIO, KpiSample, RegulatorKpi
from plugins.workorders.models import WorkOrder

DONE = ("resolved", "closed")


def _subject(w: Any) -> str:
    """The reporter (or the unit) the order is about; a device's order concerns nobody but itself."""
    return str(w.reporter_account_id or w.unit_id or w.id)


async def _orders(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[Any]:
    cols = (WorkOrder.id, WorkOrder.community_id, WorkOrder.created_at, WorkOrder.resolved_at, WorkOrder.status, WorkOrder.reporter_account_id, WorkOrder.unit_id)
    stmt = select(*cols).where(
        WorkOrder.community_id.in_(community_ids), WorkOrder.created_at >= since, WorkOrder.created_at < until, WorkOrder.status != "cancelled"
    )
    return list((await session.execute(stmt)).all())


async def closure_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    return [
        KpiSample(w.community_id, w.created_at, 1.0 if w.status in DONE else 0.0, subject=_subject(w))
        for w in await _orders(session, community_ids, since, until)
    ]


async def handling_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    return [
        KpiSample(w.community_id, w.created_at, (w.resolved_at - w.created_at).total_seconds() / 3600, subject=_subject(w))
        for w in await _orders(session, community_ids, since, until)
        if w.resolved_at is not None
    ]


KPIS = [
    RegulatorKpi("workorders.closure_rate", "工单办结率", "%", RATIO, closure_samples,
                 description="Share of the work orders reported in the period (not cancelled) that are resolved or closed."),
    RegulatorKpi("workorders.handling_hours", "工单处理用时", "hours", MEDIAN, handling_samples,
                 description="Median hours from report to resolution of the work orders reported in the period."),
]
