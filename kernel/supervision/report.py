"""``regulatorKpis``: visit each firm of the jurisdiction, collect the plugins' samples, aggregate.

Nothing but aggregates leaves this module; every firm whose communities were read gets an entry
``regulator.read_kpis`` in its audit log. A street, firm or community outside the regulator's
jurisdiction answers NOT_FOUND, exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from kernel.errors import BadUserInput, NotFound
from kernel.plugins.enablement import enabled_plugins
from kernel.regulator import read_across_tenants
from kernel.supervision.jurisdictions import Scope, scope_of, street_names
from kernel.supervision.kpis import (
    MONTH,
    WEEK,
    Figure,
    FirmSeries,
    RegulatorKpi,
    Series,
    buckets,
    firm_series_from_samples,
    sql_series,
)
from kernel.supervision.models import DISTRICT

MAX_DAYS = 366
DEFAULT_DAYS = 90
COMMUNITY, FIRM, STREET, JURISDICTION = "community", "firm", "street", "jurisdiction"


@dataclass(frozen=True)
class Place:
    firm_slug: str
    firm: str
    community_id: uuid.UUID
    community: str
    street: str


@dataclass
class _Visit:
    places: list[Place]
    #: per KPI key (of the plugins the firm enabled): per community, the firm and per street
    series: dict[str, FirmSeries]


@dataclass(frozen=True)
class Group:
    level: str
    figure: Figure
    points: list[tuple[date, Figure]]
    street: str | None = None
    street_name: str | None = None
    firm_slug: str | None = None
    firm: str | None = None
    community_id: uuid.UUID | None = None
    community: str | None = None


def _group(kpi: RegulatorKpi, level: str, series: Series, **where: Any) -> Group:
    whole, points = series.figures(kpi)
    return Group(level, whole, points, **where)


@dataclass
class KpiReport:
    key: str
    kpi: RegulatorKpi
    plugin: str
    groups: list[Group] = field(default_factory=list)


@dataclass
class Report:
    scope: Scope
    since: datetime
    until: datetime
    bucket: str
    periods: list[date]
    kpis: list[KpiReport]


def period(since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    until = until or now
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if since.tzinfo is None or until.tzinfo is None:
        raise BadUserInput("give times with a time zone", field="since")
    if not since < until or until - since > timedelta(days=MAX_DAYS):
        raise BadUserInput(f"the period is up to {MAX_DAYS} days, since before until", field="since")
    return since, until


async def kpi_report(
    runtime: Any,
    *,
    regulator: str,
    code: str,
    since: datetime,
    until: datetime,
    bucket: str = MONTH,
    street: str | None = None,
    firm: str | None = None,
    community_id: uuid.UUID | None = None,
    keys: list[str] | None = None,
) -> Report:
    if bucket not in (WEEK, MONTH):
        raise BadUserInput("bucket is week or month", field="bucket")
    async with runtime.db.platform() as s:
        scope = await scope_of(s, code)
        names = await street_names(s, scope.streets)
    streets = scope.streets
    if street is not None:
        if street not in streets:
            raise NotFound("no such street")
        streets = (street,)
    available = runtime.host.regulator_kpis()
    if keys:
        unknown = sorted(set(keys) - set(available))
        if unknown:
            raise BadUserInput(f"unknown KPI {', '.join(unknown)}", field="keys")
        available = {k: v for k, v in available.items() if k in keys}

    periods = buckets(since, until, bucket)

    async def read(session: Any, tenant: Any) -> list[_Visit]:
        from kernel.sdk.estate import Community

        stmt = select(Community.id, Community.name, Community.street_code).where(Community.street_code.in_(streets))
        if community_id is not None:
            stmt = stmt.where(Community.id == community_id)
        rows = (await session.execute(stmt.order_by(Community.code))).all()
        if not rows:
            return []
        places = [Place(tenant.slug, tenant.name, cid, name, sc) for cid, name, sc in rows]
        ids = [p.community_id for p in places]
        street_of = {p.community_id: p.street for p in places}
        enabled = await enabled_plugins(session)
        series: dict[str, FirmSeries] = {}
        for key, (plugin, kpi) in available.items():
            if plugin not in enabled:
                continue
            if kpi.query is not None:  # aggregated in SQL: rows per community and bucket, not per sample
                series[key] = await sql_series(session, kpi, ids, street_of, since, until, periods, bucket)
            else:
                assert kpi.collect is not None
                samples = await kpi.collect(session, ids, since, until)
                series[key] = firm_series_from_samples(kpi, samples, street_of, periods, bucket)
        return [_Visit(places, series)]

    visits = await read_across_tenants(
        runtime, regulator=regulator, street_code=scope.code, action="regulator.read_kpis", read=read, firm=firm
    )
    if (firm is not None or community_id is not None) and not visits:
        raise NotFound("no such firm or community")
    reports = []
    for key, (plugin, kpi) in sorted(available.items()):
        report = KpiReport(key, kpi, plugin)
        firms: dict[str, tuple[str, Series]] = {}
        streets_of: dict[str, Series] = {sc: Series(periods) for sc in streets}
        everything = Series(periods)

        for v in visits:
            if key not in v.series:
                continue
            fs = v.series[key]
            for p in v.places:
                own = fs.communities.get(p.community_id) or Series(periods)
                report.groups.append(_group(kpi, COMMUNITY, own, street=p.street, street_name=names.get(p.street, p.street), firm_slug=p.firm_slug,
                                           firm=p.firm, community_id=p.community_id, community=p.community))
            # a firm's and its streets' person counts are its own (exact); firms' add up (persons are tenant-scoped)
            p0 = v.places[0]
            firm_series = firms.setdefault(p0.firm_slug, (p0.firm, Series(periods)))[1]
            firm_series.merge(fs.firm, across=True)
            for sc, street_series in fs.streets.items():
                streets_of[sc].merge(street_series, across=True)
            everything.merge(fs.firm, across=True)
        for slug, (name, series) in firms.items():
            report.groups.append(_group(kpi, FIRM, series, firm_slug=slug, firm=name))
        if scope.kind == DISTRICT:  # a district's streets, even when it has only one
            for sc in streets:
                report.groups.append(_group(kpi, STREET, streets_of[sc], street=sc, street_name=names.get(sc, sc)))
        report.groups.append(_group(kpi, JURISDICTION, everything))
        reports.append(report)
    return Report(scope, since, until, bucket, periods, reports)
