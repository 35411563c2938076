"""Escalation of safety alarms through the SDK's duty roster, with the clock given explicitly
(``escalate_due(now=…)``, the kernel job's step): the on-duty person is told at once; an
unacknowledged critical alarm climbs to level 2 and reaches the street office; the alarm type's
own time to acknowledge holds; acknowledging stops it."""

from __future__ import annotations

from datetime import timedelta

from kernel.sdk.escalation import escalate_due, get_escalation
from tests.safety.conftest import node_uuid


async def escalate(runtime, site, at):  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(site.tenant.tenant_id) as s:
        moved = await escalate_due(s, tenant_id=site.tenant.tenant_id, now=at)
    return moved


async def test_unacknowledged_critical_alarm_escalates_to_level_2_and_the_regulator(
    safety, runtime, actor
):
    site = await safety.site()
    guard = await actor(site.tenant, "technician")
    await safety.q(
        "mutation($i: DutyShiftInput!) { addDutyShift(input: $i) { id } }",
        {
            "i": {
                "accountId": str(guard.account_id),
                "communityId": site.community,
                "level": 1,
                "start": "00:00",
                "end": "00:00",
            }
        },
        token=site.tenant.token,
    )
    _, fence = await safety.provision(site, "perimeter_sensor", "东侧围墙")
    _, leak = await safety.provision(site, "water_leak_sensor", "地下泵房")
    await safety.q(
        "mutation { setSafetyRule(type: water_leak, ackWithinSeconds: 90) { ackWithinSeconds } }",
        token=site.tenant.token,
    )
    await safety.post(fence, {"intrusion": True, "zone": "E2"})
    await safety.post(leak, {"water_leak": True})
    await safety.deliver(site)
    alarms = {a["type"]: a for a in await safety.alarms(site)}
    intrusion, water = alarms["perimeter_intrusion"], alarms["water_leak"]
    assert intrusion["escalated"] and intrusion["severity"] == "critical"
    # level 1 is the roster's guard on duty (not the property-staff fallback)
    told = await safety.notifications(site)
    assert {n.account_id for n in told} == {guard.account_id}
    raised = (await _escalation(runtime, site, intrusion)).opened_at
    # the leak's own clock: its alarm may be raised a moment after the intrusion's (each event
    # is its own delivery; on a busy machine a second or more apart)
    leaked = (await _escalation(runtime, site, water)).opened_at
    # 89 s: nothing; 91 s: the water leak's own 90 s passed (default for major would be 10 min)
    assert await escalate(runtime, site, leaked + timedelta(seconds=89)) == []
    moved = await escalate(runtime, site, leaked + timedelta(seconds=91))
    assert [m.subject_id for m in moved] == [str(node_uuid(water["id"]))]
    # 2 min 1 s: the critical intrusion (kernel default 2 min) goes to level 2 and the regulator
    moved = await escalate(runtime, site, raised + timedelta(minutes=2, seconds=1))
    assert [(m.subject_id, m.level) for m in moved] == [(str(node_uuid(intrusion["id"])), 2)]
    await safety.deliver(site)
    r = await safety.q(
        "query { safetyAlarms { edges { node { type escalationLevel regulatorAlerted } } } }",
        token=site.tenant.token,
    )
    now = {e["node"]["type"]: e["node"] for e in r["safetyAlarms"]["edges"]}
    assert now["perimeter_intrusion"] == {
        "type": "perimeter_intrusion",
        "escalationLevel": 2,
        "regulatorAlerted": True,
    }
    assert now["water_leak"] == {
        "type": "water_leak",
        "escalationLevel": 2,
        "regulatorAlerted": False,
    }  # major: no regulator
    # level 2 told the firm's admin (the roster's fallback for level 2)
    levels = sorted(n.data["escalation_level"] for n in await safety.notifications(site))
    assert levels == [1, 1, 2, 2]
    # acknowledging stops the climb; the acknowledgement is recorded on the escalation too
    await safety.q(
        "mutation($i: ID!) { acknowledgeSafetyAlarm(id: $i) { status } }",
        {"i": intrusion["id"]},
        token=guard.token,
    )
    assert [m.subject_id for m in await escalate(runtime, site, raised + timedelta(hours=1))] == [
        str(node_uuid(water["id"]))
    ]
    esc = await _escalation(runtime, site, intrusion)
    assert esc.acknowledged_at is not None and esc.level == 2
    # resolving closes it
    await safety.q(
        'mutation($i: ID!) { resolveSafetyAlarm(id: $i, note: "巡逻确认无人") { status } }',
        {"i": water["id"]},
        token=guard.token,
    )
    assert await escalate(runtime, site, raised + timedelta(hours=5)) == []


async def _escalation(runtime, site, alarm):  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(site.tenant.tenant_id) as s:
        return await get_escalation(
            s,
            tenant_id=site.tenant.tenant_id,
            source="safety",
            subject_id=str(node_uuid(alarm["id"])),
        )
