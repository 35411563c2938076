"""A KPI's ``query`` aggregated in SQL (per community and bucket, distinct persons counted per
community, firm and street) gives exactly the figures the Python aggregation of the same raw
samples gives — the reference: the plugin's own ``collect``, aggregated as before. Hypothesis
draws the work orders (communities on one or two streets, persons reporting in several
communities, orders in several weeks and months, groups around the five-person threshold)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select

from kernel.supervision.kpis import (
    MEAN,
    MONTH,
    WEEK,
    FirmSeries,
    RegulatorKpi,
    buckets,
    firm_series_from_samples,
    seconds_between,
    sql_series,
)
from plugins.participation.kpis import KPIS as PARTICIPATION_KPIS
from plugins.workorders.kpis import KPIS
from plugins.workorders.models import WorkOrder
from tenants.estate import service as estate

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=75)


def _hours_weighted(ids: Any, since: datetime, until: datetime) -> Any:
    """A test-only MEAN KPI with weights and no person (never suppressed)."""
    hours = seconds_between(WorkOrder.created_at, WorkOrder.resolved_at) / 3600.0
    return select(WorkOrder.community_id, WorkOrder.created_at, hours, hours + 1.0, literal(None)).where(
        WorkOrder.community_id.in_(ids), WorkOrder.created_at >= since, WorkOrder.created_at < until, WorkOrder.resolved_at.is_not(None)
    )


_TENANT: dict[int, Any] = {}
MEAN_KPI = RegulatorKpi("workorders.test_mean", "t", "hours", MEAN, query=_hours_weighted, personal=False)

orders = st.lists(
    st.tuples(
        st.integers(0, 2),  # community
        st.integers(-2, 76 * 24),  # hours after SINCE (a few outside the period)
        st.sampled_from(["closed", "resolved", "reported", "cancelled"]),
        st.integers(1, 60 * 50),  # minutes to resolution
        st.one_of(st.none(), st.integers(0, 7)),  # reporter (None: the order is its own person)
    ),
    max_size=40,
)


def _figures(fs: FirmSeries, kpi: RegulatorKpi, ids: list[uuid.UUID]) -> dict[str, Any]:
    out = {"firm": fs.firm.figures(kpi)}
    out |= {f"street {k}": s.figures(kpi) for k, s in fs.streets.items()}
    out |= {f"community {i}": fs.communities[c].figures(kpi) for i, c in enumerate(ids) if c in fs.communities}
    return out


def _same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got.keys() == want.keys()
    for name in want:
        (gw, gp), (ww, wp) = got[name], want[name]
        for g, w in [(gw, ww)] + [(a[1], b[1]) for a, b in zip(gp, wp, strict=True)]:
            assert (g.samples, g.suppressed) == (w.samples, w.suppressed), name
            assert (g.value is None) == (w.value is None), name
            if g.value is not None:  # sums in another order: equal to the last rounded digit
                assert g.value == pytest.approx(w.value, abs=0.011), name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=orders, streets=st.lists(st.sampled_from("AB"), min_size=3, max_size=3), bucket=st.sampled_from([WEEK, MONTH]))
async def test_sql_aggregation_equals_the_python_reference(runtime, new_tenant, data, streets, bucket):
    t = _TENANT.get(id(runtime))
    if t is None:  # one firm for every example (each example has its own communities)
        t = _TENANT[id(runtime)] = await new_tenant("ksql")
    persons = [uuid.uuid4() for _ in range(8)]
    async with runtime.db.tenant(t.tenant_id) as s:
        ids = []
        for i, street in enumerate(streets):
            ids.append((await estate.create_community(s, code=f"Q{i}-{uuid.uuid4().hex[:8]}", name=f"Q{i}", street_code=f"ST-{street}")).id)
        for c, hours, status, minutes, who in data:
            created = SINCE + timedelta(hours=hours, minutes=7)
            done = status in ("closed", "resolved")
            s.add(WorkOrder(
                kind="repair", source="resident", title="t", community_id=ids[c], status=status, created_at=created,
                response_due_at=created, resolve_due_at=created, resolved_at=created + timedelta(minutes=minutes) if done else None,
                reporter_account_id=None if who is None else persons[who],
            ))
        await s.flush()
        street_of = {cid: f"ST-{st_}" for cid, st_ in zip(ids, streets, strict=True)}
        periods = buckets(SINCE, UNTIL, bucket)
        for kpi in [*KPIS, MEAN_KPI]:
            got = await sql_series(s, kpi, ids, street_of, SINCE, UNTIL, periods, bucket)
            reference = await (kpi.collect or kpi.samples)(s, ids, SINCE, UNTIL)
            want = firm_series_from_samples(kpi, reference, street_of, periods, bucket)
            _same(_figures(got, kpi, ids), _figures(want, kpi, ids))


async def test_the_satisfaction_query_equals_its_samples(runtime, new_tenant):
    """The participation KPI's SQL mean of each JSON answer list, aggregated in SQL, equals the
    Python aggregation of its raw samples (answers of several lengths and scores, one too few
    respondents in one community)."""
    from kernel.db.base import utcnow
    from plugins.participation import models as pm

    kpi = next(k for k in PARTICIPATION_KPIS if k.key == "participation.satisfaction")
    t = await new_tenant("ksat")
    now = utcnow()
    async with runtime.db.tenant(t.tenant_id) as s:
        ids = [(await estate.create_community(s, code=f"SAT{i}", name=f"SAT{i}", street_code="ST-SAT")).id for i in range(2)]
        for c, count in ((0, 7), (1, 4)):
            survey = pm.Survey(community_id=ids[c], title="满意度", kind="satisfaction", answer_per="unit", questions=["a", "b"], status="open", opened_at=now)
            s.add(survey)
            await s.flush()
            for i in range(count):
                answers = [1 + (i * 3 + c) % 5] if i % 2 else [1 + i % 5, 5, 2]
                s.add(pm.SurveyResponse(survey_id=survey.id, respondent_hash=f"h{c}-{i}", answers=answers, answered_at=now - timedelta(days=i * 9)))
            s.add(pm.SurveyResponse(survey_id=survey.id, respondent_hash=f"empty{c}", answers=[], answered_at=now))  # no answer: no sample
        await s.flush()
        since, until = now - timedelta(days=90), now + timedelta(minutes=1)
        street_of = dict.fromkeys(ids, "ST-SAT")
        for bucket in (WEEK, MONTH):
            periods = buckets(since, until, bucket)
            got = await sql_series(s, kpi, ids, street_of, since, until, periods, bucket)
            assert kpi.collect is not None
            want = firm_series_from_samples(kpi, await kpi.collect(s, ids, since, until), street_of, periods, bucket)
            _same(_figures(got, kpi, ids), _figures(want, kpi, ids))
            assert got.communities[ids[1]].whole.figure(kpi).suppressed and not got.firm.whole.figure(kpi).suppressed
