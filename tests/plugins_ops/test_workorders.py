"""Work orders: the closed loop end to end, transitions, dispatch, SLA escalation, events,
permissions, bad input and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from ops_helpers import code_of, gid
from sqlalchemy import func, select

from kernel.sdk import utcnow
from plugins.workorders import service
from plugins.workorders.handlers import escalate_all
from plugins.workorders.models import WorkOrder

REPORT = """mutation($i: ReportWorkOrderInput!) { reportWorkOrder(input: $i) { id status priority source communityId photos { url } } }"""
ORDER = """query($id: ID!) { workOrder(id: $id) { id status rating assignee { name } history { fromStatus toStatus } } }"""


async def _setup(ops, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant("wo")
    await ops.enable(t.token, "workorders")
    estate = await ops.estate(t.tenant_id, units=[8963, 10450])
    owner_id, owner = await ops.member(t, "owner")
    await ops.own(t.tenant_id, estate.units[0], owner_id)
    tech_id, tech = await ops.member(t, "technician")
    r = await ops.gql(
        'mutation($a: ID!, $c: ID) { upsertTechnician(accountId: $a, name: "李师傅", skills: ["plumbing", "fire"], communityId: $c) { id skills } }',
        {"a": str(tech_id), "c": gid("Community", estate.community_id)},
        token=t.token,
    )
    assert not r.get("errors"), r
    return t, estate, owner, tech, r["data"]["upsertTechnician"]["id"]


async def test_closed_loop_from_resident_report_to_rating(ops, new_tenant):
    t, estate, owner, tech, tech_gid = await _setup(ops, new_tenant)
    r = await ops.gql(
        REPORT,
        {
            "i": {
                "title": "厨房水管漏水",
                "category": "plumbing",
                "unitId": gid("Unit", estate.units[0]),
                "photos": [
                    {
                        "url": "https://oss.example.cn/p/1.jpg",
                        "contentType": "image/jpeg",
                        "size": 20480,
                    }
                ],
            }
        },
        token=owner,
    )
    assert not r.get("errors"), r
    order = r["data"]["reportWorkOrder"]
    assert (
        order["status"] == "reported"
        and order["source"] == "resident"
        and order["photos"][0]["url"].endswith("1.jpg")
    )
    assert order["communityId"] == gid("Community", estate.community_id)
    oid = order["id"]

    r = await ops.gql(
        'mutation($id: ID!) { assessWorkOrder(id: $id, category: plumbing, priority: high) { status priority } }',
        {"id": oid},
        token=t.token,
    )
    assert r["data"]["assessWorkOrder"] == {"status": "assessed", "priority": "high"}
    r = await ops.gql(
        "mutation($id: ID!) { dispatchWorkOrder(id: $id) { status assignee { id name } } }",
        {"id": oid},
        token=t.token,
    )
    assert r["data"]["dispatchWorkOrder"]["assignee"]["id"] == tech_gid
    r = await ops.gql("{ myAssignments { id } }", token=tech)
    assert [o["id"] for o in r["data"]["myAssignments"]] == [oid]
    r = await ops.gql(
        "mutation($id: ID!) { startWorkOrder(id: $id) { status } }", {"id": oid}, token=tech
    )
    assert r["data"]["startWorkOrder"]["status"] == "in_progress"
    r = await ops.gql(
        'mutation($id: ID!) { resolveWorkOrder(id: $id, resolution: "更换了三通") { status } }',
        {"id": oid},
        token=tech,
    )
    assert r["data"]["resolveWorkOrder"]["status"] == "resolved"
    r = await ops.gql(
        "mutation($id: ID!) { closeWorkOrder(id: $id) { status } }", {"id": oid}, token=owner
    )
    assert r["data"]["closeWorkOrder"]["status"] == "closed"
    r = await ops.gql(
        'mutation($id: ID!) { rateWorkOrder(id: $id, rating: 5, feedback: "很及时") { rating } }',
        {"id": oid},
        token=owner,
    )
    assert r["data"]["rateWorkOrder"]["rating"] == 5
    r = await ops.gql(
        "mutation($id: ID!) { rateWorkOrder(id: $id, rating: 1) { rating } }",
        {"id": oid},
        token=owner,
    )
    assert code_of(r) == "CONFLICT"

    r = await ops.gql(ORDER, {"id": oid}, token=owner)
    steps = [(s["fromStatus"], s["toStatus"]) for s in r["data"]["workOrder"]["history"]]
    assert steps == [
        ("", "reported"),
        ("reported", "assessed"),
        ("assessed", "dispatched"),
        ("dispatched", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]

    r = await ops.gql(
        "query($c: ID) { workOrderStats(communityId: $c) { total closed closureRateBp meanRatingX100 rated meanResponseSeconds } }",
        {"c": gid("Community", estate.community_id)},
        token=t.token,
    )
    stats = r["data"]["workOrderStats"]
    assert (
        stats["total"] == 1
        and stats["closed"] == 1
        and stats["closureRateBp"] == 10000
        and stats["meanRatingX100"] == 500
    )
    assert stats["meanResponseSeconds"] is not None and stats["meanResponseSeconds"] >= 0
    types = [e.type for e in await ops.events(t.tenant_id, "workorder.")]
    assert types == [
        "workorder.reported",
        "workorder.dispatched",
        "workorder.resolved",
        "workorder.closed",
        "workorder.rated",
    ]
    # a resident may not see statistics
    r = await ops.gql("{ workOrderStats { total } }", token=owner)
    assert code_of(r) == "FORBIDDEN"


async def test_invalid_transitions_are_conflicts_and_change_nothing(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    r = await ops.gql(REPORT, {"i": {"title": "楼道灯不亮", "category": "electrical"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    for mutation, words in (
        ("startWorkOrder(id: $id) { status }", "cannot be started"),
        ("closeWorkOrder(id: $id) { status }", "cannot be closed"),
        ('resolveWorkOrder(id: $id, resolution: "x") { status }', "cannot be resolved"),
    ):
        r = await ops.gql(f"mutation($id: ID!) {{ {mutation} }}", {"id": oid}, token=t.token)
        assert code_of(r) == "CONFLICT", (mutation, r)
        assert words in r["errors"][0]["message"], r
    # no technician has the electrical skill: dispatch is refused, the order stays reported
    r = await ops.gql(
        "mutation($id: ID!) { dispatchWorkOrder(id: $id) { status } }", {"id": oid}, token=t.token
    )
    assert code_of(r) == "CONFLICT"
    r = await ops.gql(ORDER, {"id": oid}, token=t.token)
    assert (
        r["data"]["workOrder"]["status"] == "reported"
        and len(r["data"]["workOrder"]["history"]) == 1
    )
    r = await ops.gql(
        'mutation($id: ID!) { cancelWorkOrder(id: $id, reason: "误报") { status } }',
        {"id": oid},
        token=owner,
    )
    assert r["data"]["cancelWorkOrder"]["status"] == "cancelled"
    r = await ops.gql(
        'mutation($id: ID!) { assessWorkOrder(id: $id, category: electrical, priority: low) { status } }',
        {"id": oid},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"


async def test_bad_input_is_refused_and_writes_nothing(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    bad = [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "漏水", "category": "teleportation"},
        {"title": "漏水", "kind": "wish"},
        {
            "title": "漏水",
            "photos": [
                {"url": "http://insecure.example/p.jpg", "contentType": "image/jpeg", "size": 10}
            ],
        },
        {
            "title": "漏水",
            "photos": [
                {
                    "url": "https://oss.example.cn/p.exe",
                    "contentType": "application/x-msdownload",
                    "size": 10,
                }
            ],
        },
        {
            "title": "漏水",
            "photos": [
                {"url": "https://oss.example.cn/p.jpg", "contentType": "image/jpeg", "size": 0}
            ],
        },
        {"title": "漏水", "unitId": gid("Building", estate.building_id)},
    ]
    for i in bad:
        r = await ops.gql(REPORT, {"i": i}, token=owner)
        assert code_of(r) == "BAD_USER_INPUT", (i, r)
    r = await ops.gql(REPORT, {"i": {"title": "漏水", "priority": "urgent"}}, token=owner)
    assert code_of(r) == "FORBIDDEN"  # residents do not set priorities
    r = await ops.gql(
        REPORT, {"i": {"title": "漏水", "unitId": gid("Unit", estate.units[1])}}, token=owner
    )
    assert code_of(r) == "NOT_FOUND"  # not the owner's unit
    r = await ops.gql("{ myWorkOrders { edges { node { id } } } }", token=owner)
    assert r["data"]["myWorkOrders"]["edges"] == []
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(WorkOrder)) == 0
    r = await ops.gql(
        'mutation($a: ID!) { upsertTechnician(accountId: $a, name: "王", skills: ["magic"]) { id } }',
        {"a": "not-a-uuid"},
        token=t.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"


async def test_disabled_plugin_and_roles(ops, new_tenant, gql):
    t = await new_tenant("wo-off")
    r = await gql("{ workOrders { edges { node { id } } } }", token=t.token)
    assert code_of(r) == "PLUGIN_DISABLED"
    await ops.enable(t.token, "workorders")
    _, resident = await ops.member(t, "resident")
    r = await gql("{ workOrders { edges { node { id } } } }", token=resident)
    assert code_of(r) == "FORBIDDEN"
    r = await gql(
        REPORT,
        {"i": {"title": "噪音投诉", "kind": "complaint", "category": "noise"}},
        token=resident,
    )
    assert not r.get("errors"), r
    _, grid = await ops.member(t, "grid_worker")
    r = await gql(
        REPORT, {"i": {"title": "占用消防通道", "kind": "incident", "category": "fire"}}, token=grid
    )
    assert r["data"]["reportWorkOrder"]["source"] == "grid_worker"
    r = await gql(
        'mutation($id: ID!) { assessWorkOrder(id: $id, category: fire, priority: high) { status } }',
        {"id": r["data"]["reportWorkOrder"]["id"]},
        token=grid,
    )
    assert code_of(r) == "FORBIDDEN"


async def test_tenant_isolation(ops, new_tenant):
    a, estate, owner, tech, tech_gid = await _setup(ops, new_tenant)
    r = await ops.gql(REPORT, {"i": {"title": "电梯异响", "category": "plumbing"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    b = await new_tenant("wo-b")
    await ops.enable(b.token, "workorders")
    r = await ops.gql(ORDER, {"id": oid}, token=b.token)
    assert r["data"]["workOrder"] is None
    r = await ops.gql("query($id: ID!) { node(id: $id) { id } }", {"id": oid}, token=b.token)
    assert r["data"]["node"] is None
    for mutation in (
        'assessWorkOrder(id: $id, category: plumbing, priority: low) { id }',
        "dispatchWorkOrder(id: $id) { id }",
        'cancelWorkOrder(id: $id, reason: "x") { id }',
    ):
        r = await ops.gql(f"mutation($id: ID!) {{ {mutation} }}", {"id": oid}, token=b.token)
        assert code_of(r) == "NOT_FOUND", (mutation, r)
    r = await ops.gql("{ workOrders { edges { node { id } } } technicians { id } }", token=b.token)
    assert r["data"]["workOrders"]["edges"] == [] and r["data"]["technicians"] == []
    # B's staff cannot report against A's unit, nor dispatch their order to A's technician
    r = await ops.gql(
        REPORT, {"i": {"title": "x", "unitId": gid("Unit", estate.units[0])}}, token=b.token
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(REPORT, {"i": {"title": "x", "category": "plumbing"}}, token=b.token)
    boid = r["data"]["reportWorkOrder"]["id"]
    r = await ops.gql(
        "mutation($id: ID!, $t: ID) { dispatchWorkOrder(id: $id, technicianId: $t) { id } }",
        {"id": boid, "t": tech_gid},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"
    # inside A: another resident cannot see the owner's order
    _, other = await ops.member(a, "resident")
    r = await ops.gql(ORDER, {"id": oid}, token=other)
    assert r["data"]["workOrder"] is None
    r = await ops.gql(
        "mutation($id: ID!) { closeWorkOrder(id: $id) { id } }", {"id": oid}, token=other
    )
    assert code_of(r) == "NOT_FOUND"


async def test_a_technician_acts_only_on_own_assignments(ops, new_tenant):
    t, estate, owner, tech, tech_gid = await _setup(ops, new_tenant)
    other_id, other = await ops.member(t, "technician")
    r = await ops.gql(
        'mutation($a: ID!) { upsertTechnician(accountId: $a, name: "赵师傅", skills: ["plumbing"]) { id } }',
        {"a": str(other_id)},
        token=t.token,
    )
    r = await ops.gql(REPORT, {"i": {"title": "漏水", "category": "plumbing"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    r = await ops.gql(
        "mutation($id: ID!, $t: ID) { dispatchWorkOrder(id: $id, technicianId: $t) { status } }",
        {"id": oid, "t": tech_gid},
        token=t.token,
    )
    assert r["data"]["dispatchWorkOrder"]["status"] == "dispatched"
    r = await ops.gql(
        "mutation($id: ID!) { startWorkOrder(id: $id) { status } }", {"id": oid}, token=other
    )
    assert code_of(r) == "FORBIDDEN"
    r = await ops.gql(
        "mutation($id: ID!) { startWorkOrder(id: $id) { status } }", {"id": oid}, token=tech
    )
    assert r["data"]["startWorkOrder"]["status"] == "in_progress"


async def test_automatic_dispatch_prefers_skill_then_place_then_least_load(ops, new_tenant):
    import uuid

    t = await new_tenant("wo-d")
    here = await ops.estate(t.tenant_id)
    there = await ops.estate(t.tenant_id)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        anywhere = await service.upsert_technician(
            s, account_id=uuid.uuid4(), name="A 流动", skills=["elevator"]
        )
        local1 = await service.upsert_technician(
            s,
            account_id=uuid.uuid4(),
            name="B 本地",
            skills=["elevator", "plumbing"],
            community_id=here.community_id,
        )
        local2 = await service.upsert_technician(
            s,
            account_id=uuid.uuid4(),
            name="C 本地",
            skills=["elevator"],
            community_id=here.community_id,
        )
        elsewhere = await service.upsert_technician(
            s,
            account_id=uuid.uuid4(),
            name="D 外地",
            skills=["elevator"],
            community_id=there.community_id,
        )
        await service.upsert_technician(
            s,
            account_id=uuid.uuid4(),
            name="E 电工",
            skills=["electrical"],
            community_id=here.community_id,
        )
        picks = []
        for _ in range(4):
            o = await service.report(
                s, ops.runtime, title="电梯困人", category="elevator", community_id=here.community_id
            )
            o = await service.dispatch(s, ops.runtime, o.id, actor="test")
            picks.append(o.assignee_id)
        # local technicians first, alternating by load; the anywhere one only when locals are busier
        assert picks[:2] == [local1.id, local2.id]
        assert set(picks[2:]) == {local1.id, local2.id}
        o = await service.report(
            s, ops.runtime, title="电梯异响", category="elevator", community_id=there.community_id
        )
        assert (await service.dispatch(s, ops.runtime, o.id, actor="test")).assignee_id == elsewhere.id
        o = await service.report(s, ops.runtime, title="电梯异响", category="elevator")
        assert (await service.dispatch(s, ops.runtime, o.id, actor="test")).assignee_id == anywhere.id


async def test_device_alarm_and_passed_proposal_open_orders_once(ops, new_tenant):
    t, estate, owner, tech, tech_gid = await _setup(ops, new_tenant)
    payload = {
        "device_id": "dev-1",
        "alarm_id": "al-77",
        "alarm_type": "smoke",
        "work_order_category": "fire",  # the alarm rule's own (AlarmRule.work_order_category)
        "severity": "critical",
        "place": {"community_id": str(estate.community_id), "label": "1幢 电井"},
    }
    await ops.publish(t.tenant_id, "device.alarm_raised", payload)
    await ops.publish(t.tenant_id, "device.alarm_raised", payload)  # the same alarm again
    await ops.publish(
        t.tenant_id,
        "device.alarm_raised",
        {"nonsense": [1, 2], "place": 42, "community_id": "not-a-uuid"},
    )
    await ops.publish(
        t.tenant_id,
        "governance.proposal_passed",
        {
            "proposal_id": "p-1",
            "community_id": str(estate.community_id),
            "title": "更换2号楼水泵",
            "matter": "repair",
        },
    )
    await ops.publish(
        t.tenant_id,
        "governance.proposal_passed",
        {
            "proposal_id": "p-2",
            "community_id": str(estate.community_id),
            "title": "选举业委会",
            "matter": "COMMITTEE_ELECTION",
        },
    )
    await ops.publish(
        t.tenant_id,
        "governance.proposal_passed",
        {
            "proposal_id": "p-3",
            "community_id": str(estate.community_id),
            "title": "外墙渗水维修",
            "matter": "USE_FUND",
        },
    )
    await ops.deliver(t.tenant_id)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        rows = {o.source_ref: o for o in await s.scalars(select(WorkOrder))}
    assert set(rows) == {"alarm:al-77", "proposal:p-1", "proposal:p-3"} | {
        k for k in rows if k.startswith("alarm:") and k != "alarm:al-77"
    }
    assert len(rows) == 4
    smoke = rows["alarm:al-77"]
    assert (smoke.kind, smoke.category, smoke.priority, smoke.source, smoke.location) == (
        "incident",
        "fire",
        "urgent",
        "device_alarm",
        "1幢 电井",
    )
    assert (
        smoke.status == "dispatched" and smoke.community_id == estate.community_id
    )  # the fire-skilled technician on site
    garbage = next(o for k, o in rows.items() if not k.startswith(("alarm:al-77", "proposal:")))
    assert garbage.community_id is None and garbage.category == "other"
    assert rows["proposal:p-1"].source == "governance" and rows["proposal:p-1"].title.endswith(
        "更换2号楼水泵"
    )


async def test_sla_escalation_publishes_once_per_level(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    r = await ops.gql(REPORT, {"i": {"title": "化粪池满溢", "category": "sanitation"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    assert await escalate_all(ops.runtime, only={t.tenant_id}) == 0
    assert (
        await escalate_all(ops.runtime, only={t.tenant_id}, now=utcnow() + timedelta(hours=9)) == 1
    )  # past the 8 h response SLA
    assert (
        await escalate_all(ops.runtime, only={t.tenant_id}, now=utcnow() + timedelta(hours=10)) == 0
    )
    assert (
        await escalate_all(ops.runtime, only={t.tenant_id}, now=utcnow() + timedelta(hours=73)) == 1
    )  # past the 72 h resolution SLA
    events = await ops.events(t.tenant_id, "workorder.escalated")
    assert [e.payload["level"] for e in events] == [1, 2]
    assert events[-1].payload["priority"] == "high"  # escalated once in priority
    r = await ops.gql(
        "query($id: ID!) { workOrder(id: $id) { escalationLevel priority } }",
        {"id": oid},
        token=t.token,
    )
    assert r["data"]["workOrder"] == {"escalationLevel": 2, "priority": "high"}


async def test_a_registered_devices_alarm_opens_an_order_at_the_devices_place(ops, new_tenant):
    """The kernel's alarm payload carries no place: it is looked up in the device registry."""
    from kernel.sdk import devices

    t, estate, owner, tech, tech_gid = await _setup(ops, new_tenant)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        device, _ = await devices.registry.provision(
            s,
            devices.profiles(ops.runtime),
            tenant_id=t.tenant_id,
            name="2号电梯监测",
            type="elevator_monitor",
            place_kind="building",
            place_id=estate.building_id,
            community_id=estate.community_id,
        )
    payload = {
        "alarm_id": str(device.id),
        "device_id": str(device.id),
        "rule": "passenger_trapped",
        "severity": "critical",
        "status": "active",
        "count": 1,
        "details": {},
        "device_name": device.name,
        "work_order_category": "elevator",  # the profile's rule declares it; the kernel sends it
    }
    await ops.publish(t.tenant_id, "device.alarm_raised", payload)
    await ops.deliver(t.tenant_id)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        order = await s.scalar(select(WorkOrder).where(WorkOrder.source == "device_alarm"))
    assert (order.category, order.priority, order.community_id, order.location) == (
        "elevator",
        "urgent",
        estate.community_id,
        "2号电梯监测",
    )
    assert order.status == "reported"  # nobody has the elevator skill: left for staff


