"""KPIs the street office sees: contributed by plugins, aggregated and de-identified here.

A plugin returns :class:`RegulatorKpi` definitions from ``register_regulator_kpis``. Each one's
``collect(session, community_ids, since, until)`` runs inside one firm's ordinary tenant session
(all tenancy locks on) and returns raw :class:`KpiSample` rows of the given communities; they never
leave this module. The kernel turns them into a figure for the whole period and a series of
figures per week or month, for each community, each firm and the whole jurisdiction. A group
whose samples come from fewer than :data:`MIN_GROUP` distinct persons (``subject``) is
suppressed: no value, no count, ``suppressed = True``.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

#: Groups drawn from fewer persons than this are not shown (docs/regulator.md).
MIN_GROUP = 5
#: Aggregate: the weighted share of 1s among 0/1 values, shown in percent.
RATIO = "ratio"
#: Aggregate: the weighted mean of the values, in the KPI's unit.
MEAN = "mean"
#: Aggregate: the median of the values, in the KPI's unit (weights ignored).
MEDIAN = "median"
AGGREGATES = (RATIO, MEAN, MEDIAN)
WEEK, MONTH = "week", "month"
#: Buckets are calendar weeks (Monday) and months in the street office's time zone.
TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class KpiSample:
    """One observation in one community: ``value`` (0/1 for a ratio, else a number in the KPI's
    unit) weighted by ``weight``, at ``at``; ``subject`` is an opaque key of the person it is
    about (counted for the group-size rule, never shown), ``None`` when no person is concerned."""

    community_id: uuid.UUID
    at: datetime
    value: float
    weight: float = 1.0
    subject: str | None = None


Collect = Callable[[AsyncSession, Sequence[uuid.UUID], datetime, datetime], Awaitable[Iterable[KpiSample]]]


@dataclass(frozen=True)
class RegulatorKpi:
    """A KPI a plugin contributes. ``key`` is ``<plugin>.<name>``; ``aggregate`` is ``ratio``
    (weighted share of 1s, shown in percent), ``mean`` or ``median`` (of ``value``, in
    ``unit``). ``personal=False`` marks a KPI about no person (e.g. fund flows): never
    suppressed."""

    key: str
    label: str
    unit: str
    aggregate: str
    collect: Collect
    personal: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"{self.key}: aggregate is one of {AGGREGATES}")


@dataclass(frozen=True)
class Figure:
    value: float | None
    samples: int
    suppressed: bool


def figure(kpi: RegulatorKpi, samples: Sequence[KpiSample]) -> Figure:
    """One group's figure, or a suppressed one."""
    if not samples:
        return Figure(None, 0, False)
    if kpi.personal and len({s.subject for s in samples if s.subject is not None}) < MIN_GROUP:
        return Figure(None, 0, True)
    if kpi.aggregate == MEDIAN:
        value = float(statistics.median(s.value for s in samples))
    else:
        total = sum(s.weight for s in samples)
        mean = sum(s.value * s.weight for s in samples) / total if total else 0.0
        value = mean * 100 if kpi.aggregate == RATIO else mean
    return Figure(round(value, 2), len(samples), False)


def bucket_start(at: datetime, bucket: str) -> date:
    day = at.astimezone(TIMEZONE).date()
    if bucket == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets(since: datetime, until: datetime, bucket: str) -> list[date]:
    """Every bucket the period touches, in order (empty ones included: a gap is visible)."""
    out: list[date] = []
    current = bucket_start(since, bucket)
    last = bucket_start(until - timedelta(microseconds=1), bucket)
    while current <= last:
        out.append(current)
        if bucket == WEEK:
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


@dataclass(frozen=True)
class Series:
    figure: Figure
    points: list[tuple[date, Figure]]


def series(kpi: RegulatorKpi, samples: Sequence[KpiSample], periods: Sequence[date], bucket: str) -> Series:
    by_bucket: dict[date, list[KpiSample]] = {p: [] for p in periods}
    for s in samples:
        by_bucket.setdefault(bucket_start(s.at, bucket), []).append(s)
    return Series(figure(kpi, samples), [(p, figure(kpi, by_bucket[p])) for p in periods])


def validate_kpis(contributed: Iterable[tuple[str, Any]]) -> dict[str, tuple[str, RegulatorKpi]]:
    """``{key: (plugin, kpi)}`` from the hook's results; a key outside the plugin's namespace or
    given twice is a plugin error."""
    out: dict[str, tuple[str, RegulatorKpi]] = {}
    for plugin, kpis in contributed:
        for kpi in kpis or ():
            if not isinstance(kpi, RegulatorKpi) or not kpi.key.startswith(f"{plugin}."):
                raise ValueError(f"plugin {plugin}: a regulator KPI is a RegulatorKpi keyed '{plugin}.<name>'")
            if kpi.key in out:
                raise ValueError(f"regulator KPI {kpi.key} declared twice")
            out[kpi.key] = (plugin, kpi)
    return out
