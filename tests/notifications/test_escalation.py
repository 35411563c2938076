"""Escalation: an alert tells level 1 at once (urgent), climbs a level at each missed deadline
(time driven explicitly, no sleeping), stops when acknowledged, reaches the street office when
critical, records arrival and resolution, answers NOT_FOUND across firms, and gives the
statistics an owning plugin reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fixtures import escalation_probe as probe
from fixtures.estates import fast_passwords  # noqa: F401 - the fixture
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.errors import BadUserInput, NotFound
from kernel.notifications import Notification
from kernel.notifications.duty import add_shift
from kernel.sdk import utcnow
from kernel.sdk.escalation import (
    acknowledge,
    escalate_due,
    escalation_stats,
    get_escalation,
    mark_arrived,
    open_escalation,
    resolve,
)
from kernel.testing import add_member, unique_slug

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.usefixtures("fast_passwords")
SOURCE = probe.MANIFEST.name
TEMPLATE = probe.ALARM.key


@pytest.fixture
def runtime(make_runtime):  # type: ignore[no-untyped-def]
    """A runtime with the probe plugin (it has no tables: the database stays the session's)."""
    return make_runtime(extra_plugins=[probe])


async def _firm(runtime, street: str = "S-ESC") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from kernel.plugins import enablement
    from tenants.estate import service as estate
    from tenants.lifecycle import provision

    slug = unique_slug("esc")
    p = await provision(
        runtime,
        slug=slug,
        name=f"{slug} 物业",
        admin_username=f"{slug}-admin",
        admin_password=PASSWORD,
    )
    tid = p.tenant_id
    people = {
        who: await add_member(runtime, tid, unique_slug(who), PASSWORD, role)
        for who, role in (
            ("guard", "technician"),
            ("staff", "property_staff"),
            ("chief", "property_staff"),
            ("manager", "tenant_admin"),
            ("daughter", "resident"),
            ("son", "resident"),
            ("grid", "grid_worker"),
        )
    }
    async with runtime.db.tenant(tid) as s:
        await enablement.enable(runtime.host, s, tid, SOURCE)
        community = await estate.create_community(s, code="E1", name="幸福里", street_code=street)
        await add_shift(
            s,
            account_id=people["guard"],
            community_id=community.id,
            level=1,
            start="00:00",
            end="00:00",
        )
        await add_shift(
            s, account_id=people["chief"], community_id=None, level=2, start="00:00", end="00:00"
        )
    return {"tenant_id": tid, "community_id": community.id, "slug": slug, **people}


async def _notified(runtime, tid: uuid.UUID) -> list[tuple[uuid.UUID, str, str]]:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tid) as s:
        rows = (
            await s.scalars(
                select(Notification)
                .where(Notification.template == TEMPLATE)
                .order_by(Notification.created_at)
            )
        ).all()
    return sorted(((n.account_id, n.urgency, n.subject) for n in rows), key=str)  # type: ignore[misc]


async def test_open_tells_level_one_at_once_urgently_and_only_once(runtime):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        e = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="alarm-1",
            community_id=firm["community_id"],
            severity="major",
            template=TEMPLATE,
            data={"what": "3号楼烟感"},
            contacts=[firm["daughter"], [firm["son"], firm["grid"]]],
        )
        again = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="alarm-1",
            community_id=firm["community_id"],
            severity="critical",
            template=TEMPLATE,
            data={"what": "changed"},
        )
    assert (
        e.level == 1 and e.severity == "major" and e.due_at == e.opened_at + timedelta(minutes=10)
    )
    assert again == e  # idempotent per subject: the first stands, nobody told twice
    subject = "告警：3号楼烟感（第1级）"
    assert await _notified(runtime, tid) == sorted(
        [(firm["guard"], "urgent", subject), (firm["daughter"], "urgent", subject)], key=str
    )


