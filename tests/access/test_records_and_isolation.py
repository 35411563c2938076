"""Who sees which access records, retention enforced by the job, remote opening through the
reader's RPC, scans reported as telemetry, and another firm's ids answering NOT_FOUND."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import func, select

from kernel.devices.models import RpcCall
from kernel.sdk import utcnow
from plugins.access import codes, purge_all
from plugins.access.models import AccessRecord
from tests.access.conftest import Reader
from tests.access.test_passes import CREATE, window

RECORDS = "query($c: ID) { accessRecords(communityId: $c) { edges { node { reason accountId passId method } } } }"
MINE = "query { myAccessRecords { edges { node { reason method accountId passId } } } }"


def qr(runtime, s, person, back: int = 0) -> str:  # type: ignore[no-untyped-def]
    return codes.issue_qr(
        runtime.vault, s.tenant.tenant_id, 1, person.account_id, int(time.time()) // 30 - back
    )


async def test_a_person_sees_their_own_records_and_their_visitors_staff_see_the_communitys(
    site, gql, runtime
):  # type: ignore[no-untyped-def]
    s = await site()
    door1, door2 = Reader(gql, s.tokens["door1"]), Reader(gql, s.tokens["door2"])
    await door1.ask("qr", qr(runtime, s, s.resident))
    await door2.ask("qr", qr(runtime, s, s.neighbour))
    issued = (
        await gql(CREATE, {"i": {"visitorName": "吴十", **window()}}, token=s.resident.token)
    )["data"]["createVisitorPass"]
    await door1.ask("pass", issued["code"])
    mine = [
        e["node"]
        for e in (await gql(MINE, token=s.resident.token))["data"]["myAccessRecords"]["edges"]
    ]
    assert sorted(n["method"] for n in mine) == ["pass", "qr"]  # own passage and their visitor's
    assert all(n["accountId"] in (str(s.resident.account_id), None) for n in mine)
    theirs = [
        e["node"]
        for e in (await gql(MINE, token=s.neighbour.token))["data"]["myAccessRecords"]["edges"]
    ]
    assert [n["accountId"] for n in theirs] == [str(s.neighbour.account_id)]
    # accessRecords for a resident is the same rule (never anyone else's)
    r = await gql(RECORDS, {"c": None}, token=s.neighbour.token)
    assert [e["node"]["accountId"] for e in r["data"]["accessRecords"]["edges"]] == [
        str(s.neighbour.account_id)
    ]
    staff = await gql(RECORDS, {"c": s.gid("Community", s.community_id)}, token=s.staff.token)
    assert len(staff["data"]["accessRecords"]["edges"]) == 3


async def test_retention_is_enforced_by_the_job_per_firm(site, gql, runtime):  # type: ignore[no-untyped-def]
    a, b = await site("keep"), await site("short")
    for s in (a, b):
        await Reader(gql, s.tokens["door1"]).ask("qr", qr(runtime, s, s.resident))
        async with runtime.db.tenant(s.tenant.tenant_id) as sess:  # age the record: 40 days old
            row = await sess.scalar(select(AccessRecord))
            row.occurred_at = utcnow() - timedelta(days=40)
        await Reader(gql, s.tokens["gate"]).ask("qr", qr(runtime, s, s.resident))
    r = await gql(
        "mutation { updateAccessSettings(retentionDays: 30) { retentionDays } }",
        token=b.staff.token,
    )
    assert r["data"]["updateAccessSettings"]["retentionDays"] == 30
    r = await gql(
        "mutation { updateAccessSettings(retentionDays: 0) { retentionDays } }", token=b.staff.token
    )
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await purge_all(runtime) >= 1
    for s, left in ((a, 2), (b, 1)):  # the default 90 days keeps both; 30 days drops the old one
        async with runtime.db.tenant(s.tenant.tenant_id) as sess:
            assert await sess.scalar(select(func.count()).select_from(AccessRecord)) == left


async def test_remote_opening_sends_the_reader_open_and_is_audited(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    op = "mutation($p: ID!) { openAccessPoint(pointId: $p) { record { method allowed reason } } }"
    r = await gql(op, {"p": s.gid("AccessPoint", s.points["door1"])}, token=s.resident.token)
    assert r["data"]["openAccessPoint"]["record"] == {
        "method": "remote",
        "allowed": True,
        "reason": "resident",
    }, r
    r = await gql(op, {"p": s.gid("AccessPoint", s.points["door2"])}, token=s.resident.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        calls = list(await sess.scalars(select(RpcCall).where(RpcCall.method == "open")))
    assert [c.device_id for c in calls] == [s.devices["door1"]]
    polled = await gql.http.get(f"/api/v1/{s.tokens['door1']}/rpc?timeout=0")
    assert polled.json()["method"] == "open" and polled.json()["params"] == {"seconds": 5}
    from kernel.audit import AuditEntry  # the audit log names the person and the point

    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        entry = await sess.scalar(
            select(AuditEntry).where(AuditEntry.action == "access.remote_opened")
        )
    assert entry is not None and entry.target == str(s.points["door1"])


async def test_a_scan_reported_as_telemetry_is_decided_and_opens_once(site, gql, runtime, deliver):  # type: ignore[no-untyped-def]
    s = await site()
    body = {
        "ts": int(time.time() * 1000),
        "values": {
            "scan": f"qr:{qr(runtime, s, s.resident)}",
            "direction": "in",
            "event_id": "t-1",
        },
    }
    for _ in range(2):  # the reader repeats the message
        r = await gql.http.post(
            f"/api/v1/{s.tokens['door1']}/telemetry",
            content=json.dumps(body),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200, r.text
    await deliver(s.tenant)
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        records = list(await sess.scalars(select(AccessRecord)))
        calls = list(await sess.scalars(select(RpcCall).where(RpcCall.method == "open")))
    assert [(r.allowed, r.reason, r.device_event_id) for r in records] == [
        (True, "resident", "t-1")
    ]
    assert len(calls) == 1 and calls[0].params["record_id"] == str(records[0].id)


async def test_another_firms_ids_answer_not_found_and_its_records_stay_apart(site, gql, runtime):  # type: ignore[no-untyped-def]
    a, b = await site("own"), await site("other")
    await Reader(gql, a.tokens["door1"]).ask("qr", qr(runtime, a, a.resident))
    probes = [
        (
            "mutation($p: ID!) { setAccessPointActive(id: $p, active: false) { active } }",
            {"p": a.gid("AccessPoint", a.points["gate"])},
        ),
        (
            "mutation($p: ID!) { openAccessPoint(pointId: $p) { record { allowed } } }",
            {"p": a.gid("AccessPoint", a.points["gate"])},
        ),
        (
            'mutation($c: ID!) { createAccessGrant(communityId: $c, role: "technician") { id } }',
            {"c": a.gid("Community", a.community_id)},
        ),
        (
            'mutation($a: ID!) { issueAccessCard(accountId: $a, number: "11112222") { id } }',
            {"a": str(a.resident.account_id)},
        ),
        (
            'mutation($c: ID!) { createAccessPoint(communityId: $c, name: "x", kind: "gate") { id } }',
            {"c": a.gid("Community", a.community_id)},
        ),
        (
            'mutation($c: ID!, $d: ID!) { createAccessPoint(communityId: $c, name: "x", kind: "gate", deviceId: $d) { id } }',
            {"c": b.gid("Community", b.community_id), "d": a.gid("Device", a.devices["gate"])},
        ),
        (
            "mutation($i: VisitorPassInput!) { createServicePass(input: $i) { code } }",
            {
                "i": {
                    "visitorName": "x",
                    "kind": "courier",
                    "pointIds": [a.gid("AccessPoint", a.points["gate"])],
                    **window(),
                }
            },
        ),
        (  # registering a face for another firm's person
            'mutation($p: ID!) { registerFaceCredential(reference: "vendor-ref-0001", personId: $p) { id } }',
            {"p": a.gid("Person", a.resident.person_id)},
        ),
    ]
    for query, variables in probes:
        token = b.resident.token if "openAccessPoint" in query else b.staff.token
        r = await gql(query, variables, token=token)
        assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND", (query, r)
    pass_a = (await gql(CREATE, {"i": {"visitorName": "甲", **window()}}, token=a.resident.token))[
        "data"
    ]["createVisitorPass"]
    r = await gql(
        "mutation($p: ID!) { revokeVisitorPass(id: $p) { status } }",
        {"p": pass_a["pass"]["id"]},
        token=b.staff.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # firm A's pass code at firm B's reader is simply unknown there
    assert (await Reader(gql, b.tokens["gate"]).ask("pass", pass_a["code"]))[
        "reason"
    ] == "unknown_pass"
    r = await gql(RECORDS, {"c": None}, token=b.staff.token)
    assert all(
        e["node"]["accountId"] != str(a.resident.account_id)
        for e in r["data"]["accessRecords"]["edges"]
    )
    # grants to a role match through sdk.members.roles_of: another firm's member holds none here
    from kernel.sdk.members import roles_of

    async with runtime.db.tenant(b.tenant.tenant_id) as sess:
        assert await roles_of(sess, b.tenant.tenant_id, b.technician.account_id) == ["technician"]
        assert await roles_of(sess, b.tenant.tenant_id, a.technician.account_id) == []
    r = await gql("query { accessPoints { id } }", token=b.staff.token)
    assert {p["id"] for p in r["data"]["accessPoints"]} == {
        b.gid("AccessPoint", p) for p in b.points.values()
    }


async def test_residents_cannot_manage_and_a_firm_without_the_plugin_is_told_so(
    site, gql, new_tenant
):  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(
        'mutation($c: ID!) { createAccessPoint(communityId: $c, name: "y", kind: "gate") { id } }',
        {"c": s.gid("Community", s.community_id)},
        token=s.resident.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    plain = await new_tenant("noaccess")
    r = await gql("query { accessPoints { id } }", token=plain.token)
    assert r["errors"][0]["extensions"]["code"] == "PLUGIN_DISABLED"
