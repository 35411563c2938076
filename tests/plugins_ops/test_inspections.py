"""Inspections: routes, schedules, rounds, findings; a defect opens a work order via the bus;
bad input, roles and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from ops_helpers import code_of, gid
from sqlalchemy import func, select

from kernel.sdk import utcnow
from plugins.inspections import open_due_rounds_all
from plugins.inspections.models import Finding, InspectionRoute
from plugins.workorders.models import WorkOrder

ROUTE = """mutation($c: ID!, $n: String!, $cp: [CheckpointInput!]!) {
  createInspectionRoute(communityId: $c, name: $n, checkpoints: $cp) { id name checkpoints { id seq name category } } }"""
CHECKPOINTS = [
    {"name": "1号消防栓", "location": "1幢东侧", "category": "fire"},
    {"name": "水泵房", "location": "地下一层", "category": "plumbing"},
    {"name": "东门岗亭", "location": "东门", "category": "security"},
]
FINDING = """mutation($r: ID!, $cp: ID!, $ok: Boolean!, $note: String!, $sev: FindingSeverity!) {
  recordInspectionFinding(roundId: $r, checkpointId: $cp, ok: $ok, note: $note, severity: $sev) { id result category workOrderId } }"""


async def _setup(ops, new_tenant, *plugins):  # type: ignore[no-untyped-def]
    t = await new_tenant("insp")
    await ops.enable(t.token, "inspections", *plugins)
    estate = await ops.estate(t.tenant_id)
    r = await ops.gql(
        ROUTE,
        {"c": gid("Community", estate.community_id), "n": "夜间巡逻", "cp": CHECKPOINTS},
        token=t.token,
    )
    assert not r.get("errors"), r
    return t, estate, r["data"]["createInspectionRoute"]


async def test_scheduled_round_with_a_defect_opens_a_work_order(ops, new_tenant):
    t, estate, route = await _setup(ops, new_tenant, "workorders")
    due = utcnow() + timedelta(hours=1)
    r = await ops.gql(
        "mutation($r: ID!, $d: DateTime!) { createInspectionSchedule(routeId: $r, intervalHours: 12, firstDueAt: $d) { id nextDueAt } }",
        {"r": route["id"], "d": due.isoformat()},
        token=t.token,
    )
    assert not r.get("errors"), r
    assert await open_due_rounds_all(ops.runtime, only={t.tenant_id}) == 0
    assert (
        await open_due_rounds_all(ops.runtime, now=due + timedelta(minutes=1), only={t.tenant_id})
        == 1
    )
    assert (
        await open_due_rounds_all(ops.runtime, now=due + timedelta(minutes=2), only={t.tenant_id})
        == 0
    )  # next one in 12 h
    assert len(await ops.events(t.tenant_id, "inspection.round_due")) == 1

    _, grid = await ops.member(t, "grid_worker")
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id status dueAt } }",
        {"r": route["id"]},
        token=grid,
    )
    rnd = r["data"]["startInspectionRound"]
    assert (
        rnd["status"] == "in_progress" and rnd["dueAt"] is not None
    )  # took over the scheduled round
    cps = route["checkpoints"]
    r = await ops.gql(
        FINDING,
        {"r": rnd["id"], "cp": cps[0]["id"], "ok": True, "note": "", "sev": "normal"},
        token=grid,
    )
    assert r["data"]["recordInspectionFinding"]["result"] == "ok"
    r = await ops.gql(
        FINDING,
        {
            "r": rnd["id"],
            "cp": cps[1]["id"],
            "ok": False,
            "note": "水泵漏水，地面积水",
            "sev": "high",
        },
        token=grid,
    )
    finding = r["data"]["recordInspectionFinding"]
    assert (finding["result"], finding["category"], finding["workOrderId"]) == (
        "defect",
        "plumbing",
        None,
    )
    r = await ops.gql(
        "mutation($r: ID!) { finishInspectionRound(roundId: $r) { status missed } }",
        {"r": rnd["id"]},
        token=grid,
    )
    assert r["data"]["finishInspectionRound"] == {"status": "completed", "missed": 1}

    await ops.deliver(t.tenant_id)  # workorders opens the order, publishes workorder.reported
    await ops.deliver(t.tenant_id)  # inspections links it back to the finding
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        order = await s.scalar(select(WorkOrder))
    assert (order.source, order.kind, order.category, order.priority, order.community_id) == (
        "inspection",
        "incident",
        "plumbing",
        "high",
        estate.community_id,
    )
    assert order.title.endswith("水泵房") and order.location == "地下一层"
    r = await ops.gql(
        "query($id: ID!) { inspectionRound(id: $id) { findings { result workOrderId } } }",
        {"id": rnd["id"]},
        token=t.token,
    )
    assert r["data"]["inspectionRound"]["findings"][1] == {
        "result": "defect",
        "workOrderId": gid("WorkOrder", order.id),
    }
    r = await ops.gql(
        "query($id: ID!) { workOrder(id: $id) { source status } }",
        {"id": gid("WorkOrder", order.id)},
        token=t.token,
    )
    assert r["data"]["workOrder"]["source"] == "inspection"


async def test_without_workorders_a_defect_is_recorded_but_opens_nothing(ops, new_tenant):
    t, estate, route = await _setup(ops, new_tenant)
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=t.token,
    )
    rid = r["data"]["startInspectionRound"]["id"]
    r = await ops.gql(
        FINDING,
        {
            "r": rid,
            "cp": route["checkpoints"][0]["id"],
            "ok": False,
            "note": "消防栓无水",
            "sev": "urgent",
        },
        token=t.token,
    )
    assert r["data"]["recordInspectionFinding"]["result"] == "defect"
    assert len(await ops.events(t.tenant_id, "inspection.finding_reported")) == 1
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(WorkOrder)) == 0


async def test_bad_input_and_invalid_states(ops, new_tenant):
    t, estate, route = await _setup(ops, new_tenant)
    c = gid("Community", estate.community_id)
    for name, cps in (
        ("", CHECKPOINTS),
        ("空路线", []),
        ("坏类别", [{"name": "x", "category": "magic"}]),
        ("无名", [{"name": " "}]),
    ):
        r = await ops.gql(ROUTE, {"c": c, "n": name, "cp": cps}, token=t.token)
        assert code_of(r) == "BAD_USER_INPUT", (name, r)
    r = await ops.gql(ROUTE, {"c": c, "n": "夜间巡逻", "cp": CHECKPOINTS}, token=t.token)
    assert code_of(r) == "CONFLICT"
    r = await ops.gql(ROUTE, {"c": c, "n": "白班", "cp": CHECKPOINTS[:1]}, token=t.token)
    other_cp = r["data"]["createInspectionRoute"]["checkpoints"][0]["id"]
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(InspectionRoute)) == 2
    for hours in (0, 24 * 32):
        r = await ops.gql(
            'mutation($r: ID!, $h: Int!) { createInspectionSchedule(routeId: $r, intervalHours: $h, firstDueAt: "2026-12-01T08:00:00+08:00") { id } }',
            {"r": route["id"], "h": hours},
            token=t.token,
        )
        assert code_of(r) == "BAD_USER_INPUT"
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=t.token,
    )
    rid = r["data"]["startInspectionRound"]["id"]
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"  # one round of a route at a time
    cp = route["checkpoints"][0]["id"]
    r = await ops.gql(
        FINDING, {"r": rid, "cp": other_cp, "ok": True, "note": "", "sev": "normal"}, token=t.token
    )
    assert code_of(r) == "BAD_USER_INPUT"  # not on this route
    r = await ops.gql(
        FINDING, {"r": rid, "cp": cp, "ok": False, "note": "", "sev": "normal"}, token=t.token
    )
    assert code_of(r) == "BAD_USER_INPUT"  # a defect needs a description
    r = await ops.gql(
        FINDING, {"r": rid, "cp": cp, "ok": True, "note": "", "sev": "apocalyptic"}, token=t.token
    )
    assert code_of(r) == "BAD_USER_INPUT"
    r = await ops.gql(
        FINDING,
        {"r": rid, "cp": route["id"], "ok": True, "note": "", "sev": "normal"},
        token=t.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"  # an id of the wrong type
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Finding)) == 0
    r = await ops.gql(
        FINDING, {"r": rid, "cp": cp, "ok": True, "note": "", "sev": "normal"}, token=t.token
    )
    assert not r.get("errors"), r
    r = await ops.gql(
        FINDING, {"r": rid, "cp": cp, "ok": True, "note": "", "sev": "normal"}, token=t.token
    )
    assert code_of(r) == "CONFLICT"
    await ops.gql(
        "mutation($r: ID!) { finishInspectionRound(roundId: $r) { status } }",
        {"r": rid},
        token=t.token,
    )
    r = await ops.gql(
        FINDING,
        {"r": rid, "cp": route["checkpoints"][1]["id"], "ok": True, "note": "", "sev": "normal"},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"
    r = await ops.gql(
        "mutation($r: ID!) { finishInspectionRound(roundId: $r) { status } }",
        {"r": rid},
        token=t.token,
    )
    assert code_of(r) == "CONFLICT"


async def test_roles_disabled_plugin_and_tenant_isolation(ops, new_tenant):
    a, estate, route = await _setup(ops, new_tenant)
    _, resident = await ops.member(a, "resident")
    r = await ops.gql("{ inspectionRoutes { id } }", token=resident)
    assert code_of(r) == "FORBIDDEN"
    _, tech = await ops.member(a, "technician")
    r = await ops.gql(
        ROUTE,
        {"c": gid("Community", estate.community_id), "n": "技工路线", "cp": CHECKPOINTS},
        token=tech,
    )
    assert code_of(r) == "FORBIDDEN"
    b = await new_tenant("insp-b")
    r = await ops.gql("{ inspectionRoutes { id } }", token=b.token)
    assert code_of(r) == "PLUGIN_DISABLED"
    await ops.enable(b.token, "inspections")
    r = await ops.gql(
        "query($id: ID!) { inspectionRoutes { id } node(id: $id) { id } }",
        {"id": route["id"]},
        token=b.token,
    )
    assert r["data"] == {"inspectionRoutes": [], "node": None}
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(
        ROUTE,
        {"c": gid("Community", estate.community_id), "n": "越界", "cp": CHECKPOINTS},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=a.token,
    )
    rid = r["data"]["startInspectionRound"]["id"]
    r = await ops.gql(
        "query($id: ID!) { inspectionRound(id: $id) { id } }", {"id": rid}, token=b.token
    )
    assert r["data"]["inspectionRound"] is None
    r = await ops.gql(
        FINDING,
        {"r": rid, "cp": route["checkpoints"][0]["id"], "ok": True, "note": "", "sev": "normal"},
        token=b.token,
    )
    assert code_of(r) == "NOT_FOUND"


async def test_deleting_a_tenant_removes_all_operations_data(ops, new_tenant):
    """Composite foreign keys between the three plugins' tables and the estate must not block
    `linli tenant delete` (children are deleted before parents)."""
    from plugins.fees.models import Bill
    from tenants.lifecycle import delete_tenant

    t, estate, route = await _setup(ops, new_tenant, "workorders", "fees")
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }",
        {"r": route["id"]},
        token=t.token,
    )
    rid = r["data"]["startInspectionRound"]["id"]
    await ops.gql(
        FINDING,
        {"r": rid, "cp": route["checkpoints"][0]["id"], "ok": False, "note": "漏水", "sev": "high"},
        token=t.token,
    )
    await ops.deliver(t.tenant_id)
    await ops.deliver(t.tenant_id)
    r = await ops.gql(
        'mutation { createFeeItem(input: {code: "PROP", name: "物业费", kind: area, unitPrice: 235}) { id } }',
        token=t.token,
    )
    r = await ops.gql('mutation { runBilling(period: "2026-11") { billsCreated } }', token=t.token)
    assert r["data"]["runBilling"]["billsCreated"] == 1
    await delete_tenant(ops.runtime, t.slug)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        for model in (WorkOrder, Finding, InspectionRoute, Bill):
            assert await s.scalar(select(func.count()).select_from(model)) == 0


async def test_the_service_audits_each_change_as_the_caller(ops, new_tenant):
    from kernel.audit import AuditEntry

    t, estate, route = await _setup(ops, new_tenant)
    r = await ops.gql("mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }", {"r": route["id"]}, token=t.token)
    rid = r["data"]["startInspectionRound"]["id"]
    r = await ops.gql("mutation($r: ID!) { finishInspectionRound(roundId: $r) { missed } }", {"r": rid}, token=t.token)
    assert r["data"]["finishInspectionRound"]["missed"] == 3
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        rows = (await s.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.detail).where(AuditEntry.action.like("inspections.%")).order_by(AuditEntry.seq))).all()
    assert [a for a, _, _ in rows] == ["inspections.route_created", "inspections.round_started", "inspections.round_finished"]
    assert len({actor for _, actor, _ in rows}) == 1 and rows[0][1].startswith("account:")
    assert rows[0][2] == {"checkpoints": 3} and rows[2][2] == {"missed": 3}


async def test_bad_input_names_the_field_and_writes_nothing(ops, new_tenant):
    t, estate, route = await _setup(ops, new_tenant)
    community = gid("Community", estate.community_id)

    def field_of(r):  # type: ignore[no-untyped-def]
        return (code_of(r), (r.get("errors") or [{}])[0].get("extensions", {}).get("field"))

    for name, checkpoints, field in (
        ("  ", CHECKPOINTS, "name"),
        ("新路线", [], "checkpoints"),
        ("新路线", [{"name": " ", "location": "x", "category": "fire"}], "checkpoints"),
        ("新路线", [{"name": "泵房", "location": "x" * 201, "category": "fire"}], "checkpoints"),
    ):
        r = await ops.gql(ROUTE, {"c": community, "n": name, "cp": checkpoints}, token=t.token)
        assert field_of(r) == ("BAD_USER_INPUT", field), (name, checkpoints, r)
    schedule = "mutation($r: ID!, $h: Int!, $d: DateTime!) { createInspectionSchedule(routeId: $r, intervalHours: $h, firstDueAt: $d) { id } }"
    due = (utcnow() + timedelta(hours=1)).isoformat()
    r = await ops.gql(schedule, {"r": route["id"], "h": 0, "d": due}, token=t.token)
    assert field_of(r) == ("BAD_USER_INPUT", "intervalHours")
    r = await ops.gql(
        "mutation($r: ID!) { startInspectionRound(routeId: $r) { id } }", {"r": route["id"]}, token=t.token
    )
    rid, cp = r["data"]["startInspectionRound"]["id"], route["checkpoints"][0]["id"]
    for ok, note, severity, field in ((False, "  ", "normal", "note"), (True, "", "dire", "severity"), (True, "x" * 2001, "normal", "note")):
        r = await ops.gql(FINDING, {"r": rid, "cp": cp, "ok": ok, "note": note, "sev": severity}, token=t.token)
        assert field_of(r) == ("BAD_USER_INPUT", field), (ok, note, severity, r)
    async with ops.runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(InspectionRoute)) == 1
        assert await s.scalar(select(func.count()).select_from(Finding)) == 0
