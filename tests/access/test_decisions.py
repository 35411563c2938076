"""Decisions asked by readers over HTTP: who may pass where, the QR code's life (forged,
expired, replayed, another firm's), cards, lift floors, grants in time windows, anti-passback,
the blacklist — and every decision recorded."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from plugins.access import codes, service
from plugins.access.models import AccessRecord
from tests.access.conftest import Reader

QR = "query { myAccessQrCode { code validUntil stepSeconds } }"


async def qr_of(gql, person) -> str:  # type: ignore[no-untyped-def]
    r = await gql(QR, token=person.token)
    assert not r.get("errors"), r
    return str(r["data"]["myAccessQrCode"]["code"])


async def test_a_resident_passes_the_gate_and_their_own_building_not_the_neighbours(
    site, gql, runtime
):  # type: ignore[no-untyped-def]
    s = await site()
    gate, door1, door2 = (Reader(gql, s.tokens[n]) for n in ("gate", "door1", "door2"))
    for person in (s.resident, s.neighbour):  # the common gate: every resident of the community
        d = await gate.ask("qr", await qr_of(gql, person))
        assert d["allow"] is True and d["reason"] == "resident"
    d1 = await door1.ask("qr", await qr_of(gql, s.resident))
    assert d1["allow"] is True and d1["reason"] == "resident" and d1["open_seconds"] == 5
    d2 = await door2.ask("qr", await qr_of(gql, s.resident))
    assert d2 == {"allow": False, "reason": "not_permitted", "record_id": d2["record_id"]}
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        rows = list(await sess.scalars(select(AccessRecord).order_by(AccessRecord.occurred_at)))
    assert len(rows) == 4  # every decision recorded, refusals too
    assert [(r.allowed, r.reason) for r in rows[-2:]] == [
        (True, "resident"),
        (False, "not_permitted"),
    ]
    assert rows[-1].account_id == s.resident.account_id and rows[-1].point_id == s.points["door2"]


async def test_the_lift_reader_answers_the_residents_floors(site, gql):  # type: ignore[no-untyped-def]
    s = await site()
    d = await Reader(gql, s.tokens["lift1"]).ask("qr", await qr_of(gql, s.resident))
    assert d["allow"] is True and d["floors"] == [12]
    d = await Reader(gql, s.tokens["lift1"]).ask("qr", await qr_of(gql, s.neighbour))
    assert d["allow"] is False and "floors" not in d


async def test_forged_expired_replayed_and_foreign_codes_are_refused(site, gql, runtime):  # type: ignore[no-untyped-def]
    a, b = await site("firma"), await site("firmb")
    door = Reader(gql, a.tokens["door1"])
    good = await qr_of(gql, a.resident)
    # forged: a flipped digit of the MAC; the neighbour's account put on the resident's code
    prefix, acc, step, nonce, mac = good.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    assert (await door.ask("qr", f"{prefix}.{acc}.{step}.{nonce}.{flipped}"))[
        "reason"
    ] == "code_invalid"
    other = a.neighbour.account_id.hex
    assert (await door.ask("qr", f"{prefix}.{other}.{step}.{nonce}.{mac}"))[
        "reason"
    ] == "code_invalid"
    assert (await door.ask("qr", "LQ1.not-a-code"))["reason"] == "code_invalid"
    # a future step is not accepted either (a code minted ahead of time)
    future = codes.issue_qr(
        runtime.vault, a.tenant.tenant_id, 1, a.resident.account_id, int(step) + 5
    )
    assert (await door.ask("qr", future))["reason"] == "code_invalid"
    # expired: a genuine code two steps old
    old = codes.issue_qr(
        runtime.vault, a.tenant.tenant_id, 1, a.resident.account_id, int(time.time()) // 30 - 2
    )
    assert (await door.ask("qr", old))["reason"] == "code_expired"
    # another firm's code for its own resident: invalid here, not "unknown account"
    foreign = await qr_of(gql, b.resident)
    assert (await door.ask("qr", foreign))["reason"] == "code_invalid"
    # genuine: passes once, then replayed at the same reader; another reader still takes it
    assert (await door.ask("qr", good))["allow"] is True
    assert (await door.ask("qr", good))["reason"] == "code_replayed"
    # every fetch is a new code: passing the same reader again needs no wait for the next step
    again = await qr_of(gql, a.resident)
    assert again != good and (await door.ask("qr", again))["allow"] is True
    assert (await Reader(gql, a.tokens["gate"]).ask("qr", good))["allow"] is True
    # rotating the firm's QR key kills every code in circulation
    async with runtime.db.tenant(a.tenant.tenant_id) as sess:
        await service.update_settings(sess, rotate_qr_key=True)
    fresh_before_rotation = codes.issue_qr(
        runtime.vault, a.tenant.tenant_id, 1, a.resident.account_id, int(time.time()) // 30
    )
    assert (await Reader(gql, a.tokens["lift1"]).ask("qr", fresh_before_rotation))[
        "reason"
    ] == "code_invalid"
    assert (await Reader(gql, a.tokens["lift1"]).ask("qr", await qr_of(gql, a.resident)))[
        "allow"
    ] is True


async def test_a_reader_retrying_with_the_same_event_id_gets_the_same_answer_once_recorded(
    site, gql, runtime
):  # type: ignore[no-untyped-def]
    s = await site()
    door = Reader(gql, s.tokens["door1"])
    code = await qr_of(gql, s.resident)
    first = await door.ask("qr", code, event_id="e-1")
    again = await door.ask("qr", code, event_id="e-1")
    assert first == {k: v for k, v in again.items()} and first["allow"] is True
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        assert await sess.scalar(select(func.count()).select_from(AccessRecord)) == 1


async def test_cards_blacklist_and_grants_by_role_in_a_time_window(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    door2 = Reader(gql, s.tokens["door2"])
    r = await gql(
        'mutation($a: ID!) { issueAccessCard(accountId: $a, number: "04:a1:b2:c3") { hint status } }',
        {"a": str(s.technician.account_id)},
        token=s.staff.token,
    )
    assert r["data"]["issueAccessCard"] == {"hint": "B2C3", "status": "active"}, r
    assert (await door2.ask("card", "04A1B2C3"))["reason"] == "not_permitted"
    assert (await door2.ask("card", "FFFF0000"))["reason"] == "unknown_card"
    # technicians may pass every point of the community on weekdays, all day
    r = await gql(
        'mutation($c: ID!) { createAccessGrant(communityId: $c, role: "technician", weekdays: 31) { id weekdays } }',
        {"c": s.gid("Community", s.community_id)},
        token=s.staff.token,
    )
    assert not r.get("errors"), r
    from plugins.access.decisions import LOCAL

    weekday = datetime.now(UTC).astimezone(LOCAL).weekday() < 5
    assert (await door2.ask("card", "04-A1-B2-C3"))["allow"] is weekday
    # a grant to one account, in a window that is not now, does not let them pass
    now_local = datetime.now(UTC).astimezone(LOCAL)
    minute = now_local.hour * 60 + now_local.minute
    start, end = (minute + 60) % 1380, (minute + 60) % 1380 + 30
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        await service.create_grant(
            sess,
            community_id=s.community_id,
            point_id=s.points["door2"],
            account_id=s.staff.account_id,
            window=service.Window(0b1111111, start, end),
        )
    assert (await door2.ask("qr", await qr_of(gql, s.staff)))["reason"] == "not_permitted"
    # the blacklist refuses the card (and the resident's account) whatever else allows them
    r = await gql(
        'mutation($a: ID!) { a: addToAccessBlacklist(reason: "lost card reported", cardNumber: "04A1B2C3") { card }'
        ' b: addToAccessBlacklist(reason: "court order", accountId: $a) { accountId } }',
        {"a": str(s.resident.account_id)},
        token=s.staff.token,
    )
    assert not r.get("errors"), r
    assert (await door2.ask("card", "04A1B2C3"))["reason"] == "blacklisted"
    assert (await Reader(gql, s.tokens["door1"]).ask("qr", await qr_of(gql, s.resident)))[
        "reason"
    ] == "blacklisted"


async def test_anti_passback_refuses_the_same_direction_twice(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    gate = Reader(gql, s.tokens["gate"])
    step = int(time.time()) // 30
    # two codes of the same step (each fetch has its own nonce): valid for the whole test even if
    # a step boundary passes meanwhile
    now_code, previous_code = (
        codes.issue_qr(runtime.vault, s.tenant.tenant_id, 1, s.resident.account_id, step)
        for _ in range(2)
    )
    assert (await gate.ask("qr", now_code, "in"))["allow"] is True
    # the card handed back over the fence: "in" again without an "out"
    assert (await gate.ask("qr", previous_code, "in"))["reason"] == "anti_passback"
    # a refused code is not used up: the same one lets them out
    assert (await gate.ask("qr", previous_code, "out"))["allow"] is True
    # a door without anti-passback does not care about direction
    door = Reader(gql, s.tokens["door1"])
    assert (await door.ask("qr", now_code, "in"))["allow"] is True
    assert (await door.ask("qr", previous_code, "in"))["allow"] is True


async def test_an_inactive_point_and_an_unlinked_device_are_answered_clearly(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(
        "mutation($p: ID!) { setAccessPointActive(id: $p, active: false) { active } }",
        {"p": s.gid("AccessPoint", s.points["door1"])},
        token=s.staff.token,
    )
    assert r["data"]["setAccessPointActive"]["active"] is False
    assert (await Reader(gql, s.tokens["door1"]).ask("qr", await qr_of(gql, s.resident)))[
        "reason"
    ] == "point_inactive"
    await Reader(gql, "no-such-token").ask("qr", "x", status=401)
    bad = await Reader(gql, s.tokens["gate"]).ask("fingerprint", "x", status=400)
    assert bad["error"]["code"] == "BAD_USER_INPUT"
    _ = uuid, timedelta
