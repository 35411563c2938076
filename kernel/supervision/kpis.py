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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    String,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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
#: ``query(community_ids, since, until)``: a SELECT of the samples' five columns, in
#: :class:`KpiSample`'s order (community id, at — a UTC datetime or a local calendar date —,
#: value, weight, subject; ``literal(1.0)`` / ``null()`` where there is none). The kernel never
#: reads its rows: it aggregates them in SQL per community and bucket (:func:`sql_series`).
Query = Callable[[Sequence[uuid.UUID], datetime, datetime], Select[Any]]


@dataclass(frozen=True)
class RegulatorKpi:
    """A KPI a plugin contributes. ``key`` is ``<plugin>.<name>``; ``aggregate`` is ``ratio``
    (weighted share of 1s, shown in percent), ``mean`` or ``median`` (of ``value``, in
    ``unit``). ``personal=False`` marks a KPI about no person (e.g. fund flows): never
    suppressed.

    A KPI gives ``collect`` (raw :class:`KpiSample` rows, aggregated in Python) or ``query`` (a
    SELECT of the same columns, aggregated in SQL per community and bucket, with exact
    distinct-person counts per community, firm and street — what the street office's query
    needs to stay fast as data grows). With both, ``query`` is used."""

    key: str
    label: str
    unit: str
    aggregate: str
    collect: Collect | None = None
    personal: bool = True
    description: str = ""
    query: Query | None = None

    def __post_init__(self) -> None:
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"{self.key}: aggregate is one of {AGGREGATES}")
        if self.collect is None and self.query is None:
            raise ValueError(f"{self.key}: give collect or query")

    async def samples(self, session: AsyncSession, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
        """The raw samples (from ``collect``, else by reading ``query``'s rows): for tests and
        references; the regulator query aggregates ``query`` in SQL instead."""
        if self.query is not None:
            rows: list[Any] = list((await session.execute(self.query(community_ids, since, until))).all())
            return [KpiSample(r[0], r[1] if isinstance(r[1], datetime) else datetime.combine(r[1], time(12), UTC), float(r[2]), float(r[3]), r[4])
                    for r in rows]
        assert self.collect is not None
        return list(await self.collect(session, community_ids, since, until))


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
    firm is the sum of its communities; persons never span firms (they are tenant-scoped).
    ``persons`` counts persons known only by number: counted in SQL, or from other firms'
    cells (``merge(across=True)``: distinct counts of different firms add up)."""

    __slots__ = ("count", "total", "weights", "values", "subjects", "persons")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.weights = 0.0
        self.values: list[float] = []
        self.subjects: set[Hashable] = set()
        self.persons = 0

    def people(self) -> int:
        return len(self.subjects) + self.persons

    def add(self, s: KpiSample, median: bool, personal: bool) -> None:
        self.count += 1
        if median:
            self.values.append(s[2])
        else:
            self.total += s[2] * s[3]
            self.weights += s[3]
        if personal and s[4] is not None and len(self.subjects) < MIN_GROUP:
            self.subjects.add(s[4])

    def merge(self, other: Cell, across: bool = False) -> None:
        """Add ``other``'s samples; ``across`` when ``other`` is another firm's (its persons are
        others, counted), else of the same firm (persons united by key)."""
        self.count += other.count
        self.total += other.total
        self.weights += other.weights
        self.values += other.values
        if across:
            self.persons = min(MIN_GROUP, self.persons + other.people())
        elif len(self.subjects) < MIN_GROUP:
            self.subjects |= other.subjects

    def figure(self, kpi: RegulatorKpi) -> Figure:
        if not self.count:
            return EMPTY
        if kpi.personal and self.people() < MIN_GROUP:
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

    def merge(self, other: Series, across: bool = False) -> None:
        self.whole.merge(other.whole, across)
        for p, cell in other.points.items():
            self.points.setdefault(p, Cell()).merge(cell, across)

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


@dataclass
class FirmSeries:
    """One firm's figures for one KPI: per community, the whole firm and per street (of the
    communities read). The firm's and streets' person counts are the firm's own distinct
    persons, not sums of its communities' (one person may report in two communities)."""

    communities: dict[Any, Series]
    firm: Series
    streets: dict[str, Series]


def firm_series_from_samples(
    kpi: RegulatorKpi, samples: Iterable[KpiSample], street_of: dict[Any, str], periods: Sequence[date], bucket: str
) -> FirmSeries:
    """The Python path (``collect``): samples into cells, merged within the firm by person key."""
    communities = community_series(kpi, samples, periods, bucket)
    firm = Series(periods)
    streets = {sc: Series(periods) for sc in set(street_of.values())}
    for cid, series in communities.items():
        firm.merge(series)
        street = street_of.get(cid)
        if street is not None:
            streets[street].merge(series)
    return FirmSeries(communities, firm, streets)


