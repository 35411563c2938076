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
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
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


class KpiSample(NamedTuple):
    """One observation in one community: ``value`` (0/1 for a ratio, else a number in the KPI's
    unit) weighted by ``weight``, at ``at`` (aware); ``subject`` is an opaque, hashable key of the
    person it is about (counted for the group-size rule, never shown), ``None`` when no person is
    concerned. A tuple: a plugin may return its query's rows as they come when the columns are in
    this order."""

    community_id: uuid.UUID
    at: datetime
    value: float
    weight: float = 1.0
    subject: Hashable | None = None


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


EMPTY = Figure(None, 0, False)
SUPPRESSED = Figure(None, 0, True)


class Cell:
    """What a group's figure needs, accumulated: counts, weighted sums (or the values, for a
    median) and the distinct persons — only up to :data:`MIN_GROUP` of them, all the rule needs
    (a union of capped sets is still right: at least five if either had five). Cells merge, so a
    firm is the sum of its communities; persons never span firms (they are tenant-scoped)."""

    __slots__ = ("count", "total", "weights", "values", "subjects")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.weights = 0.0
        self.values: list[float] = []
        self.subjects: set[Hashable] = set()

    def add(self, s: KpiSample, median: bool, personal: bool) -> None:
        self.count += 1
        if median:
            self.values.append(s[2])
        else:
            self.total += s[2] * s[3]
            self.weights += s[3]
        if personal and s[4] is not None and len(self.subjects) < MIN_GROUP:
            self.subjects.add(s[4])

    def merge(self, other: Cell) -> None:
        self.count += other.count
        self.total += other.total
        self.weights += other.weights
        self.values += other.values
        if len(self.subjects) < MIN_GROUP:
            self.subjects |= other.subjects

    def figure(self, kpi: RegulatorKpi) -> Figure:
        if not self.count:
            return EMPTY
        if kpi.personal and len(self.subjects) < MIN_GROUP:
            return SUPPRESSED
        if kpi.aggregate == MEDIAN:
            value = float(statistics.median(self.values))
        else:
            mean = self.total / self.weights if self.weights else 0.0
            value = mean * 100 if kpi.aggregate == RATIO else mean
        return Figure(round(value, 2), self.count, False)


def figure(kpi: RegulatorKpi, samples: Iterable[KpiSample]) -> Figure:
    """One group's figure, or a suppressed one."""
    cell = Cell()
    median, personal = kpi.aggregate == MEDIAN, kpi.personal
    for s in samples:
        cell.add(s, median, personal)
    return cell.figure(kpi)


_OFFSET = 8 * 3600  # Asia/Shanghai: UTC+8, no daylight saving since 1991


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


class Series:
    """A group's cells: the whole period and one per bucket."""

    __slots__ = ("whole", "points")

    def __init__(self, periods: Sequence[date]) -> None:
        self.whole = Cell()
        self.points: dict[date, Cell] = {p: Cell() for p in periods}

    def merge(self, other: Series) -> None:
        self.whole.merge(other.whole)
        for p, cell in other.points.items():
            self.points.setdefault(p, Cell()).merge(cell)

    def figures(self, kpi: RegulatorKpi) -> tuple[Figure, list[tuple[date, Figure]]]:
        return self.whole.figure(kpi), [(p, c.figure(kpi)) for p, c in sorted(self.points.items())]


def community_series(kpi: RegulatorKpi, samples: Iterable[KpiSample], periods: Sequence[date], bucket: str) -> dict[Any, Series]:
    """Samples into one :class:`Series` per community: each sample is added to its community's
    whole-period cell and to its bucket's (found once per local day). The hot loop of a
    regulator query, so :meth:`Cell.add` is inlined here."""
    out: dict[Any, Series] = {}
    day_bucket: dict[int, date] = {}
    median, personal = kpi.aggregate == MEDIAN, kpi.personal
    for community, at, value, weight, subject in samples:
        series = out.get(community)
        if series is None:
            series = out[community] = Series(periods)
        day = int(at.timestamp() + _OFFSET) // 86400
        b = day_bucket.get(day)
        if b is None:
            b = day_bucket[day] = bucket_start(at, bucket)
        point = series.points.get(b)
        if point is None:
            point = series.points[b] = Cell()
        for cell in (series.whole, point):
            cell.count += 1
            if median:
                cell.values.append(value)
            else:
                cell.total += value * weight
                cell.weights += weight
            if personal and subject is not None and len(cell.subjects) < MIN_GROUP:
                cell.subjects.add(subject)
    return out


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
