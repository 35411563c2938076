"""Issue #13 audit: what the first care tests left unproven — the wristband's fall and heart-rate
alarms and the water meter as signs of life, the default 3-minute escalation to the next contact
and the grid worker, and the acknowledgement/arrival distribution reported per community."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from kernel.sdk import utcnow
from tests.care.conftest import Care, gid, ok

STATS = (
    "query($s: DateTime!) { careStats(since: $s) { communityId alerts acknowledged"
    " acknowledgedWithinTarget ackWithinTargetShare ackP50Seconds ackP90Seconds arrived"
    " arriveP50Seconds arriveP90Seconds alertsByKind } }"
)


async def _activity_sources(runtime, tenant_id) -> list[str]:  # type: ignore[no-untyped-def]
    from plugins.care.models import CareActivity

    async with runtime.db.tenant(tenant_id) as s:
        return sorted(await s.scalars(select(CareActivity.source)))


async def test_wristband_fall_and_heart_rate_alert_and_water_counts_as_activity(
    care: Care, deliver, runtime
) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm()
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    _, band = await care.device(firm, rid, "wristband", "care_wristband")
    _, water = await care.device(firm, rid, "water_meter", "care_water_meter")

    await care.telemetry(water, {"used_litres": 0, "reading": 12.5})  # no water drawn: no sign
    await deliver(firm.tenant)
    assert await _activity_sources(runtime, firm.tenant.tenant_id) == []
    await care.telemetry(water, {"used_litres": 3.5, "reading": 12.5035})
    await care.telemetry(band, {"steps": 40})
    await deliver(firm.tenant)
    sources = await _activity_sources(runtime, firm.tenant.tenant_id)
    assert len(sources) == 2 and len(set(sources)) == 2  # one sign from each device
    assert await care.alerts(firm.tenant.token, rid) == []

    await care.telemetry(band, {"fall": True})
    await deliver(firm.tenant)
    [fall] = await care.alerts(firm.tenant.token, rid)
    assert (fall["kind"], fall["status"]) == ("fall", "open") and fall["escalationId"]

    # a heart rate above 130 bpm held for a minute (readings 70 s apart) is its own alert
    start = int(utcnow().timestamp() * 1000) - 70_000
    await care.telemetry(band, {"heart_rate": 150}, ts_ms=start)
    await care.telemetry(band, {"heart_rate": 152}, ts_ms=start + 70_000)
    await deliver(firm.tenant)
    kinds = sorted(a["kind"] for a in await care.alerts(firm.tenant.token, rid))
    assert kinds == ["fall", "heart_rate"]


async def test_unacknowledged_for_the_default_three_minutes_reaches_the_next_contact_and_the_grid_worker(
    care: Care, gql, deliver, runtime, actor
) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk.escalation import escalate_due

    firm = await care.firm()
    grid = await actor(firm.tenant, "grid_worker")
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)  # no ackWithinSeconds: the default
    for priority, email in ((1, "daughter@example.com"), (2, "son@example.com")):
        ok(
            await gql(
                "mutation($r: ID!, $p: Int!, $e: String!) { addCareContact(recipientId: $r,"
                ' name: "李娜", relation: "子女", priority: $p, email: $e, invite: false) { contact { priority } } }',
                {"r": rid, "p": priority, "e": email},
                token=firm.tenant.token,
            )
        )
    _, button = await care.device(firm, rid, "call_button", "care_call_button")
    await care.telemetry(button, {"pressed": True})
    await deliver(firm.tenant)
    [alert] = await care.alerts(firm.tenant.token, rid)
    raised = utcnow()
    assert grid.account_id not in {n.account_id for n in await care.notified(firm)}

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        early = await escalate_due(
            s, tenant_id=firm.tenant.tenant_id, now=raised + timedelta(seconds=170)
        )
    assert early == []  # still inside the 3 minutes
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        due = await escalate_due(
            s, tenant_id=firm.tenant.tenant_id, now=raised + timedelta(seconds=185)
        )
    assert len(due) == 1
    await deliver(firm.tenant)
    notes = await care.notified(firm)
    assert grid.account_id in {n.account_id for n in notes}
    from plugins.care.models import CareContact

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        son = await s.scalar(select(CareContact.id).where(CareContact.priority == 2))
    node = alert["id"]
    from strawberry import relay

    alert_id = relay.GlobalID.from_id(node).node_id
    assert [n.key for n in notes if n.key == f"care-alert:{alert_id}:contact:{son}"]


async def test_acknowledgement_and_arrival_distribution_per_community(
    care: Care, gql, runtime
) -> None:  # type: ignore[no-untyped-def]
    """Alerts with known times in two communities of one firm: the figures are each community's own
    (nearest-rank percentiles worked out by hand below; the 10-minute target counts 600 s in)."""
    from plugins.care.models import CareAlert, CareRecipient
    from tenants.estate import service as estate

    firm = await care.firm()
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        other = await estate.create_community(
            s, code=f"C{uuid.uuid4().hex[:5]}", name="和睦园社区", street_code=firm.street
        )
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    second = await care.elder(firm, "李桂兰")
    ok(
        await gql(
            "mutation($p: ID!, $c: ID!) { enrolCareRecipient(personId: $p, communityId: $c) { id } }",
            {"p": str(second.person_id), "c": gid("Community", other.id)},
            token=firm.tenant.token,
        )
    )
    base = utcnow() - timedelta(hours=5)
    # community 1: acknowledged after 60, 120, 300, 540, 900 s and one never; arrivals at 600 and 1200 s
    first_times = [(60, 600), (120, None), (300, 1200), (540, None), (900, None), (None, None)]
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        recipients = {r.community_id: r.id for r in await s.scalars(select(CareRecipient))}
        assert str(recipients[firm.community_id]) == relay_node(rid)
        for i, (ack, arrive) in enumerate(first_times):
            raised = base + timedelta(minutes=20 * i)
            s.add(
                CareAlert(
                    recipient_id=recipients[firm.community_id],
                    community_id=firm.community_id,
                    kind="sos" if i % 2 else "fall",
                    source_ref=f"audit-{i}",
                    status="acknowledged" if ack is not None else "open",
                    raised_at=raised,
                    acknowledged_at=raised + timedelta(seconds=ack) if ack is not None else None,
                    arrived_at=raised + timedelta(seconds=arrive) if arrive is not None else None,
                    detail={},
                )
            )
        s.add(
            CareAlert(
                recipient_id=recipients[other.id],
                community_id=other.id,
                kind="no_activity",
                source_ref="audit-other",
                status="acknowledged",
                raised_at=base,
                acknowledged_at=base + timedelta(seconds=30),
                detail={},
            )
        )
    stats = ok(
        await gql(STATS, {"s": (utcnow() - timedelta(days=1)).isoformat()}, token=firm.tenant.token)
    )["careStats"]
    by = {row["communityId"]: row for row in stats}
    mine = by[gid("Community", firm.community_id)]
    assert mine["alerts"] == 6 and mine["alertsByKind"] == {"fall": 3, "sos": 3}
    assert (mine["acknowledged"], mine["acknowledgedWithinTarget"]) == (5, 4)
    assert mine["ackWithinTargetShare"] == round(4 / 6, 4)  # of all alerts, unanswered included
    assert (mine["ackP50Seconds"], mine["ackP90Seconds"]) == (300.0, 900.0)
    assert (mine["arrived"], mine["arriveP50Seconds"], mine["arriveP90Seconds"]) == (
        2,
        600.0,
        1200.0,
    )
    theirs = by[gid("Community", other.id)]
    assert theirs["alerts"] == 1 and theirs["ackWithinTargetShare"] == 1.0
    assert (theirs["ackP50Seconds"], theirs["ackP90Seconds"]) == (30.0, 30.0)
    assert theirs["arrived"] == 0 and theirs["arriveP50Seconds"] is None


def relay_node(global_id: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def test_escalation_reaches_the_grid_worker_of_the_elders_building_only(
    care: Care, gql, deliver, runtime, actor, enable_plugin
) -> None:  # type: ignore[no-untyped-def]
    """Level 2 goes to the grid worker of the grid holding the elder's building — not to every
    grid worker of the firm (another grid's worker, or one of another community, hears nothing)."""
    from kernel.sdk.escalation import escalate_due
    from kernel.sdk.estate import Unit
    from tenants.estate import service as estate

    firm = await care.firm()
    await enable_plugin(firm.tenant, "grid")
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        home = await s.scalar(select(Unit.building_id).where(Unit.id == firm.unit_id))
        compound = await estate.create_compound(s, community_id=firm.community_id, name="二期")
        other_building = (
            await estate.create_building(s, compound_id=compound.id, name="9幢", floors=6)
        ).id
    workers = {}
    for name, building in (("mine", home), ("theirs", other_building)):
        g = ok(
            await gql(
                "mutation($c: ID!, $n: String!) { createGrid(communityId: $c, name: $n) { id } }",
                {"c": gid("Community", firm.community_id), "n": f"{name}网格"},
                token=firm.tenant.token,
            )
        )["createGrid"]["id"]
        ok(
            await gql(
                "mutation($g: ID!, $b: ID!) { addGridBuilding(gridId: $g, buildingId: $b) { id } }",
                {"g": g, "b": gid("Building", building)},
                token=firm.tenant.token,
            )
        )
        workers[name] = await actor(firm.tenant, "grid_worker")
        ok(
            await gql(
                "mutation($g: ID!, $a: ID!) { addGridMember(gridId: $g, accountId: $a, role: grid_worker) { id } }",
                {"g": g, "a": str(workers[name].account_id)},
                token=firm.tenant.token,
            )
        )
    workers["nowhere"] = await actor(firm.tenant, "grid_worker")  # in no grid
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder, unitId=f'"{gid("Unit", firm.unit_id)}"')
    _, button = await care.device(firm, rid, "call_button", "care_call_button")
    await care.telemetry(button, {"pressed": True})
    await deliver(firm.tenant)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        assert (
            len(
                await escalate_due(
                    s, tenant_id=firm.tenant.tenant_id, now=utcnow() + timedelta(seconds=200)
                )
            )
            == 1
        )
    await deliver(firm.tenant)
    told = {n.account_id for n in await care.notified(firm)}
    assert workers["mine"].account_id in told
    assert workers["theirs"].account_id not in told and workers["nowhere"].account_id not in told

    # the service itself: without a unit, every grid of the community; another community, none
    from kernel.sdk.services import service

    lookup = service(runtime, "grid.workers_for_place")
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        assert set(await lookup(s, firm.community_id, None)) == {
            workers["mine"].account_id,
            workers["theirs"].account_id,
        }
        assert await lookup(s, firm.community_id, firm.unit_id) == [workers["mine"].account_id]
        assert await lookup(s, uuid.uuid4(), None) == []