async def test_unacknowledged_it_climbs_a_level_at_each_deadline(runtime, deliver):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    probe.RECEIVED.clear()
    async with runtime.db.tenant(tid) as s:
        e = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="fall-7",
            community_id=firm["community_id"],
            severity="major",
            template=TEMPLATE,
            data={"what": "跌倒"},
            contacts=[[firm["daughter"]], [firm["son"], firm["grid"]]],
            ack_within=180,
        )
    t0 = e.opened_at
    async with runtime.db.tenant(tid) as s:
        assert await escalate_due(s, tenant_id=tid, now=t0 + timedelta(seconds=179)) == []
    async with runtime.db.tenant(tid) as s:
        [up] = await escalate_due(s, tenant_id=tid, now=t0 + timedelta(seconds=180))
    assert (
        up.level == 2
        and up.due_at == t0 + timedelta(seconds=360)
        and up.regulator_alerted_at is None
    )
    level2 = "告警：跌倒（第2级）"
    told = await _notified(runtime, tid)
    assert [x for x in told if x[2] == level2] == sorted(
        [(firm[w], "urgent", level2) for w in ("chief", "son", "grid")], key=str
    )
    async with runtime.db.tenant(tid) as s:  # the same instant again: nothing more
        assert await escalate_due(s, tenant_id=tid, now=t0 + timedelta(seconds=200)) == []
    async with runtime.db.tenant(tid) as s:
        [top] = await escalate_due(s, tenant_id=tid, now=t0 + timedelta(seconds=400))
    assert top.level == 3 and top.due_at is None  # the last level: it waits there, told
    level3 = {a for a, _, subj in await _notified(runtime, tid) if subj == "告警：跌倒（第3级）"}
    admin_and_manager = level3  # nobody on the level-3 roster: the firm's admins
    assert firm["manager"] in admin_and_manager and firm["guard"] not in level3
    async with runtime.db.tenant(tid) as s:
        assert await escalate_due(s, tenant_id=tid, now=t0 + timedelta(days=1)) == []
    await deliver(None)
    assert [(t, p["level"]) for t, p in probe.RECEIVED if p["subject_id"] == "fall-7"] == [
        ("escalation.escalated", 2),
        ("escalation.escalated", 3),
    ]


async def test_acknowledging_stops_it_and_arrival_and_resolution_are_recorded(runtime, deliver):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    probe.RECEIVED.clear()
    async with runtime.db.tenant(tid) as s:
        e = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            community_id=firm["community_id"],
            severity="critical",
            template=TEMPLATE,
            data={"what": "SOS"},
        )
    t0 = e.opened_at
    async with runtime.db.tenant(tid) as s:
        acked = await acknowledge(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            account_id=firm["guard"],
            at=t0 + timedelta(seconds=50),
        )
        twice = await acknowledge(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            account_id=firm["staff"],
            at=t0 + timedelta(seconds=90),
        )
    assert (
        acked.acknowledged_at == t0 + timedelta(seconds=50)
        and acked.acknowledged_by == firm["guard"]
        and acked.due_at is None
    )
    assert twice == acked
    async with runtime.db.tenant(tid) as s:
        assert await escalate_due(s, tenant_id=tid, now=t0 + timedelta(hours=1)) == []
        arrived = await mark_arrived(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            account_id=firm["guard"],
            at=t0 + timedelta(minutes=6),
        )
        done = await resolve(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            account_id=firm["guard"],
            at=t0 + timedelta(minutes=20),
        )
        again = await resolve(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="sos-1",
            account_id=firm["staff"],
            at=t0 + timedelta(minutes=30),
        )
    assert (
        arrived.arrived_at == t0 + timedelta(minutes=6)
        and arrived.arrived_by == firm["guard"]
        and arrived.level == 1
    )
    assert done.resolved_by == firm["guard"]
    assert done.resolved_at == t0 + timedelta(minutes=20) and done.closed and again == done
    assert {a for a, _, _ in await _notified(runtime, tid)} == {
        firm["guard"]
    }  # only level 1 was ever told
    await deliver(None)
    assert [t for t, p in probe.RECEIVED if p["subject_id"] == "sos-1"] == [
        "escalation.acknowledged",
        "escalation.resolved",
    ]
    assert probe.RECEIVED[0][1]["acknowledged_by"] == str(firm["guard"])


async def test_arrival_without_acknowledgement_counts_as_one(runtime):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        e = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="door-1",
            community_id=None,
            severity="minor",
            template=TEMPLATE,
            data={"what": "门磁"},
        )
        assert e.due_at == e.opened_at + timedelta(minutes=30)
        arrived = await mark_arrived(
            s, tenant_id=tid, source=SOURCE, subject_id="door-1", account_id=firm["staff"]
        )
    assert (
        arrived.acknowledged_by == firm["staff"]
        and arrived.acknowledged_at == arrived.arrived_at
        and arrived.due_at is None
    )


REGULATOR = "query($c: Boolean!) { regulatorAlerts(includeClosed: $c) { firm community source severity level acknowledgedAt resolvedAt } }"


