"""The plugins' KPI contributions (``register_regulator_kpis``): every built-in scenario's KPI is
declared, each one's samples are right on real rows, and the kernel refuses a malformed one."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest

from kernel.db.base import utcnow
from kernel.notifications.models import EscalationRecord
from kernel.supervision.kpis import (
    MEDIAN,
    RATIO,
    KpiSample,
    RegulatorKpi,
    buckets,
    figure,
    validate_kpis,
)
from plugins.funds.models import FundEntry
from plugins.governance import models as gm
from tenants.estate import service as estate

EXPECTED = {
    "workorders.closure_rate", "workorders.handling_hours", "safety.alarm_ack_seconds", "care.alert_ack_seconds",
    "governance.vote_participation", "funds.disclosure_days", "fees.collection_rate", "participation.satisfaction",
}


async def _none(*_: object) -> list[KpiSample]:
    return []


def test_hook_register_regulator_kpis(runtime):
    kpis = runtime.host.regulator_kpis()
    assert EXPECTED <= set(kpis)
    assert all(plugin == key.split(".")[0] for key, (plugin, _) in kpis.items())
    # the kernel contributes none itself: it knows no scenario
    assert not [k for k in kpis if k.split(".")[0] in ("notifications", "estate")]


def test_a_kpi_outside_its_namespace_or_declared_twice_is_refused():
    kpi = RegulatorKpi("care.x", "x", "%", RATIO, _none)
    with pytest.raises(ValueError, match="keyed 'safety.<name>'"):
        validate_kpis([("safety", [kpi])])
    with pytest.raises(ValueError, match="declared twice"):
        validate_kpis([("care", [kpi, kpi])])
    with pytest.raises(ValueError, match="aggregate"):
        RegulatorKpi("care.y", "y", "%", "sum", _none)


def test_suppression_counts_distinct_persons_not_samples():
    kpi = RegulatorKpi("t.r", "r", "%", RATIO, _none)
    cid, now = uuid.uuid4(), utcnow()
    four_people = [KpiSample(cid, now, 1.0, subject=str(i % 4)) for i in range(40)]
    assert figure(kpi, four_people).suppressed and figure(kpi, four_people).value is None
    five = four_people + [KpiSample(cid, now, 0.0, subject="4")]
    assert figure(kpi, five).value == round(40 / 41 * 100, 2)
    impersonal = RegulatorKpi("t.m", "m", "days", MEDIAN, _none, personal=False)
    assert figure(impersonal, [KpiSample(cid, now, 3.0)]).value == 3.0
    assert figure(kpi, []).value is None and not figure(kpi, []).suppressed


def test_buckets_are_calendar_weeks_and_months_in_shanghai():
    from datetime import datetime

    since, until = datetime(2026, 1, 31, 17, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)  # Feb 1st 01:00 in Shanghai
    assert [d.isoformat() for d in buckets(since, until, "month")] == ["2026-02-01", "2026-03-01"]
    weeks = buckets(since, until, "week")
    assert weeks[0].isoformat() == "2026-01-26" and all(d.weekday() == 0 for d in weeks)


async def test_samples_of_escalations_votes_and_fund_flows(runtime, new_tenant):
    t = await new_tenant("kc")
    kpis = runtime.host.regulator_kpis()
    now = utcnow()
    since, until = now - timedelta(days=30), now + timedelta(minutes=1)
    async with runtime.db.tenant(t.tenant_id) as s:
        community = await estate.create_community(s, code="K1", name="K1", street_code="K")
        cid = community.id
        for i, seconds in enumerate((30, 60, 600)):
            opened = now - timedelta(days=1, minutes=i)
            s.add(EscalationRecord(
                source="safety", subject_id=str(uuid.uuid4()), community_id=cid, severity="critical", template="safety.alarm",
                data={}, ack_within_seconds=120, opened_at=opened, acknowledged_at=opened + timedelta(seconds=seconds),
            ))
        s.add(EscalationRecord(source="care", subject_id="x", community_id=cid, severity="major", template="care.alert", data={},
                               ack_within_seconds=600, opened_at=now - timedelta(days=1), acknowledged_at=now))  # another source's
        proposal = gm.Proposal(community_id=cid, matter="OTHER", title="t", body="b", status="final", total_persons=8,
                               voting_ends_at=now - timedelta(days=2))
        s.add(proposal)
        await s.flush()
        for i in range(6):
            s.add(gm.Vote(proposal_id=proposal.id, holder_key=f"person:{i}", account_id=uuid.uuid4(), voter_address="0x" + "0" * 40,
                          choice="FOR", intent=f"i{i}"))
        s.add(FundEntry(community_id=cid, kind="deposit", amount=100, occurred_at=now - timedelta(days=5), created_at=now - timedelta(days=2)))
        await s.flush()
        safety = await kpis["safety.alarm_ack_seconds"][1].collect(s, [cid], since, until)
        votes = await kpis["governance.vote_participation"][1].collect(s, [cid], since, until)
        funds = await kpis["funds.disclosure_days"][1].collect(s, [cid], since, until)
        care = await kpis["care.alert_ack_seconds"][1].collect(s, [cid], since, until)
        elsewhere = await kpis["safety.alarm_ack_seconds"][1].collect(s, [uuid.uuid4()], since, until)
    assert sorted(x.value for x in safety) == [30.0, 60.0, 600.0] and elsewhere == []
    assert figure(kpis["safety.alarm_ack_seconds"][1], safety).value == 60.0
    assert len(votes) == 8 and sum(v.value for v in votes) == 6
    assert figure(kpis["governance.vote_participation"][1], votes).value == 75.0
    assert [round(f.value, 3) for f in funds] == [3.0]
    assert care == []  # care reads its own alerts, not another source's escalations
