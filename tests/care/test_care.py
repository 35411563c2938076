"""Home care end to end: consent, a contact's narrow view, tenant isolation, device SOS → alert →
escalation, check-ins and no-activity from the jobs, statistics and the street office's read."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from kernel.sdk import utcnow
from tests.care.conftest import PASSWORD, Care, code_of, gid, ok

RECIPIENTS = "{ careRecipients { id maskedName status openAlerts lastCheckIn } }"
DETAIL = "query($id: ID!) { careRecipient(id: $id) { name healthNotes recipient { maskedName } } }"
ACK = "mutation($a: ID!) { acknowledgeCareAlert(alertId: $a) { status acknowledgedBy } }"


async def _audit_actions(runtime, tenant_id, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    from kernel.audit import AuditEntry

    async with runtime.db.tenant(tenant_id) as s:
        return [
            a
            for a in await s.scalars(
                select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
            )
        ]


async def test_plugin_disabled_and_permissions(care: Care, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("carex")
    assert code_of(await gql(RECIPIENTS, token=t.token)) == "PLUGIN_DISABLED"
    firm = await care.firm()
    resident = await actor(firm.tenant, "resident")
    assert code_of(await gql(RECIPIENTS, token=resident.token)) == "FORBIDDEN"
    r = await gql("mutation { careCheckIn { day } }", token=resident.token)
    assert code_of(r) == "NOT_FOUND"  # a resident who is not a care recipient


async def test_enrolment_needs_consent_lists_mask_and_health_notes_are_encrypted(
    care: Care, runtime, gql
) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm()
    elder = await care.elder(firm, consent=False)
    q = "mutation($p: ID!, $c: ID!) { enrolCareRecipient(personId: $p, communityId: $c) { id } }"
    args = {"p": str(elder.person_id), "c": gid("Community", firm.community_id)}
    r = await gql(q, args, token=firm.tenant.token)
    assert (
        code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    )
    bad = await gql(
        q.replace("communityId: $c)", "communityId: $c, marginPercent: 900)"),
        args,
        token=firm.tenant.token,
    )
    assert code_of(bad) == "BAD_USER_INPUT"
    assert ok(await gql(RECIPIENTS, token=firm.tenant.token))["careRecipients"] == []

    await care.consent(firm, elder.person_id)
    rid = await care.enrol(firm, elder)
    listed = ok(await gql(RECIPIENTS, token=firm.tenant.token))["careRecipients"]
    assert [(x["id"], x["maskedName"], x["status"]) for x in listed] == [(rid, "王*英", "active")]
    assert "healthNotes" not in listed[0]
    detail = ok(await gql(DETAIL, {"id": rid}, token=firm.tenant.token))["careRecipient"]
    assert detail == {
        "name": "王秀英",
        "healthNotes": "高血压，服用氨氯地平",
        "recipient": {"maskedName": "王*英"},
    }
    assert "care.health_notes_read" in await _audit_actions(runtime, firm.tenant.tenant_id, "care.")

    from plugins.care.models import CareRecipient

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        stored = await s.scalar(select(CareRecipient.health_notes_enc))
    assert stored and "高血压" not in stored  # encrypted at rest

    assert code_of(await gql(q, args, token=firm.tenant.token)) == "CONFLICT"  # enrolled already


async def test_device_sos_alerts_staff_and_first_contact_then_escalates_to_the_next_and_the_grid_worker(
    care: Care, runtime, gql, deliver, actor
) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk.escalation import escalate_due

    firm = await care.firm()
    staff = await actor(firm.tenant, "property_staff")
    grid = await actor(firm.tenant, "grid_worker")
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder, ackWithinSeconds=120)
    daughter = ok(
        await gql(
            'mutation($r: ID!) { addCareContact(recipientId: $r, name: "李娜", relation: "女儿", priority: 1, phone: "13800138001") { invitationCode contact { maskedName contactMasked invitationPending } } }',
            {"r": rid},
            token=firm.tenant.token,
        )
    )["addCareContact"]
    assert daughter["contact"] == {
        "maskedName": "李*",
        "contactMasked": "138****8001",
        "invitationPending": True,
    }
    ok(
        await gql(
            'mutation($r: ID!) { addCareContact(recipientId: $r, name: "李强", relation: "儿子", priority: 2, email: "son@example.com", invite: false) { contact { priority } } }',
            {"r": rid},
            token=firm.tenant.token,
        )
    )
    # the daughter accepts her invitation: her login is linked by the member.joined event
    joined = ok(
        await gql(
            'mutation($t: String!, $c: String!, $p: String!) { acceptInvitation(tenant: $t, code: $c, username: "lina", password: $p) { accessToken } }',
            {"t": firm.tenant.slug, "c": daughter["invitationCode"], "p": PASSWORD},
        )
    )["acceptInvitation"]["accessToken"]
    await deliver(firm.tenant)

    _, token = await care.device(firm, rid, "call_button", "care_call_button")
    await care.telemetry(token, {"pressed": True})
    await deliver(firm.tenant)
    [alert] = await care.alerts(firm.tenant.token, rid)
    assert (alert["kind"], alert["status"]) == ("sos", "open") and alert["escalationId"]
    told = {n.account_id for n in await care.notified(firm)}
    assert staff.account_id in told  # the on-duty fallback: property staff
    assert grid.account_id not in told  # not yet
    assert not [n for n in await care.notified(firm) if ":contact:" in n.key]  # the son is level 2
    from plugins.care.models import CareContact

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        daughter_account = await s.scalar(
            select(CareContact.account_id).where(CareContact.priority == 1)
        )
    assert daughter_account in told

    # a second press of the same alarm does not raise a second alert
    await care.telemetry(token, {"pressed": True})
    await deliver(firm.tenant)
    assert len(await care.alerts(firm.tenant.token, rid)) == 1

    # nobody acknowledged within 2 minutes: the kernel escalates to level 2 (the son's e-mail, the grid worker)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        escalated = await escalate_due(
            s, tenant_id=firm.tenant.tenant_id, now=utcnow() + timedelta(seconds=121)
        )
    assert len(escalated) == 1
    await deliver(firm.tenant)
    notes = await care.notified(firm)
    assert grid.account_id in {n.account_id for n in notes}
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        son = await s.scalar(select(CareContact.id).where(CareContact.priority == 2))
    alert_uuid = _node_id(alert["id"])
    son_notes = [n for n in notes if n.key == f"care-alert:{alert_uuid}:contact:{son}"]
    assert len(son_notes) == 1 and son_notes[0].account_id is None  # reached on the e-mail given

    # the daughter takes it; staff arrive and resolve
    r = ok(await gql(ACK, {"a": alert["id"]}, token=joined))["acknowledgeCareAlert"]
    assert r["status"] == "acknowledged"
    assert code_of(await gql(ACK, {"a": alert["id"]}, token=joined)) == "CONFLICT"
    assert (
        code_of(
            await gql(
                "mutation($a: ID!) { markCareArrival(alertId: $a) { status } }",
                {"a": alert["id"]},
                token=joined,
            )
        )
        == "FORBIDDEN"
    )
    ok(
        await gql(
            "mutation($a: ID!) { markCareArrival(alertId: $a) { status } }",
            {"a": alert["id"]},
            token=staff.token,
        )
    )
    done = ok(
        await gql(
            'mutation($a: ID!) { resolveCareAlert(alertId: $a, resolution: "摔倒无大碍，已送社区卫生站") { status resolvedAt } }',
            {"a": alert["id"]},
            token=staff.token,
        )
    )
    assert done["resolveCareAlert"]["status"] == "resolved"
    from kernel.sdk.escalation import get_escalation

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        esc = await get_escalation(
            s,
            tenant_id=firm.tenant.tenant_id,
            source="care",
            subject_id=str(uuid.UUID(_node_id(alert["id"]))),
        )
    assert esc is not None and esc.acknowledged_at is not None and esc.level == 2

    stats = ok(
        await gql(
            "{ careStats { recipients livingAlone alerts alertsByKind acknowledged arrived ackP50Seconds } }",
            token=staff.token,
        )
    )["careStats"]
    assert stats[0]["recipients"] == 1 and stats[0]["alertsByKind"] == {"sos": 1}
    assert (stats[0]["acknowledged"], stats[0]["arrived"]) == (1, 1)


def _node_id(global_id: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def test_a_contact_sees_only_their_relative(care: Care, gql, deliver, runtime) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm()
    mother, neighbour = await care.elder(firm, "王秀英"), await care.elder(firm, "赵大爷")
    mine, other = await care.enrol(firm, mother), await care.enrol(firm, neighbour)
    code = ok(
        await gql(
            'mutation($r: ID!) { addCareContact(recipientId: $r, name: "李娜", relation: "女儿", priority: 1, email: "lina@example.com") { invitationCode } }',
            {"r": mine},
            token=firm.tenant.token,
        )
    )["addCareContact"]["invitationCode"]
    token = ok(
        await gql(
            'mutation($t: String!, $c: String!, $p: String!) { acceptInvitation(tenant: $t, code: $c, username: "lina2", password: $p) { accessToken } }',
            {"t": firm.tenant.slug, "c": code, "p": PASSWORD},
        )
    )["acceptInvitation"]["accessToken"]
    assert (
        ok(await gql(RECIPIENTS, token=token))["careRecipients"] == []
    )  # not linked before the event is handled
    await deliver(firm.tenant)

    # both elders miss their check-in: an alert each
    from plugins.care import monitor_all

    later = (
        utcnow().replace(hour=23, minute=0) if utcnow().hour < 15 else utcnow() + timedelta(hours=2)
    )
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        from plugins.care.models import CareRecipient

        for r in await s.scalars(select(CareRecipient)):
            r.monitoring_since = later - timedelta(days=1)
            r.check_in_by_minute = 0
    await monitor_all(runtime, now=later, only={firm.tenant.tenant_id})
    staff_alerts = await care.alerts(firm.tenant.token)
    assert {(a["recipientId"], a["kind"]) for a in staff_alerts} >= {
        (mine, "missed_check_in"),
        (other, "missed_check_in"),
    }

    listed = ok(await gql(RECIPIENTS, token=token))["careRecipients"]
    assert [x["id"] for x in listed] == [mine]
    theirs = await care.alerts(token)
    assert theirs and {a["recipientId"] for a in theirs} == {mine}
    assert ok(await gql(DETAIL, {"id": other}, token=token))["careRecipient"] is None
    detail = ok(await gql(DETAIL, {"id": mine}, token=token))["careRecipient"]
    assert (
        detail["name"] == "王秀英" and detail["healthNotes"] is None
    )  # health notes are for care managers
    foreign = next(a for a in staff_alerts if a["recipientId"] == other)
    assert code_of(await gql(ACK, {"a": foreign["id"]}, token=token)) == "NOT_FOUND"
    for q in (
        "query($r: ID!) { careContacts(recipientId: $r) { priority } }",
        "query($r: ID!) { careServices(recipientId: $r) { id } }",
    ):
        assert code_of(await gql(q, {"r": mine}, token=token)) == "FORBIDDEN"
    assert code_of(await gql("{ careStats { recipients } }", token=token)) == "FORBIDDEN"
    assert (
        code_of(
            await gql(
                "mutation($r: ID!) { logCareCheckIn(recipientId: $r) { day } }",
                {"r": mine},
                token=token,
            )
        )
        == "FORBIDDEN"
    )
    own = next(a for a in theirs if a["recipientId"] == mine)
    assert (
        ok(await gql(ACK, {"a": own["id"]}, token=token))["acknowledgeCareAlert"]["status"]
        == "acknowledged"
    )


async def test_revoking_consent_stops_processing_at_once(care: Care, gql, deliver, runtime) -> None:  # type: ignore[no-untyped-def]
    from plugins.care import monitor_all
    from plugins.care.models import CareActivity, CareRecipient

    firm = await care.firm()
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    _, door = await care.device(firm, rid, "door_sensor", "care_door_sensor")
    _, button = await care.device(firm, rid, "call_button", "care_call_button")
    await care.telemetry(door, {"door_open": True})
    await deliver(firm.tenant)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        assert len((await s.scalars(select(CareActivity))).all()) == 1
    assert (
        ok(await gql("mutation { careCheckIn { method } }", token=elder.token))["careCheckIn"][
            "method"
        ]
        == "self"
    )

    await care.revoke(firm, elder.person_id)
    # before the revocation event is even handled, nothing is processed any more
    await care.telemetry(button, {"pressed": True})
    await care.telemetry(door, {"door_open": False})
    r = await gql(
        "mutation($r: ID!) { logCareCheckIn(recipientId: $r) { day } }",
        {"r": rid},
        token=firm.tenant.token,
    )
    assert code_of(r) in ("FORBIDDEN", "CONFLICT")
    r = await gql(
        'mutation($r: ID!) { updateCarePlan(recipientId: $r, healthNotes: "x") { id } }',
        {"r": rid},
        token=firm.tenant.token,
    )
    assert code_of(r) == "FORBIDDEN"
    await monitor_all(runtime, now=utcnow() + timedelta(days=2), only={firm.tenant.tenant_id})
    await deliver(firm.tenant)
    assert await care.alerts(firm.tenant.token, rid) == []
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        row = await s.scalar(select(CareRecipient))
        assert row.status == "paused"
        assert (await s.scalars(select(CareActivity))).all() == []  # the trail is erased

    # consent again: care resumes, learning afresh
    await care.consent(firm, elder.person_id)
    await deliver(firm.tenant)
    listed = ok(await gql(RECIPIENTS, token=firm.tenant.token))["careRecipients"]
    assert listed[0]["status"] == "active"
    await care.telemetry(button, {"pressed": False})
    await care.telemetry(button, {"pressed": True})
    await deliver(firm.tenant)
    assert [a["kind"] for a in await care.alerts(firm.tenant.token, rid)] == ["sos"]


async def test_no_activity_fixed_rule_and_check_in(care: Care, gql, deliver, runtime) -> None:  # type: ignore[no-untyped-def]
    from plugins.care import monitor_all
    from plugins.care.models import CareRecipient

    firm = await care.firm()
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder, fallbackHours=6, checkInByMinute=1439)
    _, plug = await care.device(firm, rid, "smart_plug", "care_smart_plug")
    await care.telemetry(plug, {"switched_on": True, "power_w": 1800})
    await deliver(firm.tenant)
    now = utcnow()
    assert (
        await monitor_all(runtime, now=now + timedelta(hours=5), only={firm.tenant.tenant_id}) == 0
    )
    assert (
        await monitor_all(
            runtime, now=now + timedelta(hours=6, minutes=2), only={firm.tenant.tenant_id}
        )
        == 1
    )
    assert (
        await monitor_all(
            runtime, now=now + timedelta(hours=6, minutes=5), only={firm.tenant.tenant_id}
        )
        == 0
    )  # same quiet spell
    [alert] = await care.alerts(firm.tenant.token, rid)
    assert alert["kind"] == "no_activity" and alert["detail"]["rule"] == "fixed"
    base = ok(
        await gql(
            "query($r: ID!) { careActivityBaseline(recipientId: $r) { rule learnt quietMinutes thresholdMinutes } }",
            {"r": rid},
            token=firm.tenant.token,
        )
    )
    assert (
        base["careActivityBaseline"]["learnt"] is False
        and base["careActivityBaseline"]["thresholdMinutes"] == 360
    )

    # the elder's one tap, and a staff call on another day, count as that day's check-in
    ok(await gql("mutation { careCheckIn { method day } }", token=elder.token))
    again = ok(await gql("mutation { careCheckIn { method } }", token=elder.token))
    assert again["careCheckIn"]["method"] == "self"
    checks = ok(
        await gql(
            "query($r: ID!) { careCheckIns(recipientId: $r) { method } }",
            {"r": rid},
            token=firm.tenant.token,
        )
    )
    assert len(checks["careCheckIns"]) == 1
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        (await s.scalar(select(CareRecipient))).monitoring_since = now - timedelta(days=3)
    stats = ok(
        await gql(
            "query($s: DateTime!) { careStats(since: $s) { checkInsDue checkInsDone checkInAdherence } }",
            {"s": (now - timedelta(days=1)).isoformat()},
            token=firm.tenant.token,
        )
    )["careStats"][0]
    assert (
        stats["checkInsDone"] == 1
        and stats["checkInsDue"] >= 2
        and stats["checkInAdherence"] == round(1 / stats["checkInsDue"], 4)
    )

    # services: meal help planned and done with an encrypted note
    svc = ok(
        await gql(
            "mutation($r: ID!, $t: DateTime!) { scheduleCareService(recipientId: $r, kind: meal_help, scheduledFor: $t) { id status } }",
            {"r": rid, "t": now.isoformat()},
            token=firm.tenant.token,
        )
    )["scheduleCareService"]
    done = ok(
        await gql(
            'mutation($s: ID!) { completeCareService(serviceId: $s, note: "血压 150/95") { status hasNote } }',
            {"s": svc["id"]},
            token=firm.tenant.token,
        )
    )
    assert done["completeCareService"] == {"status": "done", "hasNote": True}


async def test_another_firm_cannot_reach_care_rows(care: Care, gql) -> None:  # type: ignore[no-untyped-def]
    a, b = await care.firm("carea"), await care.firm("careb")
    elder = await care.elder(a)
    rid = await care.enrol(a, elder)
    assert ok(await gql(DETAIL, {"id": rid}, token=b.tenant.token))["careRecipient"] is None
    assert ok(await gql(RECIPIENTS, token=b.tenant.token))["careRecipients"] == []
    r = await gql(
        "mutation($r: ID!) { updateCarePlan(recipientId: $r, marginPercent: 10) { id } }",
        {"r": rid},
        token=b.tenant.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await gql(
        "mutation($p: ID!, $c: ID!) { enrolCareRecipient(personId: $p, communityId: $c) { id } }",
        {"p": str(elder.person_id), "c": gid("Community", b.community_id)},
        token=b.tenant.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": rid}, token=b.tenant.token)
    assert r["data"]["node"] is None


async def test_the_street_office_reads_aggregates_of_its_street_only(
    care: Care, gql, runtime
) -> None:  # type: ignore[no-untyped-def]
    from kernel.identity.platform import create_platform_account

    street = f"S-{uuid.uuid4().hex[:6]}"
    a, b = await care.firm("carers", street), await care.firm("carert", "ELSEWHERE")
    await care.enrol(a, await care.elder(a))
    await care.enrol(b, await care.elder(b))
    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        await create_platform_account(
            s, username, "street office 2026", "滨江街道办", regulator_street_code=street
        )
    token = await gql.login(username, "street office 2026")
    rows = ok(
        await gql("{ careStreetStats { firm community recipients livingAlone } }", token=token)
    )["careStreetStats"]
    assert rows == [
        {
            "firm": f"{a.tenant.slug} 物业",
            "community": "幸福里社区",
            "recipients": 1,
            "livingAlone": 1,
        }
    ]
    assert "regulator.read_care_stats" in await _audit_actions(
        runtime, a.tenant.tenant_id, "regulator."
    )
    assert (
        code_of(await gql("{ careStreetStats { recipients } }", token=a.tenant.token))
        == "FORBIDDEN"
    )


async def test_the_job_alerts_on_a_quiet_spell_longer_than_the_learnt_baseline(
    care: Care, gql, runtime
) -> None:  # type: ignore[no-untyped-def]
    from plugins.care import monitor_all
    from plugins.care.baseline import local_midnight
    from plugins.care.models import CareActivity, CareRecipient

    firm = await care.firm()
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder, checkInByMinute=1439)
    today = local_midnight(utcnow())
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        recipient = await s.scalar(select(CareRecipient))
        recipient.monitoring_since = today - timedelta(days=20)
        # an hourly routine 07:00–21:00 for 14 days, and today up at 07:00 until 09:00
        hours = [
            today - timedelta(days=d) + timedelta(hours=h)
            for d in range(1, 15)
            for h in range(7, 22)
        ]
        hours += [today + timedelta(hours=h) for h in (7, 8, 9)]
        s.add_all(
            CareActivity(recipient_id=recipient.id, at=at, source="door_sensor") for at in hours
        )
    assert (
        await monitor_all(
            runtime, now=today + timedelta(hours=10, minutes=30), only={firm.tenant.tenant_id}
        )
        == 0
    )
    assert (
        await monitor_all(
            runtime, now=today + timedelta(hours=10, minutes=31), only={firm.tenant.tenant_id}
        )
        == 1
    )
    [alert] = await care.alerts(firm.tenant.token, rid)
    assert alert["kind"] == "no_activity"
    assert alert["detail"] == {"rule": "baseline_gap", "quiet_minutes": 91, "threshold_minutes": 90}