async def test_photo_upload_with_presigned_links(ops, new_tenant):
    import time

    from plugins.workorders import photos

    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 2044
    r = await ops.gql(
        'mutation($s: Int!) { requestWorkOrderPhotoUpload(contentType: "image/jpeg", size: $s) { uploadUrl url expiresAt } }',
        {"s": len(jpeg)},
        token=owner,
    )
    up = r["data"]["requestWorkOrderPhotoUpload"]
    http = ops.gql.http
    assert (
        await http.put(up["uploadUrl"].replace("sig=", "sig=0"), content=jpeg)
    ).status_code == 403
    assert (await http.put(up["uploadUrl"], content=jpeg[:-1])).status_code == 400
    assert (await http.put(up["uploadUrl"], content=b"GIF89a" + jpeg[6:])).status_code == 400
    resp = await http.put(up["uploadUrl"], content=jpeg)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"url": up["url"], "content_type": "image/jpeg", "size": len(jpeg)}
    assert (await http.put(up["uploadUrl"], content=jpeg)).status_code == 409
    expired, _, _ = photos.upload_url(
        ops.runtime.settings.secret_key, t.tenant_id, "image/png", 10, now=time.time() - 3600
    )
    assert (await http.put(expired, content=b"\x89PNG\r\n\x1a\n\x00\x00")).status_code == 403

    photo = {"url": up["url"], "contentType": "image/jpeg", "size": len(jpeg)}
    r = await ops.gql(
        REPORT.replace("photos { url }", "photos { url viewUrl }"),
        {"i": {"title": "墙面开裂", "photos": [photo]}},
        token=owner,
    )
    view = r["data"]["reportWorkOrder"]["photos"][0]["viewUrl"]
    assert view.startswith(up["url"] + "?expires=")
    resp = await http.get(view)
    assert (
        resp.status_code == 200
        and resp.content == jpeg
        and resp.headers["content-type"] == "image/jpeg"
    )
    assert (await http.get(up["url"])).status_code == 403  # no signature, no photo
    b = await new_tenant("wo-photo-b")
    await ops.enable(b.token, "workorders")
    r = await ops.gql(REPORT, {"i": {"title": "盗用照片", "photos": [photo]}}, token=b.token)
    assert code_of(r) == "BAD_USER_INPUT"


