"""Grid governance end to end: the plugin switch and permissions, tenant isolation, a grid worker
confined to their grid, consent for a check-in's location, missed checkpoints with explicit times,
incidents to a work order and to the street office, and the vulnerable residents' follow-up."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from strawberry import relay

from kernel.sdk import Event, utcnow
from tests.grid.conftest import GridKit, code_of, gid, ok

GRIDS = "{ grids { id name buildingIds members { role } } }"
CHECK_IN = "mutation($t: String!, $la: Float, $lo: Float) { patrolCheckIn(tagCode: $t, latitude: $la, longitude: $lo) { id at hasLocation by } }"
REPORT = 'mutation($c: ID!, $b: ID, $p: String!, $k: GridIncidentCategory!) { reportGridIncident(communityId: $c, buildingId: $b, place: $p, category: $k, description: "楼道灯不亮", photoRef: "files/abc.jpg") { id status gridId } }'
ROUTE = 'mutation($i: ID!, $to: GridIncidentRoute!) { routeGridIncident(incidentId: $i, to: $to, note: "已转交") { status workOrderStatus } }'
MINE = "{ myGridIncidents { id status workOrderId workOrderStatus closedAt resolution updates { kind note } } }"
PATROL_LOCATION = "grid.patrol_location"
FOLLOW_UP = "grid.vulnerable_follow_up"


async def test_plugin_switch_and_permissions(kit: GridKit, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("gridx")
    assert code_of(await kit.q(GRIDS, token=t.token)) == "PLUGIN_DISABLED"
    firm = await kit.firm()
    resident = await actor(firm.tenant, "resident")
    assert code_of(await kit.q(GRIDS, token=resident.token)) == "FORBIDDEN"
    assert code_of(await kit.q(CHECK_IN, {"t": "x"}, token=resident.token)) == "FORBIDDEN"
    listed = ok(await kit.q(GRIDS, token=firm.tenant.token))["grids"]
    assert sorted(g["name"] for g in listed) == ["第一网格", "第二网格"]
    assert all(
        len(g["buildingIds"]) == 1 and g["members"] == [{"role": "grid_worker"}] for g in listed
    )
    # a building is in one grid; a login needs the role to be a member; names are unique
    r = await kit.q(
        "mutation($g: ID!, $b: ID!) { addGridBuilding(gridId: $g, buildingId: $b) { id } }",
        {"g": firm.grids[1], "b": gid("Building", firm.buildings[0])},
        token=firm.tenant.token,
    )
    assert code_of(r) == "CONFLICT"
    r = await kit.q(
        "mutation($g: ID!, $a: ID!) { addGridMember(gridId: $g, accountId: $a, role: residents_committee) { id } }",
        {"g": firm.grids[0], "a": str(resident.account_id)},
        token=firm.tenant.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"
    committee = await actor(firm.tenant, "residents_committee")
    ok(
        await kit.q(
            "mutation($g: ID!, $a: ID!) { addGridMember(gridId: $g, accountId: $a, role: residents_committee) { id } }",
            {"g": firm.grids[0], "a": str(committee.account_id)},
            token=firm.tenant.token,
        )
    )
    assert [g["name"] for g in ok(await kit.q(GRIDS, token=committee.token))["grids"]] == [
        "第一网格"
    ]
    r = await kit.q(
        'mutation($c: ID!) { createGrid(communityId: $c, name: "第一网格") { id } }',
        {"c": gid("Community", firm.community_id)},
        token=firm.tenant.token,
    )
    assert code_of(r) == "CONFLICT"
    r = await kit.q(
        'mutation($g: ID!) { createPatrolRoute(gridId: $g, name: "x", intervalMinutes: 5) { id } }',
        {"g": firm.grids[0]},
        token=firm.tenant.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"


async def test_a_grid_worker_sees_and_patrols_only_their_own_grid(kit: GridKit) -> None:
    firm = await kit.firm()
    w1, w2 = firm.workers
    _, mine = await kit.route(firm, firm.grids[0])
    _, theirs = await kit.route(firm, firm.grids[1])
    assert [g["id"] for g in ok(await kit.q(GRIDS, token=w1.token))["grids"]] == [firm.grids[0]]
    routes = "query($g: ID!) { gridRoutes(gridId: $g) { name checkpoints { name tagCode } } }"
    own = ok(await kit.q(routes, {"g": firm.grids[0]}, token=w1.token))["gridRoutes"]
    assert [c["name"] for c in own[0]["checkpoints"]] == ["东门", "地下车库"]
    assert all(c["tagCode"] is None for c in own[0]["checkpoints"])  # a code proves presence
    assert ok(await kit.q(routes, {"g": firm.grids[1]}, token=w1.token))["gridRoutes"] == []
    # the other grid's tag: as if it did not exist
    assert (
        code_of(await kit.q(CHECK_IN, {"t": theirs[0]["tagCode"]}, token=w1.token)) == "NOT_FOUND"
    )
    done = ok(await kit.q(CHECK_IN, {"t": mine[0]["tagCode"]}, token=w1.token))["patrolCheckIn"]
    assert done["hasLocation"] is False and done["by"] == f"account:{w1.account_id}"
    ins = "query($g: ID!) { gridCheckIns(gridId: $g) { checkpointId } }"
    naive = 'query($g: ID!) { gridCheckIns(gridId: $g, since: "2026-01-01T00:00:00") { at } }'
    assert code_of(await kit.q(naive, {"g": firm.grids[0]}, token=w1.token)) == "BAD_USER_INPUT"
    assert ok(await kit.q(ins, {"g": firm.grids[0]}, token=w2.token))["gridCheckIns"] == []
    assert ok(await kit.q(ins, {"g": firm.grids[0]}, token=firm.tenant.token))["gridCheckIns"] == [
        {"checkpointId": mine[0]["id"]}
    ]
    # an incident in grid 2's building is not grid 1's worker's
    ok(
        await kit.q(
            REPORT,
            {
                "c": gid("Community", firm.community_id),
                "b": gid("Building", firm.buildings[1]),
                "p": "2幢 楼道",
                "k": "electrical",
            },
            token=w2.token,
        )
    )
    assert ok(await kit.q("{ gridIncidents { id } }", token=w1.token))["gridIncidents"] == []
    assert len(ok(await kit.q("{ gridIncidents { id } }", token=w2.token))["gridIncidents"]) == 1


async def test_a_location_needs_the_workers_consent_and_is_encrypted(kit: GridKit, runtime) -> None:  # type: ignore[no-untyped-def]
    firm = await kit.firm()
    w1 = firm.workers[0]
    _, points = await kit.route(firm, firm.grids[0])
    tag = points[0]["tagCode"]
    where = {"t": tag, "la": 31.230416, "lo": 121.473701}
    r = await kit.q(CHECK_IN, where, token=w1.token)  # no register person: no consent possible
    assert (
        code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    )
    person = await kit.person(firm, "李网格", w1.account_id)
    r = await kit.q(CHECK_IN, where, token=w1.token)
    assert (
        code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    )
    assert (
        code_of(await kit.q(CHECK_IN, {"t": tag, "la": 31.2}, token=w1.token)) == "BAD_USER_INPUT"
    )
    assert (
        code_of(await kit.q(CHECK_IN, {"t": tag, "la": 91.0, "lo": 0.0}, token=w1.token))
        == "BAD_USER_INPUT"
    )
    await kit.consent(firm, person, PATROL_LOCATION)
    done = ok(await kit.q(CHECK_IN, where, token=w1.token))["patrolCheckIn"]
    assert done["hasLocation"] is True

    from plugins.grid.models import CheckIn

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        stored = [x for x in await s.scalars(select(CheckIn.location_enc)) if x]
    assert len(stored) == 1 and "31.23" not in stored[0]
    assert runtime.vault.decrypt(firm.tenant.tenant_id, stored[0]) == "31.230416,121.473701"


async def test_missed_checkpoints_are_flagged_once_per_period(kit: GridKit, runtime) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk.repository import Viewer
    from plugins.grid import patrol_all
    from plugins.grid.patrol import check_in

    firm = await kit.firm()
    start = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    _, points = await kit.route(firm, firm.grids[0], interval=60, starts_at=start.isoformat())
    only = {firm.tenant.tenant_id}
    # the first period began before the checkpoints existed: nothing is expected of it
    assert await patrol_all(runtime, now=start + timedelta(minutes=61), only=only) == 0
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        await check_in(
            s,
            runtime.vault,
            runtime.bus,
            actor=Viewer.system("account:test"),
            tag_code=points[0]["tagCode"],
            now=start + timedelta(minutes=70),
        )
    # the second period is still running
    assert await patrol_all(runtime, now=start + timedelta(minutes=119), only=only) == 0
    assert await patrol_all(runtime, now=start + timedelta(minutes=125), only=only) == 1
    assert await patrol_all(runtime, now=start + timedelta(minutes=130), only=only) == 0  # once
    missed = ok(
        await kit.q(
            "query($g: ID!) { gridMissedCheckpoints(gridId: $g) { checkpointId periodStart periodEnd } }",
            {"g": firm.grids[0]},
            token=firm.workers[0].token,
        )
    )["gridMissedCheckpoints"]
    assert [m["checkpointId"] for m in missed] == [points[1]["id"]]
    assert missed[0]["periodStart"].startswith((start + timedelta(minutes=60)).isoformat()[:16])
    sent = await kit.notified(firm, "grid.checkpoint_missed")
    assert [n.account_id for n in sent] == [firm.workers[0].account_id]
    # the third period: nobody came at all — both flagged
    assert await patrol_all(runtime, now=start + timedelta(minutes=185), only=only) == 2
    # a checkpoint taken out of the route is neither checked in at nor flagged
    off = "mutation($c: ID!) { setPatrolCheckpointActive(checkpointId: $c, active: false) { active } }"
    assert (
        code_of(await kit.q(off, {"c": points[1]["id"]}, token=firm.workers[0].token))
        == "FORBIDDEN"
    )
    ok(await kit.q(off, {"c": points[1]["id"]}, token=firm.tenant.token))
    r = await kit.q(CHECK_IN, {"t": points[1]["tagCode"]}, token=firm.workers[0].token)
    assert code_of(r) == "NOT_FOUND"
    assert await patrol_all(runtime, now=start + timedelta(minutes=245), only=only) == 1


async def test_incident_to_a_work_order_and_back_to_the_reporter(
    kit: GridKit, runtime, actor, enable_plugin, deliver
) -> None:  # type: ignore[no-untyped-def]
    firm = await kit.firm()
    await enable_plugin(firm.tenant, "workorders")
    resident = await actor(firm.tenant, "resident")
    other = await actor(firm.tenant, "resident")
    args = {
        "c": gid("Community", firm.community_id),
        "b": gid("Building", firm.buildings[0]),
        "p": "1幢2单元 楼道",
        "k": "electrical",
    }
    bad = await kit.q(REPORT, {**args, "p": " "}, token=resident.token)
    assert code_of(bad) == "BAD_USER_INPUT"
    made = ok(await kit.q(REPORT, args, token=resident.token))["reportGridIncident"]
    assert made["status"] == "reported" and made["gridId"] == firm.grids[0]
    one = "query($i: ID!) { gridIncident(id: $i) { id } }"
    assert ok(await kit.q(one, {"i": made["id"]}, token=other.token))["gridIncident"] is None
    assert (
        code_of(await kit.q(ROUTE, {"i": made["id"], "to": "work_order"}, token=resident.token))
        == "FORBIDDEN"
    )
    # grid 2's worker cannot route grid 1's incident
    assert (
        code_of(
            await kit.q(ROUTE, {"i": made["id"], "to": "work_order"}, token=firm.workers[1].token)
        )
        == "NOT_FOUND"
    )
    routed = ok(
        await kit.q(ROUTE, {"i": made["id"], "to": "work_order"}, token=firm.workers[0].token)
    )
    assert routed["routeGridIncident"]["status"] == "work_order"
    assert (
        code_of(
            await kit.q(
                ROUTE, {"i": made["id"], "to": "street_office"}, token=firm.workers[0].token
            )
        )
        == "CONFLICT"
    )
    for _ in range(3):
        await deliver(firm.tenant)
    orders = ok(
        await kit.q(
            "{ workOrders { edges { node { id source status } } } }", token=firm.tenant.token
        )
    )
    nodes = [e["node"] for e in orders["workOrders"]["edges"]]
    assert [n["source"] for n in nodes] == ["inspection"]
    mine = ok(await kit.q(MINE, token=resident.token))["myGridIncidents"]
    assert mine[0]["workOrderId"] == nodes[0]["id"] and mine[0]["workOrderStatus"] == "reported"
    # the firm cancels the order: the incident is back to be routed again, and gets a new order
    cancel = 'mutation($o: ID!) { cancelWorkOrder(id: $o, reason: "重复") { status } }'
    ok(await kit.q(cancel, {"o": nodes[0]["id"]}, token=firm.tenant.token))
    await deliver(firm.tenant)
    mine = ok(await kit.q(MINE, token=resident.token))["myGridIncidents"]
    assert mine[0]["status"] == "reported" and mine[0]["workOrderStatus"] == "cancelled"
    assert mine[0]["updates"][-1]["kind"] == "work_order_cancelled"
    ok(await kit.q(ROUTE, {"i": made["id"], "to": "work_order"}, token=firm.workers[0].token))
    for _ in range(3):
        await deliver(firm.tenant)
    orders = ok(
        await kit.q(
            "{ workOrders { edges { node { id source status } } } }", token=firm.tenant.token
        )
    )
    nodes = [e["node"] for e in orders["workOrders"]["edges"] if e["node"]["status"] != "cancelled"]
    assert len(nodes) == 1
    mine = ok(await kit.q(MINE, token=resident.token))["myGridIncidents"]
    assert mine[0]["workOrderId"] == nodes[0]["id"] and mine[0]["status"] == "work_order"
    close = (
        'mutation($i: ID!) { closeGridIncident(incidentId: $i, resolution: "修好了") { status } }'
    )
    assert code_of(await kit.q(close, {"i": made["id"]}, token=firm.workers[0].token)) == "CONFLICT"
    # the work order is closed: its event closes the incident
    order_id = relay.GlobalID.from_id(nodes[0]["id"]).node_id
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        await runtime.bus.publish(
            s,
            Event(
                "workorder.closed",
                firm.tenant.tenant_id,
                {
                    "work_order_id": order_id,
                    "source": "inspection",
                    "source_ref": f"finding:{relay.GlobalID.from_id(made['id']).node_id}.2",
                    "status": "closed",
                },
            ),
        )
    await deliver(firm.tenant)
    mine = ok(await kit.q(MINE, token=resident.token))["myGridIncidents"]
    assert (
        mine[0]["status"] == "closed"
        and mine[0]["closedAt"]
        and mine[0]["workOrderStatus"] == "closed"
    )
    kinds = [u["kind"] for u in mine[0]["updates"]]
    assert kinds[:2] == ["reported", "work_order"] and kinds[-1] == "closed"
    assert "work_order_reported" in kinds
    told = await kit.notified(firm, "grid.incident_update")
    assert {n.account_id for n in told} == {resident.account_id} and len(told) == 3


async def test_referral_to_the_street_office_minimal_and_audited(
    kit: GridKit, runtime, gql
) -> None:  # type: ignore[no-untyped-def]
    from kernel.identity.platform import create_platform_account

    street = f"S-{uuid.uuid4().hex[:6]}"
    firm = await kit.firm("gridr", street)
    elsewhere = await kit.firm("grido", "ELSEWHERE")
    for f in (firm, elsewhere):
        made = ok(
            await kit.q(
                REPORT,
                {
                    "c": gid("Community", f.community_id),
                    "b": gid("Building", f.buildings[0]),
                    "p": "小区南侧 违建",
                    "k": "illegal_construction",
                },
                token=f.workers[0].token,
            )
        )["reportGridIncident"]
        ok(await kit.q(ROUTE, {"i": made["id"], "to": "street_office"}, token=f.workers[0].token))
    username = f"reg-{uuid.uuid4().hex[:8]}"
    async with runtime.db.platform() as s:
        await create_platform_account(
            s, username, "street office 2026", "和平街道办", regulator_street_code=street
        )
    token = await gql.login(username, "street office 2026")
    rows = ok(
        await gql(
            "{ gridStreetReferrals { reference firm community category status closedAt } }",
            token=token,
        )
    )["gridStreetReferrals"]
    assert rows == [
        {
            "reference": rows[0]["reference"],
            "firm": f"{firm.tenant.slug} 物业",
            "community": "和平里社区",
            "category": "illegal_construction",
            "status": "referred",
            "closedAt": None,
        }
    ]
    mine = ok(await kit.q("{ gridIncidents { id } }", token=firm.workers[0].token))["gridIncidents"]
    assert rows[0]["reference"] == relay.GlobalID.from_id(mine[0]["id"]).node_id[:8]
    assert "regulator.read_grid_referrals" in await kit.audit_actions(
        firm.tenant.tenant_id, "regulator."
    )
    assert (
        code_of(await gql("{ gridStreetReferrals { firm } }", token=firm.tenant.token))
        == "FORBIDDEN"
    )
    incident = ok(await kit.q("{ gridIncidents { id } }", token=firm.workers[0].token))[
        "gridIncidents"
    ][0]["id"]
    close = "mutation($i: ID!, $r: String!) { closeGridIncident(incidentId: $i, resolution: $r) { status resolution } }"
    assert (
        code_of(await kit.q(close, {"i": incident, "r": ""}, token=firm.workers[0].token))
        == "BAD_USER_INPUT"
    )
    closed = ok(
        await kit.q(close, {"i": incident, "r": "街道城管已拆除"}, token=firm.workers[0].token)
    )
    assert closed["closeGridIncident"] == {"status": "closed", "resolution": "街道城管已拆除"}
    assert (
        code_of(await kit.q(close, {"i": incident, "r": "again"}, token=firm.workers[0].token))
        == "CONFLICT"
    )
    rows = ok(await gql("{ gridStreetReferrals(status: closed) { status } }", token=token))[
        "gridStreetReferrals"
    ]
    assert rows == [{"status": "closed"}]
    stats = "{ gridStreetStats { firm community incidentsReported incidentsReferred incidentsClosed incidentsOpen checkpointsMissed residentsFollowed visitsOverdue } }"
    assert ok(await gql(stats, token=token))["gridStreetStats"] == [
        {
            "firm": f"{firm.tenant.slug} 物业",
            "community": "和平里社区",
            "incidentsReported": 1,
            "incidentsReferred": 1,
            "incidentsClosed": 1,
            "incidentsOpen": 0,
            "checkpointsMissed": 0,
            "residentsFollowed": 0,
            "visitsOverdue": 0,
        }
    ]
    assert "regulator.read_grid_stats" in await kit.audit_actions(
        firm.tenant.tenant_id, "regulator."
    )
    assert code_of(await gql(stats, token=firm.tenant.token)) == "FORBIDDEN"
    own = ok(await kit.q("{ gridStats { firm incidentsReported } }", token=firm.tenant.token))
    assert own["gridStats"] == [{"firm": None, "incidentsReported": 1}]
    assert (
        code_of(await kit.q("{ gridStats { firm } }", token=firm.workers[0].token)) == "FORBIDDEN"
    )


async def test_another_firms_ids_answer_not_found(kit: GridKit) -> None:
    a, b = await kit.firm("grida"), await kit.firm("gridb")
    _, points = await kit.route(a, a.grids[0])
    made = ok(
        await kit.q(
            REPORT,
            {
                "c": gid("Community", a.community_id),
                "b": gid("Building", a.buildings[0]),
                "p": "东门",
                "k": "security",
            },
            token=a.workers[0].token,
        )
    )["reportGridIncident"]
    tok = b.tenant.token
    r = await kit.q(
        "mutation($g: ID!, $b: ID!) { addGridBuilding(gridId: $g, buildingId: $b) { id } }",
        {"g": a.grids[1], "b": gid("Building", b.buildings[0])},
        token=tok,
    )
    assert code_of(r) == "NOT_FOUND"
    r = await kit.q(
        "mutation($g: ID!, $b: ID!) { addGridBuilding(gridId: $g, buildingId: $b) { id } }",
        {"g": b.grids[0], "b": gid("Building", a.buildings[0])},
        token=tok,
    )
    assert code_of(r) == "NOT_FOUND"
    assert (
        code_of(await kit.q(CHECK_IN, {"t": points[0]["tagCode"]}, token=b.workers[0].token))
        == "NOT_FOUND"
    )
    assert (
        code_of(await kit.q(ROUTE, {"i": made["id"], "to": "work_order"}, token=tok)) == "NOT_FOUND"
    )
    assert (
        ok(
            await kit.q(
                "query($i: ID!) { gridIncident(id: $i) { id } }", {"i": made["id"]}, token=tok
            )
        )["gridIncident"]
        is None
    )
    r = await kit.q(
        REPORT, {"c": gid("Community", a.community_id), "p": "x", "k": "other"}, token=tok
    )
    assert code_of(r) == "NOT_FOUND"
    person = await kit.person(a, "张三")
    r = await kit.q(
        "mutation($g: ID!, $p: ID!) { enrolVulnerableResident(gridId: $g, personId: $p, tags: [disabled]) { id } }",
        {"g": b.grids[0], "p": str(person)},
        token=tok,
    )
    assert code_of(r) == "NOT_FOUND"
    assert (
        code_of(await kit.q(ROUTE, {"i": "not-an-id", "to": "work_order"}, token=tok))
        == "BAD_USER_INPUT"
    )


async def test_vulnerable_residents_follow_up(kit: GridKit, runtime, deliver) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk import revoke_consent
    from plugins.grid import patrol_all
    from plugins.grid.models import Visit, VulnerableResident

    firm = await kit.firm()
    w1, w2 = firm.workers
    person = await kit.person(firm, "赵桂兰")
    enrol = "mutation($g: ID!, $p: ID!, $d: Int!) { enrolVulnerableResident(gridId: $g, personId: $p, tags: [elderly_alone, disabled], visitEveryDays: $d) { id maskedName visitEveryDays overdue status } }"
    args = {"g": firm.grids[0], "p": str(person), "d": 7}
    r = await kit.q(enrol, args, token=firm.tenant.token)
    assert (
        code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    )
    await kit.consent(firm, person, FOLLOW_UP)
    assert (
        code_of(await kit.q(enrol, {**args, "d": 0}, token=firm.tenant.token)) == "BAD_USER_INPUT"
    )
    row = ok(await kit.q(enrol, args, token=firm.tenant.token))["enrolVulnerableResident"]
    assert row["maskedName"] == "赵*兰" and row["overdue"] is False and row["status"] == "active"
    assert code_of(await kit.q(enrol, args, token=firm.tenant.token)) == "CONFLICT"
    listing = "{ gridVulnerableResidents { id maskedName overdue } }"
    assert ok(await kit.q(listing, token=w2.token))["gridVulnerableResidents"] == []
    assert ok(await kit.q(listing, token=w1.token))["gridVulnerableResidents"] == [
        {"id": row["id"], "maskedName": "赵*兰", "overdue": False}
    ]
    visit = 'mutation($r: ID!) { recordGridVisit(residentId: $r, note: "血压偏高，已提醒复诊") { lastVisitAt } }'
    assert code_of(await kit.q(visit, {"r": row["id"]}, token=w2.token)) == "NOT_FOUND"
    assert ok(await kit.q(visit, {"r": row["id"]}, token=w1.token))["recordGridVisit"][
        "lastVisitAt"
    ]
    detail = ok(
        await kit.q(
            "query($i: ID!) { gridVulnerableResident(id: $i) { name tags visits { note } } }",
            {"i": row["id"]},
            token=w1.token,
        )
    )["gridVulnerableResident"]
    assert detail == {
        "name": "赵桂兰",
        "tags": ["disabled", "elderly_alone"],
        "visits": [{"note": "血压偏高，已提醒复诊"}],
    }
    assert "grid.vulnerable_resident_read" in await kit.audit_actions(
        firm.tenant.tenant_id, "grid."
    )
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        tags = await s.scalar(select(VulnerableResident.tags_enc))
        note = await s.scalar(select(Visit.note_enc))
    assert "disabled" not in tags and "血压" not in note  # encrypted at rest

    only = {firm.tenant.tenant_id}
    assert await patrol_all(runtime, now=utcnow() + timedelta(days=6), only=only) == 0
    assert await patrol_all(runtime, now=utcnow() + timedelta(days=8), only=only) == 1
    assert (
        await patrol_all(runtime, now=utcnow() + timedelta(days=9), only=only) == 0
    )  # once per due time
    sent = await kit.notified(firm, "grid.visit_overdue")
    assert [n.account_id for n in sent] == [w1.account_id]

    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        await revoke_consent(
            s, person_id=person, purpose=FOLLOW_UP, actor="account:elder", runtime=runtime
        )
    await deliver(firm.tenant)
    listed = ok(await kit.q("{ gridVulnerableResidents { status } }", token=w1.token))[
        "gridVulnerableResidents"
    ]
    assert listed == [{"status": "paused"}]
    assert code_of(await kit.q(visit, {"r": row["id"]}, token=w1.token)) == "CONFLICT"
    assert await patrol_all(runtime, now=utcnow() + timedelta(days=30), only=only) == 0
    await kit.consent(firm, person, FOLLOW_UP)  # granted again: the follow-up resumes
    await deliver(firm.tenant)
    listed = ok(await kit.q("{ gridVulnerableResidents { status } }", token=w1.token))
    assert listed["gridVulnerableResidents"] == [{"status": "active"}]
    # its due time was alerted already before the pause: no second alert for it
    assert await patrol_all(runtime, now=utcnow() + timedelta(days=30), only=only) == 0
    overdue = "{ gridVulnerableResidents(overdueOnly: true) { id } }"
    assert ok(await kit.q(overdue, token=w1.token))["gridVulnerableResidents"] == []  # not yet due
    end = "mutation($r: ID!) { endGridFollowUp(residentId: $r) { status } }"
    assert ok(await kit.q(end, {"r": row["id"]}, token=firm.tenant.token))["endGridFollowUp"] == {
        "status": "ended"
    }
    assert code_of(await kit.q(end, {"r": row["id"]}, token=firm.tenant.token)) == "CONFLICT"
    assert await patrol_all(runtime, now=utcnow() + timedelta(days=60), only=only) == 0
