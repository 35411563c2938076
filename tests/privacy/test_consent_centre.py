"""The consent centre from the resident's side: every declared purpose with its title, catalogue
categories and my state; one grant per purpose; a revocation by the person themselves stops the
plugin holding the purpose at once — access (face credentials disabled, readers told), care
(monitoring paused, activity trail erased, no alert), grid (no location recorded any more)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kernel.devices.models import RpcCall
from kernel.sdk import utcnow
from tests.access.conftest import Reader
from tests.care.conftest import Care
from tests.grid.conftest import GridKit, code_of, ok

MINE = "{ myConsents { purpose granted wordingVersion currentWordingVersion titleZh titleEn categories sensitive } }"
GRANT = "mutation($p: String!) { grantConsent(purpose: $p, wordingVersion: \"1\") { purpose granted titleEn } }"
REVOKE = "mutation($p: String!) { revokeConsent(purpose: $p) { purpose granted revokedAt } }"
FACE = "access.face_recognition"
HEALTH = "care.health_monitoring"
LOCATION = "grid.patrol_location"


async def test_every_plugin_declares_its_purposes_with_catalogue_categories(site, gql) -> None:  # type: ignore[no-untyped-def]
    s = await site()
    states = {c["purpose"]: c for c in ok(await gql(MINE, token=s.resident.token))["myConsents"]}
    assert {FACE, HEALTH, LOCATION, "grid.vulnerable_follow_up"} <= set(states)
    assert states[FACE]["categories"] == ["biometric_reference"] and states[FACE]["titleEn"] == "Face access"
    assert "health" in states[HEALTH]["categories"] and states[HEALTH]["titleZh"] == "居家养老看护"
    assert states[LOCATION]["categories"] == ["location"]
    for key in (FACE, HEALTH, LOCATION):  # sensitive, never asked yet
        assert states[key]["sensitive"] is True and states[key]["granted"] is False
        assert states[key]["wordingVersion"] is None and states[key]["currentWordingVersion"] == "1"


async def test_a_grant_is_for_one_purpose_only(site, gql) -> None:  # type: ignore[no-untyped-def]
    s = await site()
    assert ok(await gql(GRANT, {"p": FACE}, token=s.resident.token))["grantConsent"]["granted"] is True
    states = {c["purpose"]: c["granted"] for c in ok(await gql(MINE, token=s.resident.token))["myConsents"]}
    assert states[FACE] is True and not any(v for k, v in states.items() if k != FACE)  # nothing bundled


async def test_bad_input(site, gql) -> None:  # type: ignore[no-untyped-def]
    s = await site()
    r = await gql(REVOKE, {"p": "nobody.knows"}, token=s.resident.token)
    assert code_of(r) == "BAD_USER_INPUT" and r["errors"][0]["extensions"]["field"] == "purpose"
    assert code_of(await gql(GRANT, {"p": "nobody.knows"}, token=s.resident.token)) == "BAD_USER_INPUT"
    # revoking what was never granted, and revoking twice: NOT_FOUND, reason not_granted
    r = await gql(REVOKE, {"p": FACE}, token=s.resident.token)
    assert code_of(r) == "NOT_FOUND" and r["errors"][0]["extensions"]["reason"] == "not_granted"
    ok(await gql(GRANT, {"p": FACE}, token=s.resident.token))
    ok(await gql(GRANT, {"p": FACE}, token=s.neighbour.token))
    assert ok(await gql(REVOKE, {"p": FACE}, token=s.resident.token))["revokeConsent"]["granted"] is False
    r = await gql(REVOKE, {"p": FACE}, token=s.resident.token)
    assert code_of(r) == "NOT_FOUND" and r["errors"][0]["extensions"]["reason"] == "not_granted"
    # someone else's consent: there is no argument to name another person, and mine did not touch theirs
    r = await gql(
        f'mutation($p: ID!) {{ revokeConsent(purpose: "{FACE}", personId: $p) {{ granted }} }}',
        {"p": str(s.neighbour.person_id)},
        token=s.resident.token,
    )
    assert r.get("errors") and "personId" in r["errors"][0]["message"]
    theirs = {c["purpose"]: c["granted"] for c in ok(await gql(MINE, token=s.neighbour.token))["myConsents"]}
    assert theirs[FACE] is True
    # a staff login without a register person has no consents to revoke
    assert code_of(await gql(REVOKE, {"p": FACE}, token=s.staff.token)) == "NOT_FOUND"


async def test_revoking_face_consent_disables_faces_and_tells_every_reader(site, gql, runtime, deliver) -> None:  # type: ignore[no-untyped-def]
    from plugins.access.models import AccessCredential

    s = await site()
    ok(await gql(GRANT, {"p": FACE}, token=s.resident.token))
    face = "mutation { registerFaceCredential(reference: \"vendor-face-0001\") { status } }"
    assert ok(await gql(face, token=s.resident.token))["registerFaceCredential"]["status"] == "active"
    door = Reader(gql, s.tokens["door1"])
    assert (await door.ask("face", "vendor-face-0001"))["allow"] is True
    ok(await gql(REVOKE, {"p": FACE}, token=s.resident.token))
    assert (await door.ask("face", "vendor-face-0001"))["allow"] is False  # at once, before any handler
    await deliver(s.tenant)
    await deliver(s.tenant)
    async with runtime.db.tenant(s.tenant.tenant_id) as sess:
        cred = await sess.scalar(select(AccessCredential))
        told = {c.device_id for c in await sess.scalars(select(RpcCall).where(RpcCall.method == "revoke_credential"))}
    assert (cred.status, cred.status_reason) == ("disabled", "consent_revoked")
    assert told == set(s.devices.values())
    assert code_of(await gql(face, token=s.resident.token)) == "FORBIDDEN"  # no new face either


async def test_revoking_health_consent_pauses_care_without_alerts(care: Care, gql, deliver, runtime) -> None:  # type: ignore[no-untyped-def]
    from plugins.care import monitor_all
    from plugins.care.models import CareActivity, CareRecipient

    firm = await care.firm("cprv")
    elder = await care.elder(firm, consent=False)
    ok(await gql(GRANT, {"p": HEALTH}, token=elder.token))  # the elder grants it themselves
    rid = await care.enrol(firm, elder)
    _, door = await care.device(firm, rid, "door_sensor", "care_door_sensor")
    await care.telemetry(door, {"door_open": True})
    await deliver(firm.tenant)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        assert len((await s.scalars(select(CareActivity))).all()) == 1
    ok(await gql(REVOKE, {"p": HEALTH}, token=elder.token))
    r = await gql('mutation($r: ID!) { updateCarePlan(recipientId: $r, healthNotes: "x") { id } }', {"r": rid}, token=firm.tenant.token)
    assert code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    await deliver(firm.tenant)
    await care.telemetry(door, {"door_open": False})
    await monitor_all(runtime, now=utcnow() + timedelta(days=2), only={firm.tenant.tenant_id})
    await deliver(firm.tenant)
    assert await care.alerts(firm.tenant.token, rid) == []
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        assert (await s.scalar(select(CareRecipient.status))) == "paused"
        assert (await s.scalars(select(CareActivity))).all() == []


async def test_revoking_location_consent_stops_recording_locations(kit: GridKit, runtime) -> None:  # type: ignore[no-untyped-def]
    from plugins.grid.models import CheckIn

    firm = await kit.firm("gprv")
    worker = firm.workers[0]
    await kit.person(firm, "李网格", worker.account_id)
    _, points = await kit.route(firm, firm.grids[0])
    check_in = "mutation($t: String!, $la: Float, $lo: Float) { patrolCheckIn(tagCode: $t, latitude: $la, longitude: $lo) { hasLocation } }"
    where = {"t": points[0]["tagCode"], "la": 31.230416, "lo": 121.473701}
    ok(await kit.q(GRANT, {"p": LOCATION}, token=worker.token))
    assert ok(await kit.q(check_in, where, token=worker.token))["patrolCheckIn"]["hasLocation"] is True
    ok(await kit.q(REVOKE, {"p": LOCATION}, token=worker.token))
    r = await kit.q(check_in, where, token=worker.token)
    assert code_of(r) == "FORBIDDEN" and r["errors"][0]["extensions"]["reason"] == "consent_required"
    assert ok(await kit.q(check_in, {"t": where["t"]}, token=worker.token))["patrolCheckIn"]["hasLocation"] is False
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        located = [x for x in await s.scalars(select(CheckIn.location_enc)) if x]
    assert len(located) == 1  # the one from before the revocation


async def test_a_double_tap_grants_once_and_revokes_once(site, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    """Found by the smoke test: grants at the same moment answered INTERNAL_SERVER_ERROR (the unique
    key), revocations at the same moment all succeeded and each published ``consent.revoked``."""
    import asyncio

    from kernel.consent.models import ConsentRecord

    s = await site()
    grants = await asyncio.gather(*[gql(GRANT, {"p": FACE}, token=s.resident.token) for _ in range(4)])
    assert all(not r.get("errors") and r["data"]["grantConsent"]["granted"] for r in grants), grants
    revokes = await asyncio.gather(*[gql(REVOKE, {"p": FACE}, token=s.resident.token) for _ in range(4)])
    assert sorted(code_of(r) if r.get("errors") else "OK" for r in revokes) == ["NOT_FOUND"] * 3 + ["OK"], revokes
    async with runtime.db.tenant(s.tenant.tenant_id) as session:
        actions = list(await session.scalars(select(ConsentRecord.action).where(ConsentRecord.person_id == s.resident.person_id, ConsentRecord.purpose == FACE)))
    assert actions.count("revoked") == 1 and actions.count("granted") == 1, actions
