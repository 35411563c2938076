"""Visitor passes: a resident invites a visitor at the points they may pass; staff give couriers
time-boxed passes; the code opens inside its window, for its entries, at its points; revocation;
``access.pass_created`` for other plugins (parking reads the plate)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kernel.sdk import utcnow
from plugins.access.models import VisitorPass
from tests.access.conftest import Reader

CREATE = """mutation($i: VisitorPassInput!) { createVisitorPass(input: $i) {
  code qrPayload pass { id kind visitorNameMasked plateMasked maxEntries entriesUsed pointIds status } } }"""
SERVICE = """mutation($i: VisitorPassInput!) { createServicePass(input: $i) {
  code pass { id kind pointIds status } } }"""


def window(minutes_from: int = -5, minutes_to: int = 120) -> dict[str, str]:
    now = utcnow()
    return {
        "validFrom": (now + timedelta(minutes=minutes_from)).isoformat(),
        "validUntil": (now + timedelta(minutes=minutes_to)).isoformat(),
    }


async def test_a_residents_visitor_pass_opens_their_points_for_its_entries_and_tells_parking(
    site, gql, runtime, deliver, recorder
):  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(
        CREATE,
        {"i": {"visitorName": "王小明", "plate": "沪a 12345", "maxEntries": 2, **window()}},
        token=s.resident.token,
    )
    assert not r.get("errors"), r
    issued = r["data"]["createVisitorPass"]
    vp = issued["pass"]
    assert (
        vp["visitorNameMasked"] == "王*明"
        and vp["plateMasked"] == "沪A***45"  # masked in lists
        and vp["status"] == "active"
    )
    # by default: every point the resident may pass (gate, own door, own lift) — not building 2
    assert set(vp["pointIds"]) == {
        s.gid("AccessPoint", s.points[n]) for n in ("gate", "door1", "lift1")
    }
    assert issued["qrPayload"] == f"LP1.{issued['code']}"
    gate, door2 = Reader(gql, s.tokens["gate"]), Reader(gql, s.tokens["door2"])
    assert (await door2.ask("pass", issued["code"]))["reason"] == "point_not_on_pass"
    first = await gate.ask("pass", issued["qrPayload"])
    assert first["allow"] is True and first["reason"] == "visitor_pass"
    assert (await gate.ask("pass", issued["code"].lower(), "out"))[
        "allow"
    ] is True  # leaving is free
    assert (await gate.ask("pass", issued["code"]))["allow"] is True
    assert (await gate.ask("pass", issued["code"]))["reason"] == "pass_used_up"
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        row = await sess.scalar(select(VisitorPass))
        assert row.entries_used == 2 and "王小明" not in row.visitor_name_enc  # encrypted at rest
        # the plate is sealed: ciphertext under the tenant's key, a keyed digest, the masked form
        assert row.plate_unsealed is None and row.plate_masked == "沪A***45"
        assert "12345" not in row.plate_enc + row.plate_digest
        assert runtime.vault.decrypt(s.tenant.tenant_id, row.plate_enc) == "沪A12345"
    # the plate reaches other plugins encrypted (never in clear in the outbox); the name does not
    await deliver(s.tenant)
    created = [e for e in recorder.seen if e.type == "access.pass_created"]
    assert len(created) == 1 and "plate" not in created[0].payload
    assert "12345" not in str(created[0].payload) and created[0].payload["plate_masked"] == "沪A***45"
    assert runtime.vault.decrypt(s.tenant.tenant_id, created[0].payload["plate_enc"]) == "沪A12345"
    assert (
        created[0].payload["community_id"] == str(s.community_id)
        and "visitor_name" not in created[0].payload
    )
    assert "王小明" not in str(created[0].payload)


async def test_a_pass_outside_its_window_or_revoked_is_refused(site, gql):  # type: ignore[no-untyped-def]
    s = await site()
    later = (
        await gql(CREATE, {"i": {"visitorName": "赵六", **window(60, 120)}}, token=s.resident.token)
    )["data"]["createVisitorPass"]
    gate = Reader(gql, s.tokens["gate"])
    assert (await gate.ask("pass", later["code"]))["reason"] == "pass_not_yet_valid"
    now = (await gql(CREATE, {"i": {"visitorName": "赵六", **window()}}, token=s.resident.token))[
        "data"
    ]["createVisitorPass"]
    # another resident cannot revoke it (NOT_FOUND, as for an unknown id); its host can
    r = await gql(
        "mutation($p: ID!) { revokeVisitorPass(id: $p) { status } }",
        {"p": now["pass"]["id"]},
        token=s.neighbour.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    r = await gql(
        "mutation($p: ID!) { revokeVisitorPass(id: $p) { status } }",
        {"p": now["pass"]["id"]},
        token=s.resident.token,
    )
    assert r["data"]["revokeVisitorPass"]["status"] == "revoked"
    assert (await gate.ask("pass", now["code"]))["reason"] == "pass_revoked"
    assert (await gate.ask("pass", "ZZZZZZZZZZ"))["reason"] == "unknown_pass"


async def test_an_expired_pass_is_refused(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    issued = (
        await gql(CREATE, {"i": {"visitorName": "钱七", **window(-5, 60)}}, token=s.resident.token)
    )["data"]["createVisitorPass"]
    async with runtime.db.tenant(
        s.tenant.tenant_id
    ) as sess:  # time passes: the window closed a minute ago
        row = await sess.scalar(select(VisitorPass))
        row.valid_from, row.valid_until = (
            utcnow() - timedelta(hours=2),
            utcnow() - timedelta(minutes=1),
        )
    assert (await Reader(gql, s.tokens["gate"]).ask("pass", issued["code"]))[
        "reason"
    ] == "pass_expired"


async def test_bad_pass_input_answers_coded_errors(site, gql):  # type: ignore[no-untyped-def]
    s = await site()
    cases = [
        ({"visitorName": "", **window()}, "BAD_USER_INPUT"),
        ({"visitorName": "甲", **window(10, 5)}, "BAD_USER_INPUT"),
        ({"visitorName": "甲", **window(0, 60 * 24 * 8)}, "BAD_USER_INPUT"),
        ({"visitorName": "甲", "maxEntries": 0, **window()}, "BAD_USER_INPUT"),
        ({"visitorName": "甲", "plate": "!!", **window()}, "BAD_USER_INPUT"),
        ({"visitorName": "甲", "kind": "courier", **window()}, "BAD_USER_INPUT"),
        # a point the resident may not pass answers like an unknown one
        (
            {
                "visitorName": "甲",
                "pointIds": [s.gid("AccessPoint", s.points["door2"])],
                **window(),
            },
            "NOT_FOUND",
        ),
    ]
    for given, code in cases:
        r = await gql(CREATE, {"i": given}, token=s.resident.token)
        assert r["errors"][0]["extensions"]["code"] == code, (given, r)


async def test_staff_give_a_courier_a_time_boxed_pass_at_named_points(site, gql):  # type: ignore[no-untyped-def]
    s = await site()
    door2 = s.gid("AccessPoint", s.points["door2"])
    r = await gql(
        SERVICE,
        {
            "i": {
                "visitorName": "顺丰 刘师傅",
                "kind": "courier",
                "maxEntries": 3,
                "pointIds": [door2],
                **window(-1, 60 * 25),
            }
        },
        token=s.staff.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # over 24 hours
    r = await gql(
        SERVICE,
        {
            "i": {
                "visitorName": "顺丰 刘师傅",
                "kind": "courier",
                "maxEntries": 3,
                "pointIds": [door2],
                **window(-1, 120),
            }
        },
        token=s.staff.token,
    )
    issued = r["data"]["createServicePass"]
    assert issued["pass"]["kind"] == "courier" and issued["pass"]["pointIds"] == [door2]
    d = await Reader(gql, s.tokens["door2"]).ask("pass", issued["code"])
    assert d["allow"] is True and d["reason"] == "courier_pass"
    assert (await Reader(gql, s.tokens["door1"]).ask("pass", issued["code"]))[
        "reason"
    ] == "point_not_on_pass"
    # residents cannot create staff passes at all
    r = await gql(
        SERVICE,
        {"i": {"visitorName": "x", "kind": "courier", "pointIds": [door2], **window()}},
        token=s.resident.token,
    )
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_host_sees_their_passes_and_the_code_again_others_do_not(site, gql):  # type: ignore[no-untyped-def]
    s = await site()
    issued = (
        await gql(CREATE, {"i": {"visitorName": "孙八", **window()}}, token=s.resident.token)
    )["data"]["createVisitorPass"]
    q = "query { visitorPasses { id visitorNameMasked } }"
    assert [p["id"] for p in (await gql(q, token=s.resident.token))["data"]["visitorPasses"]] == [
        issued["pass"]["id"]
    ]
    assert (await gql(q, token=s.neighbour.token))["data"]["visitorPasses"] == []
    assert len((await gql(q, token=s.staff.token))["data"]["visitorPasses"]) == 1
    code_q = "query($p: ID!) { visitorPassCode(id: $p) }"
    assert (await gql(code_q, {"p": issued["pass"]["id"]}, token=s.resident.token))["data"][
        "visitorPassCode"
    ] == issued["code"]
    r = await gql(code_q, {"p": issued["pass"]["id"]}, token=s.neighbour.token)
    assert r["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_blacklisted_plate_is_matched_by_digest_and_listed_masked(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(
        "mutation { addToAccessBlacklist(reason: \"逃费车辆\", plate: \"沪A 54321\") { plateMasked card } }",
        token=s.tenant.token,
    )
    assert not r.get("errors"), r
    assert r["data"]["addToAccessBlacklist"] == {"plateMasked": "沪A***21", "card": False}
    listed = await gql("query { accessBlacklist { plateMasked } }", token=s.tenant.token)
    assert listed["data"]["accessBlacklist"] == [{"plateMasked": "沪A***21"}]
    r = await gql(
        CREATE,
        {"i": {"visitorName": "李四", "plate": "沪A54321", **window()}},
        token=s.resident.token,
    )
    assert not r.get("errors"), r
    gate = Reader(gql, s.tokens["gate"])
    assert (await gate.ask("pass", r["data"]["createVisitorPass"]["code"]))["reason"] == "blacklisted"
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        from plugins.access.models import BlacklistEntry

        entry = await sess.scalar(select(BlacklistEntry))
        assert entry.plate_unsealed is None and "54321" not in (entry.plate_digest or "")


async def test_plates_stored_in_clear_before_the_migration_are_sealed_by_the_retention_job(
    site, gql, runtime
):  # type: ignore[no-untyped-def]
    from plugins.access import purge_all
    from plugins.access.models import BlacklistEntry

    s = await site()
    r = await gql(CREATE, {"i": {"visitorName": "王五", **window()}}, token=s.resident.token)
    assert not r.get("errors"), r
    tid = s.tenant.tenant_id
    async with runtime.db.tenant(tid) as sess:  # as migration ac0002 leaves an old row
        row = await sess.scalar(select(VisitorPass))
        row.plate_unsealed = "苏E88888"
        sess.add(BlacklistEntry(tenant_id=tid, reason="old", plate_unsealed="苏E88888"))
    await purge_all(runtime)
    async with runtime.db.tenant(tid) as sess:
        row = await sess.scalar(select(VisitorPass))
        entry = await sess.scalar(select(BlacklistEntry))
        assert (row.plate_unsealed, entry.plate_unsealed) == (None, None)
        assert row.plate_masked == entry.plate_masked == "苏E***88"
        assert row.plate_digest == entry.plate_digest is not None  # the blacklist matches it
        assert runtime.vault.decrypt(tid, row.plate_enc) == "苏E88888"