def local_bucket(dialect: str, at: Any, bucket: str) -> Any:
    """SQL for the first day of ``at``'s week (Monday) or month in the street office's time zone
    (UTC+8, as :func:`bucket_start`); a ``Date`` column is already a local calendar day."""
    is_date = isinstance(at.type, Date)
    if dialect == "postgresql":
        local = at if is_date else func.timezone("Asia/Shanghai", at)
        return cast(func.date_trunc("week" if bucket == WEEK else "month", local), Date)
    shift = () if is_date else ("+8 hours",)
    step = ("weekday 0", "-6 days") if bucket == WEEK else ("start of month",)
    return func.date(at, *shift, *step)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def sql_series(
    session: AsyncSession,
    kpi: RegulatorKpi,
    community_ids: Sequence[uuid.UUID],
    street_of: dict[Any, str],
    since: datetime,
    until: datetime,
    periods: Sequence[date],
    bucket: str,
) -> FirmSeries:
    """The SQL path (``query``): one statement in the firm's session aggregates the samples per
    community and bucket (count, weighted sum, weights; for a median, each distinct value's count)
    and counts distinct persons exactly per community, firm and — when the firm's communities lie
    on several streets — street, for the whole period and per bucket. Only those rows are read."""
    assert kpi.query is not None
    dialect = session.get_bind().dialect.name
    raw = kpi.query(community_ids, since, until).subquery()
    community, at, value, weight, subject = list(raw.c)[:5]
    multi_street = len(set(street_of.values())) > 1
    street = _street_case(street_of, community) if multi_street else cast(null(), String)
    s = select(
        community.label("c"), local_bucket(dialect, at, bucket).label("b"), value.label("v"), weight.label("w"),
        subject.label("p"), street.label("s"),
    ).cte("kpi_samples")
    persons = func.count(func.distinct(s.c.p)) if kpi.personal else literal_column("0")

    types = {"c": community.type, "s": String(), "b": Date(), "v": Float(), "n": Integer(), "total": Float(), "weights": Float(), "persons": Integer()}

    def part(level: str, *group: Any, **columns: Any) -> Select[Any]:
        cols: list[Any] = [literal_column(f"'{level}'").label("level")]
        for name, type_ in types.items():  # typed NULLs: PostgreSQL matches a UNION's columns pairwise
            cols.append((columns[name] if name in columns else cast(null(), type_)).label(name))
        stmt = select(*cols)
        return stmt.group_by(*group) if group else stmt

    parts = [part("cb", s.c.c, s.c.b, c=s.c.c, b=s.c.b, n=func.count(), total=func.sum(s.c.v * s.c.w), weights=func.sum(s.c.w), persons=persons)]
    if kpi.personal:
        parts += [
            part("c", s.c.c, c=s.c.c, persons=persons),
            part("fb", s.c.b, b=s.c.b, persons=persons),
            part("f", persons=persons),
        ]
        if multi_street:
            parts += [part("sb", s.c.s, s.c.b, s=s.c.s, b=s.c.b, persons=persons), part("s", s.c.s, s=s.c.s, persons=persons)]
    if kpi.aggregate == MEDIAN:
        parts.append(part("v", s.c.c, s.c.b, s.c.v, c=s.c.c, b=s.c.b, v=s.c.v, n=func.count()))
    rows = (await session.execute(union_all(*parts))).all()

    communities: dict[Any, Series] = {}
    firm = Series(periods)
    streets = {sc: firm if not multi_street else Series(periods) for sc in set(street_of.values())}

    def street_series(sc: str) -> Series:
        found = streets.get(sc)
        if found is None:
            found = streets[sc] = Series(periods)
        return found

    def point(series: Series, b: date) -> Cell:
        cell = series.points.get(b)
        if cell is None:
            cell = series.points[b] = Cell()
        return cell

    for lvl, cid, sc, b, v, n, total, weights, persons in rows:
        if lvl == "cb":
            b = _as_date(b)
            own = communities.get(cid)
            if own is None:
                own = communities[cid] = Series(periods)
            targets = [own.whole, point(own, b), firm.whole, point(firm, b)]
            if multi_street:
                st = street_series(street_of[cid])
                targets += [st.whole, point(st, b)]
            for cell in targets:
                cell.count += n
                cell.total += float(total or 0.0)
                cell.weights += float(weights or 0.0)
            point(own, b).persons = int(persons)
        elif lvl == "v":
            b, values = _as_date(b), [float(v)] * int(n)
            own = communities[cid]
            targets = [own.whole, point(own, b), firm.whole, point(firm, b)]
            if multi_street:
                st = street_series(street_of[cid])
                targets += [st.whole, point(st, b)]
            for cell in targets:
                cell.values += values
        elif lvl == "c":
            communities.setdefault(cid, Series(periods)).whole.persons = int(persons)
        elif lvl == "fb":
            point(firm, _as_date(b)).persons = int(persons)
        elif lvl == "f":
            firm.whole.persons = int(persons)
        elif lvl == "sb":
            point(street_series(sc), _as_date(b)).persons = int(persons)
        elif lvl == "s":
            street_series(sc).whole.persons = int(persons)
    return FirmSeries(communities, firm, streets)


def _street_case(street_of: dict[Any, str], community: Any) -> Any:
    from sqlalchemy import case

    by_street: dict[str, list[Any]] = {}
    for cid, sc in street_of.items():
        by_street.setdefault(sc, []).append(cid)
    return case(*[(community.in_(ids), sc) for sc, ids in by_street.items()], else_=null())


class seconds_between(FunctionElement[float]):  # noqa: N801 — used as a SQL function
    """SQL for the seconds from ``start`` to ``end`` (two datetime columns), a float on
    PostgreSQL and SQLite alike: for a ``query`` whose value is a duration."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))::float8"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"
