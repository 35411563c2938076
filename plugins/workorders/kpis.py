"""Work-order KPIs for the street office: closure rate and handling time (see docs/regulator.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select

from kernel.sdk.regulator import MEDIAN, RATIO, KpiSample, RegulatorKpi, seconds_between
from plugins.workorders.models import WorkOrder

DONE = ("resolved", "closed")


async def _orders(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[Any]:
    """(community, reported, resolved, done, person) of the period's orders; both KPIs of one
    regulator query share one read (kept in the session). The person is the reporter, else the
    unit; a device's order concerns nobody but itself."""
    key = ("workorders.kpi_orders", tuple(community_ids), since, until)
    cached = session.info.get(key)
    if cached is None:
        person = func.coalesce(WorkOrder.reporter_account_id, WorkOrder.unit_id, WorkOrder.id)
        stmt = select(WorkOrder.community_id, WorkOrder.created_at, WorkOrder.resolved_at, WorkOrder.status.in_(DONE), person).where(
            WorkOrder.community_id.in_(community_ids), WorkOrder.created_at >= since, WorkOrder.created_at < until, WorkOrder.status != "cancelled"
        )
        cached = session.info[key] = list((await session.execute(stmt)).all())
    return cached


async def closure_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    return [
        KpiSample(cid, created, 1.0 if done else 0.0, 1.0, who)
        for cid, created, _, done, who in await _orders(session, community_ids, since, until)
    ]


async def handling_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    return [
        KpiSample(cid, created, (resolved - created).total_seconds() / 3600, 1.0, who)
        for cid, created, resolved, _, who in await _orders(session, community_ids, since, until)
        if resolved is not None
    ]


def _order_query(community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> Any:
    return WorkOrder.community_id.in_(community_ids), WorkOrder.created_at >= since, WorkOrder.created_at < until, WorkOrder.status != "cancelled"


def closure_query(community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> Any:
    """:func:`closure_samples` as a SELECT the kernel aggregates in SQL."""
    done = case((WorkOrder.status.in_(DONE), 1.0), else_=0.0)
    return select(WorkOrder.community_id, WorkOrder.created_at, done, literal(1.0), _person()).where(*_order_query(community_ids, since, until))


def handling_query(community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> Any:
    """:func:`handling_samples` as a SELECT the kernel aggregates in SQL."""
    hours = seconds_between(WorkOrder.created_at, WorkOrder.resolved_at) / 3600.0
    return select(WorkOrder.community_id, WorkOrder.created_at, hours, literal(1.0), _person()).where(
        *_order_query(community_ids, since, until), WorkOrder.resolved_at.is_not(None)
    )


def _person() -> Any:
    return func.coalesce(WorkOrder.reporter_account_id, WorkOrder.unit_id, WorkOrder.id)


KPIS = [
    RegulatorKpi("workorders.closure_rate", "工单办结率", "%", RATIO, closure_samples, query=closure_query,
                 description="Share of the work orders reported in the period (not cancelled) that are resolved or closed."),
    RegulatorKpi("workorders.handling_hours", "工单处理用时", "hours", MEDIAN, handling_samples, query=handling_query,
                 description="Median hours from report to resolution of the work orders reported in the period."),
]