CHANGES = "subscription { workOrderChanges { event workOrderId status priority escalationLevel } }"


async def _subscribe(runtime, gql, token, contexts, query=CHANGES):  # type: ignore[no-untyped-def]
    """A GraphQL subscription as a WebSocket client would open it on ``runtime``'s gateway."""
    from types import SimpleNamespace

    from gateway.context import open_context

    request = SimpleNamespace(headers={"authorization": f"Bearer {token}"}, client=None)
    contexts.append(await open_context(runtime, request, "sub"))
    return await gql.app.state.schema.subscribe(query, context_value=contexts[-1])


async def _until_listening(runtime, *tenant_ids) -> None:  # type: ignore[no-untyped-def]
    """Until the subscriptions' first step ran: the hub LISTENs (PostgreSQL) and holds a queue
    for each tenant — a change committed from then on reaches them."""
    import asyncio

    from plugins.workorders.live import hub

    for _ in range(400):
        if all(hub(runtime)._subscribers.get(t) for t in tenant_ids):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the subscriptions did not start")


async def test_staff_subscription_streams_committed_changes_of_own_tenant_only(
    ops, new_tenant, runtime
):
    import asyncio

    from gateway.context import close_context

    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    b = await new_tenant("wo-sub-b")
    await ops.enable(b.token, "workorders")
    contexts: list = []  # type: ignore[type-arg]

    denied = await _subscribe(runtime, ops.gql, owner, contexts)
    first = await denied.__anext__() if hasattr(denied, "__anext__") else denied
    assert first.errors and first.errors[0].extensions["code"] == "FORBIDDEN"
    staff = await _subscribe(runtime, ops.gql, t.token, contexts)
    nxt = asyncio.ensure_future(staff.__anext__())
    await _until_listening(runtime, t.tenant_id)
    # another tenant's order, and a request rolled back as a whole: nothing arrives
    await ops.gql(REPORT, {"i": {"title": "别家的工单"}}, token=b.token)
    r = await ops.gql(
        'mutation { a: reportWorkOrder(input: {title: "会回滚"}) { id } b: reportWorkOrder(input: {title: ""}) { id } }',
        token=owner,
    )
    assert code_of(r) == "BAD_USER_INPUT"
    r = await ops.gql(REPORT, {"i": {"title": "门禁坏了", "category": "security"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    got = await asyncio.wait_for(nxt, 5)
    assert not got.errors, got.errors
    assert got.data["workOrderChanges"] == {
        "event": "reported",
        "workOrderId": oid,
        "status": "reported",
        "priority": "normal",
        "escalationLevel": None,
    }
    await staff.aclose()
    for ctx in contexts:
        await close_context(ctx)


class _RolledBack(Exception):
    pass


async def test_changes_committed_in_the_worker_reach_gateway_subscribers(
    ops, new_tenant, runtime, make_runtime, recorder, linli_backend
):
    """A gateway (the test's runtime, serving GraphQL) and ``linli worker`` (a second Runtime:
    its own pool and LISTEN connection) over one PostgreSQL database. The SLA job and an event
    handler running in the worker reach the gateway's subscribers through LISTEN/NOTIFY; a
    rolled-back escalation does not; another tenant's subscriber hears none of it."""
    import asyncio

    import pytest

    from gateway.context import close_context
    from kernel import notify
    from plugins.workorders.live import hub

    if linli_backend != "postgres":
        pytest.skip("several processes share a database on PostgreSQL only")
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    b = await new_tenant("wo-mp-b")
    await ops.enable(b.token, "workorders")
    worker = make_runtime(extra_plugins=[recorder])
    r = await ops.gql(REPORT, {"i": {"title": "化粪池满溢", "category": "sanitation"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]

    contexts: list = []  # type: ignore[type-arg]
    staff = await _subscribe(runtime, ops.gql, t.token, contexts)
    other = await _subscribe(runtime, ops.gql, b.token, contexts)
    staff_next = asyncio.ensure_future(staff.__anext__())
    other_next = asyncio.ensure_future(other.__anext__())
    await _until_listening(runtime, t.tenant_id, b.tenant_id)
    gateway = notify.notifier(runtime)

    # an escalation the worker rolls back: nothing is heard
    with pytest.raises(_RolledBack):
        async with worker.db.tenant(t.tenant_id) as s:
            late = utcnow() + timedelta(hours=9)
            assert len(await service.escalate_overdue(s, worker, t.tenant_id, now=late)) == 1
            raise _RolledBack
    await gateway.settle()
    assert not staff_next.done()

    # the worker's SLA job commits an escalation
    assert await escalate_all(worker, only={t.tenant_id}, now=utcnow() + timedelta(hours=9)) == 1
    await gateway.settle()
    got = await asyncio.wait_for(staff_next, 5)
    assert not got.errors, got.errors
    assert got.data["workOrderChanges"] == {
        "event": "escalated",
        "workOrderId": oid,
        "status": "reported",
        "priority": "normal",
        "escalationLevel": 1,
    }

    # an event handler in the worker opens (and auto-dispatches) an order from a device alarm
    alarm = {
        "device_id": "dev-mp",
        "alarm_id": "al-mp",
        "alarm_type": "smoke",
        "work_order_category": "fire",  # the alarm rule's own (AlarmRule.work_order_category)
        "severity": "critical",
        "place": {"community_id": str(estate.community_id), "label": "1幢 电井"},
    }
    await ops.publish(t.tenant_id, "device.alarm_raised", alarm)
    await worker.outbox.drain(t.tenant_id)
    await gateway.settle()
    seen = [
        (await asyncio.wait_for(staff.__anext__(), 5)).data["workOrderChanges"] for _ in range(2)
    ]
    assert [(c["event"], c["status"], c["priority"]) for c in seen] == [
        ("reported", "reported", "urgent"),
        ("dispatched", "dispatched", "urgent"),
    ]
    assert seen[0]["workOrderId"] == seen[1]["workOrderId"] != oid
    # heard once each (through LISTEN only), and never by the other tenant's subscriber
    assert [q.qsize() for q in hub(runtime)._subscribers[t.tenant_id]] == [0]
    assert not other_next.done()
    assert hub(worker)._subscribers == {}  # the worker has no subscribers of its own

    # the other tenant's subscription is live: its own change (committed on the gateway) arrives
    r = await ops.gql(REPORT, {"i": {"title": "别家的工单"}}, token=b.token)
    await gateway.settle()
    got = await asyncio.wait_for(other_next, 5)
    assert got.data["workOrderChanges"]["workOrderId"] == r["data"]["reportWorkOrder"]["id"]
    for stream in (staff, other):
        await stream.aclose()
    for ctx in contexts:
        await close_context(ctx)


def field_of(result: dict) -> str | None:  # type: ignore[type-arg]
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("field") if errors else None


async def _audit_rows(ops, tenant_id):  # type: ignore[no-untyped-def]
    from kernel.audit import AuditEntry

    async with ops.runtime.db.tenant(tenant_id) as s:
        return (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor, AuditEntry.target)
                .where(AuditEntry.action.like("workorders.%"))
                .order_by(AuditEntry.seq)
            )
        ).all()


async def test_the_service_audits_and_announces_each_change_as_the_caller(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    unit = gid("Unit", estate.units[0])
    r = await ops.gql(
        REPORT, {"i": {"title": "楼道漏水", "category": "plumbing", "unitId": unit}}, token=owner
    )
    oid = r["data"]["reportWorkOrder"]["id"]
    for mutation, token in (
        ("dispatchWorkOrder(id: $id) { status }", t.token),
        ("startWorkOrder(id: $id) { status }", tech),
        ('resolveWorkOrder(id: $id, resolution: "修好了") { status }', tech),
        ('reopenWorkOrder(id: $id, reason: "还在漏") { status }', owner),
        ('resolveWorkOrder(id: $id, resolution: "换了管子") { status }', tech),
        ("closeWorkOrder(id: $id) { status }", owner),
        ("rateWorkOrder(id: $id, rating: 4) { status }", owner),
    ):
        r = await ops.gql(f"mutation($id: ID!) {{ {mutation} }}", {"id": oid}, token=token)
        assert not r.get("errors"), (mutation, r)
    rows = await _audit_rows(ops, t.tenant_id)
    assert [a for a, _, _ in rows] == [
        "workorders.technician_saved",  # _setup's technician, by the admin
        "workorders.reported",
        "workorders.dispatched",
        "workorders.started",
        "workorders.resolved",
        "workorders.reopened",
        "workorders.resolved",
        "workorders.closed",
        "workorders.rated",
    ]
    by_action = {a: actor for a, actor, _ in rows}
    assert by_action["workorders.reported"] == by_action["workorders.closed"]  # the owner
    assert by_action["workorders.started"] != by_action["workorders.reported"]  # the technician
    assert all(actor.startswith("account:") for _, actor, _ in rows)
    events = await ops.events(t.tenant_id, "workorder.")
    assert [e.type for e in events] == [
        "workorder.reported",
        "workorder.dispatched",
        "workorder.resolved",
        "workorder.resolved",
        "workorder.closed",
        "workorder.rated",
    ]
    assert events[0].actor == by_action["workorders.reported"] and events[-1].payload["rating"] == 4


async def test_an_alarm_opens_an_order_announced_once_and_audited_as_the_event(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    alarm = {
        "device_id": "dev-9",
        "alarm_id": "al-9",
        "alarm_type": "smoke",
        "work_order_category": "fire",  # the alarm rule's own (AlarmRule.work_order_category)
        "severity": "critical",
        "place": {"community_id": str(estate.community_id), "label": "2幢 电井"},
    }
    await ops.publish(t.tenant_id, "device.alarm_raised", alarm)
    await ops.publish(t.tenant_id, "device.alarm_raised", alarm)  # redelivered
    await ops.deliver(t.tenant_id)  # the handler opens the order; its events go out next
    events = await ops.events(t.tenant_id, "workorder.")
    assert [e.type for e in events] == ["workorder.reported", "workorder.dispatched"]
    assert events[0].payload["source_ref"] == "alarm:al-9"
    rows = await _audit_rows(ops, t.tenant_id)
    assert [(a, actor) for a, actor, _ in rows[1:]] == [
        ("workorders.reported", "event:device.alarm_raised"),
        ("workorders.dispatched", "system"),
    ]
    assert rows[1][2] == rows[2][2] == events[0].payload["work_order_id"]


async def test_bad_input_names_the_field(ops, new_tenant):
    t, estate, owner, tech, _ = await _setup(ops, new_tenant)
    photo = {"url": "https://oss.example.cn/p.jpg", "contentType": "image/jpeg", "size": 10}
    for i, field in (
        ({"title": "   "}, "title"),
        ({"title": "漏水", "location": "x" * 201}, "location"),
        ({"title": "漏水", "description": "x" * 5001}, "description"),
        ({"title": "漏水", "photos": [photo] * 10}, "photos"),
        ({"title": "漏水", "photos": [{**photo, "size": 0}]}, "photos"),
        ({"title": "漏水", "photos": [{**photo, "url": "/plugins/workorders/photos/x/a.jpg"}]}, "photos"),
    ):
        r = await ops.gql(REPORT, {"i": i}, token=owner)
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (i, r)
    r = await ops.gql(REPORT, {"i": {"title": "漏水"}}, token=owner)
    oid = r["data"]["reportWorkOrder"]["id"]
    for mutation, field in (
        ('cancelWorkOrder(id: $id, reason: "  ") { status }', "reason"),
        ('resolveWorkOrder(id: $id, resolution: "") { status }', "resolution"),
        ("rateWorkOrder(id: $id, rating: 6) { status }", "rating"),
    ):
        r = await ops.gql(f"mutation($id: ID!) {{ {mutation} }}", {"id": oid}, token=t.token)
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (mutation, r)
    tech_id, _ = await ops.member(t, "technician")
    for args, field in (
        ('name: " ", skills: ["fire"]', "name"),
        ('name: "王", skills: []', "skills"),
        ('name: "王", skills: ["fire", "magic"]', "skills"),
    ):
        r = await ops.gql(
            f"mutation($a: ID!) {{ upsertTechnician(accountId: $a, {args}) {{ id }} }}",
            {"a": str(tech_id)},
            token=t.token,
        )
        assert (code_of(r), field_of(r)) == ("BAD_USER_INPUT", field), (args, r)
