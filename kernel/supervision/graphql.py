"""Street office GraphQL: ``myJurisdiction`` and ``regulatorKpis`` (regulator accounts only)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay

from kernel.db.base import utcnow
from kernel.graphql.ids import decode_id, to_gid
from kernel.graphql.permissions import IsRegulator
from kernel.supervision import report as svc
from kernel.supervision.jurisdictions import scope_of, street_names
from kernel.supervision.kpis import Figure


@strawberry.enum(description="The time series' step: calendar weeks (from Monday) or months, Asia/Shanghai.")
class KpiBucket(Enum):
    WEEK = "week"
    MONTH = "month"


@strawberry.type(description="A street of the jurisdiction.")
class JurisdictionStreet:
    code: str
    name: str


@strawberry.type(description="What the signed-in regulator account supervises: one street, or a district and its streets.")
class Jurisdiction:
    code: str
    name: str
    kind: str = strawberry.field(description="street or district")
    streets: list[JurisdictionStreet]


@strawberry.type(description="One figure: null with suppressed = true when drawn from fewer than five persons.")
class KpiFigure:
    value: float | None = strawberry.field(description="percent for a ratio KPI, else in the KPI's unit; null when there is no data or it is suppressed")
    samples: int = strawberry.field(description="observations behind the figure (0 when suppressed)")
    suppressed: bool

    @classmethod
    def of(cls, f: Figure) -> KpiFigure:
        return cls(value=f.value, samples=f.samples, suppressed=f.suppressed)


@strawberry.type(description="A figure for one week or month of the series.")
class KpiPoint:
    start: date
    value: float | None
    samples: int
    suppressed: bool


@strawberry.type(description="A KPI's figure and series for one group: a community, a firm, a street (district accounts) or the whole jurisdiction.")
class KpiGroup:
    level: str = strawberry.field(description="community, firm, street or jurisdiction")
    street: str | None
    street_name: str | None
    firm: str | None = strawberry.field(description="the property firm's name")
    firm_slug: str | None
    community: str | None
    community_id: relay.GlobalID | None
    figure: KpiFigure
    series: list[KpiPoint]


@strawberry.type(description="A KPI contributed by a plugin, aggregated and de-identified.")
class RegulatorKpiView:
    key: str
    plugin: str
    label: str
    unit: str
    aggregate: str = strawberry.field(description="ratio (shown in percent), mean or median")
    description: str
    groups: list[KpiGroup]


@strawberry.type(description="The KPIs of the jurisdiction for one period.")
class RegulatorKpiReport:
    jurisdiction: str
    since: datetime
    until: datetime
    bucket: KpiBucket
    kpis: list[RegulatorKpiView]


def _view(r: svc.KpiReport) -> RegulatorKpiView:
    groups = [
        KpiGroup(
            level=g.level, street=g.street, street_name=g.street_name, firm=g.firm, firm_slug=g.firm_slug, community=g.community,
            community_id=to_gid("Community", g.community_id) if g.community_id else None,
            figure=KpiFigure.of(g.figure),
            series=[KpiPoint(start=d, value=f.value, samples=f.samples, suppressed=f.suppressed) for d, f in g.points],
        )
        for g in r.groups
    ]
    k = r.kpi
    return RegulatorKpiView(key=r.key, plugin=r.plugin, label=k.label, unit=k.unit, aggregate=k.aggregate, description=k.description, groups=groups)


@strawberry.type
class SupervisionQuery:
    @strawberry.field(permission_classes=[IsRegulator], description="Street office: the jurisdiction the signed-in regulator account supervises.")
    async def my_jurisdiction(self, info: strawberry.Info) -> Jurisdiction:
        runtime = info.context.runtime
        async with runtime.db.platform() as s:
            scope = await scope_of(s, info.context.actor.regulator_street)
            names = await street_names(s, scope.streets)
        return Jurisdiction(code=scope.code, name=scope.name, kind=scope.kind, streets=[JurisdictionStreet(code=c, name=names[c]) for c in scope.streets])

    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: KPIs per community, firm, street and jurisdiction, as a figure and a series "
        "(aggregates only; groups under five persons suppressed; audited in each firm read). A street, firm or "
        "community outside the jurisdiction is NOT_FOUND.",
    )
    async def regulator_kpis(
        self,
        info: strawberry.Info,
        since: datetime | None = None,
        until: datetime | None = None,
        bucket: KpiBucket = KpiBucket.MONTH,
        street: str | None = None,
        firm: str | None = None,
        community_id: relay.GlobalID | None = None,
        keys: list[str] | None = None,
    ) -> RegulatorKpiReport:
        actor = info.context.actor
        start, end = svc.period(since, until, utcnow())
        cid = decode_id(community_id, "Community") if community_id is not None else None
        report = await svc.kpi_report(
            info.context.runtime, regulator=actor.label, code=actor.regulator_street, since=start, until=end, bucket=bucket.value,
            street=street, firm=firm, community_id=cid, keys=keys,
        )
        return RegulatorKpiReport(jurisdiction=report.scope.code, since=start, until=end, bucket=bucket, kpis=[_view(r) for r in report.kpis])
