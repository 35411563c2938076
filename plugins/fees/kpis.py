"""Fee KPI for the street office: collection rate (fen collected of fen billed), by due date."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import Float, case, cast, select

from kernel.sdk.regulator import RATIO, KpiSample, RegulatorKpi
from plugins.fees.models import Bill


async def collection_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    rows = await session.execute(
        select(Bill.community_id, Bill.due_date, Bill.amount, Bill.paid, Bill.unit_id).where(
            Bill.community_id.in_(community_ids), Bill.due_date >= since.date(), Bill.due_date < until.date(), Bill.amount > 0,
        )
    )
    noon: dict[Any, datetime] = {}  # one datetime per due date, not per bill
    out = []
    for cid, due, amount, paid, unit in rows.all():
        at = noon.get(due)
        if at is None:
            at = noon[due] = datetime.combine(due, time(12), since.tzinfo)
        out.append(KpiSample(cid, at, min(1.0, paid / amount), float(amount), unit))
    return out


def collection_query(community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> Any:
    """The same samples as :func:`collection_samples`, as a SELECT the kernel aggregates in SQL
    (the due date is a local calendar day)."""
    rate = case((Bill.paid >= Bill.amount, 1.0), else_=cast(Bill.paid, Float) / Bill.amount)
    return select(Bill.community_id, Bill.due_date, rate, cast(Bill.amount, Float), Bill.unit_id).where(
        Bill.community_id.in_(community_ids), Bill.due_date >= since.date(), Bill.due_date < until.date(), Bill.amount > 0,
    )


KPIS = [
    RegulatorKpi("fees.collection_rate", "物业费收缴率", "%", RATIO, collection_samples, query=collection_query,
                 description="Fen paid of fen billed, over the bills due in the period (weighted by amount)."),
]
