"""Face credentials under separate biometric consent (revoking it stops the face at once and
tells the readers), and readers that were offline uploading their decisions late."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from kernel.devices.models import RpcCall
from plugins.access import codes
from plugins.access.models import AccessCredential, AccessRecord, VisitorPass
from tests.access.conftest import Reader
from tests.access.test_passes import CREATE, window

FACE = "mutation($r: String!) { registerFaceCredential(reference: $r) { id kind hint status statusReason } }"
REF = "vendor-face-7f3a9c21"


async def test_a_face_needs_separate_consent_and_revoking_it_stops_the_face_at_once(
    site, gql, runtime, deliver, recorder
):  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(FACE, {"r": REF}, token=s.resident.token)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert r["errors"][0]["extensions"]["reason"] == "consent_required"
    r = await gql(
        'mutation { grantConsent(purpose: "access.face_recognition", wordingVersion: "1") { granted } }',
        token=s.resident.token,
    )
    assert not r.get("errors"), r
    r = await gql(FACE, {"r": REF}, token=s.resident.token)
    assert (
        r["data"]["registerFaceCredential"]["status"] == "active"
        and r["data"]["registerFaceCredential"]["hint"] == "9c21"
    )
    async with runtime.db.tenant(
        s.tenant.tenant_id
    ) as sess:  # only a digest and an encrypted reference
        cred = await sess.scalar(select(AccessCredential))
        assert REF not in (cred.lookup_digest + (cred.reference_enc or ""))
    door = Reader(gql, s.tokens["door1"])
    assert (await door.ask("face", REF))["allow"] is True
    r = await gql(
        'mutation { revokeConsent(purpose: "access.face_recognition") { granted } }',
        token=s.resident.token,
    )
    assert not r.get("errors"), r
    # at once: before any handler has run, the reader is refused
    assert (await door.ask("face", REF))["reason"] == "consent_revoked"
    await deliver(s.tenant)  # consent.revoked: the face is disabled
    await deliver(s.tenant)  # access.credential_disabled: the readers are told
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        cred = await sess.scalar(select(AccessCredential))
        assert (cred.status, cred.status_reason) == ("disabled", "consent_revoked")
        calls = list(
            await sess.scalars(select(RpcCall).where(RpcCall.method == "revoke_credential"))
        )
    # every reader of the firm is told to forget the reference
    assert sorted(c.device_id for c in calls) == sorted(s.devices.values())
    assert all(c.params == {"kind": "face", "reference": REF} for c in calls)
    assert [
        e.payload["reason"] for e in recorder.seen if e.type == "access.credential_disabled"
    ] == ["consent_revoked"]
    assert (await door.ask("face", REF))["reason"] == "credential_disabled"
    # a reader polling the device API receives the command
    r = await gql.http.get(f"/api/v1/{s.tokens['door1']}/rpc?timeout=0")
    assert r.status_code == 200 and r.json()["method"] == "revoke_credential"


async def test_offline_decisions_uploaded_late_stand_are_ordered_and_never_counted_twice(
    site, gql, runtime
):  # type: ignore[no-untyped-def]
    s = await site()
    issued = (
        await gql(
            CREATE,
            {"i": {"visitorName": "周九", "maxEntries": 1, **window(-30, 120)}},
            token=s.resident.token,
        )
    )["data"]["createVisitorPass"]
    gate = Reader(gql, s.tokens["gate"])
    now_ms = int(time.time() * 1000)
    step = (now_ms - 20_000) // 1000 // 30  # the code the resident's phone showed at that moment
    qr = codes.issue_qr(runtime.vault, s.tenant.tenant_id, 1, s.resident.account_id, step)
    events = [  # arrive out of order; the reader let the visitor in twice on a one-entry pass
        {
            "event_id": "g-3",
            "ts": now_ms - 60_000,
            "kind": "pass",
            "value": issued["code"],
            "direction": "in",
            "allowed": True,
        },
        {
            "event_id": "g-1",
            "ts": now_ms - 600_000,
            "kind": "pass",
            "value": issued["code"],
            "direction": "in",
            "allowed": True,
        },
        {
            "event_id": "g-2",
            "ts": now_ms - 300_000,
            "kind": "pass",
            "value": issued["code"],
            "direction": "out",
            "allowed": True,
        },
        {
            "event_id": "g-4",
            "ts": now_ms - 20_000,
            "kind": "qr",
            "value": qr,
            "direction": "in",
            "allowed": True,
        },
        {
            "event_id": "g-5",
            "ts": now_ms - 10_000,
            "kind": "card",
            "value": "DEADBEEF",
            "direction": "in",
            "allowed": False,
        },
    ]
    result = await gate.upload(events)
    # the platform would have refused the second entry; the unknown card it would have refused too
    assert result == {"recorded": 5, "duplicates": 0, "disagreements": ["g-3"]}
    again = await gate.upload(events)  # the reader did not get the answer and sends it all again
    assert again == {"recorded": 0, "duplicates": 5, "disagreements": []}
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        rows = list(await sess.scalars(select(AccessRecord).order_by(AccessRecord.occurred_at)))
        vp = await sess.scalar(select(VisitorPass))
    assert [r.device_event_id for r in rows] == ["g-1", "g-2", "g-3", "g-4", "g-5"]
    assert [r.allowed for r in rows] == [True, True, True, True, False]  # not overturned
    assert [r.platform_reason for r in rows] == [
        "visitor_pass",
        "visitor_pass",
        "pass_used_up",
        "resident",
        "unknown_card",
    ]
    assert all(r.offline for r in rows)
    assert vp.entries_used == 2  # both entries happened; counted once each
    # the pass is used up now, and the QR code used offline is a replay online
    assert (await gate.ask("pass", issued["code"]))["reason"] == "pass_used_up"
    assert (await gate.ask("qr", qr, "out"))["reason"] == "code_replayed"


async def test_bad_uploads_are_refused_whole(site, gql, runtime):  # type: ignore[no-untyped-def]
    s = await site()
    gate = Reader(gql, s.tokens["gate"])
    now_ms = int(time.time() * 1000)
    ok = {
        "event_id": "x-1",
        "ts": now_ms,
        "kind": "card",
        "value": "12345678",
        "direction": "in",
        "allowed": False,
    }
    for bad in (
        [{**ok, "ts": now_ms - 40 * 86_400_000}],  # older than 30 days
        [{**ok, "allowed": "yes"}],
        [{**ok, "event_id": None}],
        [ok, {**ok}],  # the same event id twice in one upload
        [{**ok, "value": "1234\u0000"}],  # a NUL: never what a reader scanned
    ):
        r = await gate.upload(bad, status=400)
        assert r["error"]["code"] == "BAD_USER_INPUT"
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        assert await sess.scalar(select(func.count()).select_from(AccessRecord)) == 0