async def test_a_critical_alert_nobody_acknowledges_reaches_the_street_office(runtime, gql):
    from kernel.identity.platform import create_platform_account

    street = f"S-{uuid.uuid4().hex[:6]}"
    firm = await _firm(runtime, street)
    other_firm = await _firm(runtime, f"S-{uuid.uuid4().hex[:6]}")
    tid = firm["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        crit = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="fire-1",
            community_id=firm["community_id"],
            severity="critical",
            template=TEMPLATE,
            data={"what": "火警"},
        )
        await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="leak-1",
            community_id=firm["community_id"],
            severity="major",
            template=TEMPLATE,
            data={"what": "漏水"},
            ack_within=60,
        )
    async with runtime.db.tenant(other_firm["tenant_id"]) as s:
        await open_escalation(
            s,
            tenant_id=other_firm["tenant_id"],
            source=SOURCE,
            subject_id="fire-1",
            community_id=other_firm["community_id"],
            severity="critical",
            template=TEMPLATE,
            data={"what": "别的街道"},
            ack_within=60,
        )
    later = crit.opened_at + timedelta(minutes=3)
    async with runtime.db.tenant(tid) as s:
        up = await escalate_due(s, tenant_id=tid, now=later)
    assert {(e.subject_id, e.level, e.regulator_alerted_at) for e in up} == {
        ("fire-1", 2, later),
        ("leak-1", 2, None),
    }
    async with runtime.db.tenant(other_firm["tenant_id"]) as s:
        assert len(await escalate_due(s, tenant_id=other_firm["tenant_id"], now=later)) == 1

    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        account = await create_platform_account(
            s, username, "street office 2026", "滨江街道办", regulator_street_code=street
        )
    token = await gql.login(username, "street office 2026")
    r = await gql(REGULATOR, {"c": False}, token=token)
    assert not r.get("errors"), r
    assert r["data"]["regulatorAlerts"] == [
        {
            "firm": f"{firm['slug']} 物业",
            "community": "幸福里",
            "source": SOURCE,
            "severity": "critical",
            "level": 2,
            "acknowledgedAt": None,
            "resolvedAt": None,
        }
    ]
    async with runtime.db.tenant(tid) as s:
        reads = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "regulator.read_alerts"))
        ).all()
    assert [a.actor for a in reads] == [f"regulator:{account.id}"]
    async with runtime.db.tenant(tid) as s:
        await resolve(
            s, tenant_id=tid, source=SOURCE, subject_id="fire-1", account_id=firm["staff"]
        )
    assert (await gql(REGULATOR, {"c": False}, token=token))["data"]["regulatorAlerts"] == []
    closed = (await gql(REGULATOR, {"c": True}, token=token))["data"]["regulatorAlerts"]
    assert len(closed) == 1 and closed[0]["resolvedAt"] is not None
    # a firm's own login is not the street office
    staff_token = await gql.login(f"{firm['slug']}-admin", PASSWORD, firm["slug"])
    assert (await gql(REGULATOR, {"c": False}, token=staff_token))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"


async def test_another_firms_escalation_and_accounts_are_not_found(runtime):
    a, b = await _firm(runtime), await _firm(runtime)
    async with runtime.db.tenant(a["tenant_id"]) as s:
        await open_escalation(
            s,
            tenant_id=a["tenant_id"],
            source=SOURCE,
            subject_id="a-1",
            community_id=a["community_id"],
            severity="major",
            template=TEMPLATE,
            data={"what": "x"},
        )
    for call in (acknowledge, mark_arrived, resolve):
        with pytest.raises(NotFound):
            async with runtime.db.tenant(b["tenant_id"]) as s:
                await call(
                    s,
                    tenant_id=b["tenant_id"],
                    source=SOURCE,
                    subject_id="a-1",
                    account_id=b["staff"],
                )
        with pytest.raises(NotFound):  # b's session naming a's tenant sees nothing either
            async with runtime.db.tenant(b["tenant_id"]) as s:
                await call(
                    s,
                    tenant_id=a["tenant_id"],
                    source=SOURCE,
                    subject_id="a-1",
                    account_id=b["staff"],
                )
        with pytest.raises(NotFound):  # a's escalation, acted on by b's login
            async with runtime.db.tenant(a["tenant_id"]) as s:
                await call(
                    s,
                    tenant_id=a["tenant_id"],
                    source=SOURCE,
                    subject_id="a-1",
                    account_id=b["staff"],
                )
    with pytest.raises(NotFound):  # b's community as the place of a's alert
        async with runtime.db.tenant(a["tenant_id"]) as s:
            await open_escalation(
                s,
                tenant_id=a["tenant_id"],
                source=SOURCE,
                subject_id="a-3",
                community_id=b["community_id"],
                severity="major",
                template=TEMPLATE,
                data={"what": "x"},
            )
    with pytest.raises(NotFound):  # b's login as a contact of a's alert
        async with runtime.db.tenant(a["tenant_id"]) as s:
            await open_escalation(
                s,
                tenant_id=a["tenant_id"],
                source=SOURCE,
                subject_id="a-2",
                community_id=None,
                severity="major",
                template=TEMPLATE,
                data={"what": "x"},
                contacts=[b["daughter"]],
            )
    async with runtime.db.tenant(a["tenant_id"]) as s:
        e = await get_escalation(s, tenant_id=a["tenant_id"], source=SOURCE, subject_id="a-1")
        assert e is not None and e.acknowledged_at is None and not e.closed
        assert (
            await get_escalation(s, tenant_id=a["tenant_id"], source=SOURCE, subject_id="a-2")
            is None
        )
    async with runtime.db.tenant(b["tenant_id"]) as s:
        assert (
            await get_escalation(s, tenant_id=b["tenant_id"], source=SOURCE, subject_id="a-1")
            is None
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"subject_id": ""}, "subjectId"),
        ({"ack_within": 0}, "ackWithin"),
        ({"contacts": ["x"]}, "contacts"),
    ],
)
async def test_bad_input_is_refused_before_anything_is_written(runtime, kwargs, field):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    args = {
        "source": SOURCE,
        "subject_id": "bad",
        "community_id": None,
        "severity": "major",
        "template": TEMPLATE,
        "data": {"what": "x"},
        **kwargs,
    }
    with pytest.raises(BadUserInput) as err:
        async with runtime.db.tenant(tid) as s:
            await open_escalation(s, tenant_id=tid, **args)
    assert err.value.details.get("field") == field
    async with runtime.db.tenant(tid) as s:
        assert await get_escalation(s, tenant_id=tid, source=SOURCE, subject_id="bad") is None


