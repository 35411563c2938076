"""Issue #13 audit: an NFC checkpoint (the tag's own id, not a printed QR code) proves presence like
a QR one, one tag cannot mark two checkpoints, and staff see the check-in with its time."""

from __future__ import annotations

from tests.grid.conftest import GridKit, code_of, ok

ADD = "mutation($r: ID!, $n: String!, $k: GridTagKind!, $c: String) { addPatrolCheckpoint(routeId: $r, name: $n, tagKind: $k, tagCode: $c) { id tagKind tagCode } }"
CHECK_IN = "mutation($t: String!) { patrolCheckIn(tagCode: $t) { id at checkpointId hasLocation } }"


async def test_an_nfc_checkpoint_is_checked_in_by_the_tags_id(kit: GridKit) -> None:
    firm = await kit.firm()
    worker = firm.workers[0]
    route, _ = await kit.route(firm, firm.grids[0])
    uid = "04:A2:3B:C1:5D:80:91"
    point = ok(
        await kit.q(ADD, {"r": route, "n": "水泵房", "k": "nfc", "c": uid}, token=firm.tenant.token)
    )["addPatrolCheckpoint"]
    assert (point["tagKind"], point["tagCode"]) == ("nfc", uid)
    again = await kit.q(
        ADD, {"r": route, "n": "配电房", "k": "nfc", "c": uid}, token=firm.tenant.token
    )
    assert code_of(again) == "CONFLICT"
    bad = await kit.q(
        ADD, {"r": route, "n": "配电房", "k": "rfid", "c": "x"}, token=firm.tenant.token
    )
    assert code_of(bad) == "BAD_USER_INPUT"
    done = ok(await kit.q(CHECK_IN, {"t": uid}, token=worker.token))["patrolCheckIn"]
    assert done["checkpointId"] == point["id"] and done["at"] and done["hasLocation"] is False
    seen = ok(
        await kit.q(
            "query($g: ID!) { gridCheckIns(gridId: $g) { checkpointId at } }",
            {"g": firm.grids[0]},
            token=firm.tenant.token,
        )
    )["gridCheckIns"]
    assert [c["checkpointId"] for c in seen] == [point["id"]] and seen[0]["at"] == done["at"]
    # the other grid's worker cannot use it
    assert code_of(await kit.q(CHECK_IN, {"t": uid}, token=firm.workers[1].token)) == "NOT_FOUND"