async def test_the_firms_policy_sets_the_deadline_and_the_job_runs_every_tenant(runtime):
    from kernel.notifications.escalation import escalate_due_all, set_ack_within

    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    async with runtime.db.tenant(tid) as s:
        await set_ack_within(s, severity="major", ack_within=45)
        await set_ack_within(s, severity="major", ack_within=timedelta(minutes=3), source=SOURCE)
        await set_ack_within(s, severity="minor", ack_within=20, source="someone_else")
        e = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="p-1",
            community_id=None,
            severity="major",
            template=TEMPLATE,
            data={"what": "x"},
        )
        m = await open_escalation(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="p-2",
            community_id=None,
            severity="minor",
            template=TEMPLATE,
            data={"what": "x"},
        )
    assert e.due_at == e.opened_at + timedelta(
        minutes=3
    )  # the plugin's own time beats the firm-wide one
    assert m.due_at == m.opened_at + timedelta(minutes=30)  # another plugin's policy does not apply
    # the job runs over every tenant of the (shared) test database: judge it by this firm's escalation
    await escalate_due_all(runtime, now=e.opened_at + timedelta(minutes=2))
    async with runtime.db.tenant(tid) as s:
        assert (await get_escalation(s, tenant_id=tid, source=SOURCE, subject_id="p-1")).level == 1  # type: ignore[union-attr]
    assert await escalate_due_all(runtime, now=e.opened_at + timedelta(minutes=4)) >= 1
    async with runtime.db.tenant(tid) as s:
        assert (await get_escalation(s, tenant_id=tid, source=SOURCE, subject_id="p-1")).level == 2  # type: ignore[union-attr]


async def test_statistics_count_and_give_percentiles_of_response_times(runtime):
    firm = await _firm(runtime)
    tid = firm["tenant_id"]
    t0 = utcnow() - timedelta(hours=2)
    async with runtime.db.tenant(tid) as s:
        for i, ack in enumerate((30, 60, 90, 120, None)):
            await open_escalation(
                s,
                tenant_id=tid,
                source=SOURCE,
                subject_id=f"s-{i}",
                community_id=firm["community_id"],
                severity="major",
                template=TEMPLATE,
                data={"what": "x"},
                now=t0,
            )
            if ack is not None:
                await acknowledge(
                    s,
                    tenant_id=tid,
                    source=SOURCE,
                    subject_id=f"s-{i}",
                    account_id=firm["guard"],
                    at=t0 + timedelta(seconds=ack),
                )
        await mark_arrived(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="s-0",
            account_id=firm["guard"],
            at=t0 + timedelta(minutes=5),
        )
        await resolve(
            s,
            tenant_id=tid,
            source=SOURCE,
            subject_id="s-0",
            account_id=firm["guard"],
            at=t0 + timedelta(minutes=15),
        )
        await escalate_due(s, tenant_id=tid, now=t0 + timedelta(minutes=11))
        stats = await escalation_stats(s, tenant_id=tid, source=SOURCE)
        elsewhere = await escalation_stats(
            s, tenant_id=tid, source=SOURCE, community_id=uuid.uuid4()
        )
        recent = await escalation_stats(
            s, tenant_id=tid, source=SOURCE, since=utcnow() - timedelta(minutes=1)
        )
    assert (
        stats.opened,
        stats.acknowledged,
        stats.arrived,
        stats.resolved,
        stats.open,
        stats.escalated,
    ) == (5, 4, 1, 1, 4, 1)
    assert (stats.ack_p50, stats.ack_p90) == (60.0, 120.0)
    assert (stats.arrive_p50, stats.resolve_p90) == (300.0, 900.0)
    assert elsewhere.opened == 0 and elsewhere.ack_p50 is None
    assert recent.opened == 0
