"""Erasure (issue #14 item 3): a resident asks, the firm's data protection officer executes or
rejects; what may go is removed, what the law keeps (the owner register for Art. 278 counting) is
pseudonymised and reported; the login is closed. Bad input: someone else's request, twice, a
stranger's firm, a rejection without a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fixtures.estates import PASSWORD, build_estate, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.identity.models import Account
from tenants.estate import service
from tenants.estate.models import Ownership, Person, Residency

pytestmark = pytest.mark.usefixtures("fast_passwords")

FIELDS = "id accountId requester status reason decidedBy report { table action rows reason columns }"
REQUEST = f"mutation {{ requestErasure {{ {FIELDS} }} }}"
EXECUTE = f"mutation($id: ID!) {{ executeErasure(id: $id) {{ {FIELDS} }} }}"
REJECT = f"mutation($id: ID!, $r: String!) {{ rejectErasure(id: $id, reason: $r) {{ {FIELDS} }} }}"
LIST = f"query($s: String) {{ erasureRequests(status: $s) {{ {FIELDS} }} }}"
MINE = f"query {{ myErasureRequests {{ {FIELDS} }} }}"


def code(r: dict) -> str:  # type: ignore[type-arg]
    assert r.get("errors"), r
    return str(r["errors"][0]["extensions"]["code"])


async def test_an_owner_is_erased_and_the_owner_register_keeps_a_pseudonym(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("erase")
    stranger = await new_tenant("erasx")
    estate = await build_estate(runtime, t.tenant_id, marker="甲")
    me = await actor(t, "owner")
    neighbour = await actor(t, "resident")
    async with runtime.db.tenant(t.tenant_id) as s:
        person = await service.register_person(s, runtime.vault, t.tenant_id, name="王芳", phone="13900002222", id_number="110101199003070021", account_id=me.account_id)
        mine = await service.create_unit(s, building_id=estate.building, number="甲102", registered_area=9120)
        await service.add_ownership(s, unit_id=mine.id, person_id=person.id)
        await service.add_residency(s, unit_id=mine.id, person_id=person.id, kind="owner")

    r = await gql(REQUEST, token=me.token)
    assert not r.get("errors"), r
    asked = r["data"]["requestErasure"]
    assert asked["status"] == "pending" and asked["report"] == []
    assert code(await gql(REQUEST, token=me.token)) == "CONFLICT"  # twice
    # only the DPO lists and decides; a neighbour cannot act on my request, another firm cannot see it
    assert code(await gql(LIST, token=neighbour.token)) == "FORBIDDEN"
    assert code(await gql(EXECUTE, {"id": asked["id"]}, token=neighbour.token)) == "FORBIDDEN"
    assert code(await gql(EXECUTE, {"id": asked["id"]}, token=stranger.token)) == "NOT_FOUND"
    assert code(await gql(EXECUTE, {"id": "not-an-id"}, token=t.token)) == "NOT_FOUND"
    listed = (await gql(LIST, {"s": "pending"}, token=t.token))["data"]["erasureRequests"]
    assert [x["id"] for x in listed] == [asked["id"]]

    r = await gql(EXECUTE, {"id": asked["id"]}, token=t.token)
    assert not r.get("errors"), r
    done = r["data"]["executeErasure"]
    assert done["status"] == "executed" and done["requester"] == "已删除"
    steps = {(s["table"], s["action"]): s for s in done["report"]}
    assert steps[("persons", "pseudonymised")]["rows"] == 1
    assert "legal hold" in steps[("persons", "pseudonymised")]["reason"] and "Art. 278" in steps[("persons", "pseudonymised")]["reason"]
    assert {"name", "phone_enc", "id_number_enc", "id_number_digest"} <= set(steps[("persons", "pseudonymised")]["columns"])
    assert steps[("ownerships", "kept")]["rows"] == 1 and "Art. 278" in steps[("ownerships", "kept")]["reason"]
    assert steps[("residencies", "removed")]["rows"] == 1
    assert steps[("accounts", "pseudonymised")]["rows"] == 1
    assert steps[("audit_entries", "kept")]["rows"] >= 1
    assert code(await gql(EXECUTE, {"id": asked["id"]}, token=t.token)) == "CONFLICT"  # twice

    async with runtime.db.tenant(t.tenant_id) as s:
        p = await s.scalar(select(Person).where(Person.id == person.id))
        account = await s.scalar(select(Account).where(Account.id == me.account_id))
        owners = (await s.execute(select(Ownership.unit_id, Ownership.person_id))).all()
        residencies = await s.scalar(select(func.count()).select_from(Residency).where(Residency.person_id == person.id))
        audit = (await s.scalars(select(AuditEntry).where(AuditEntry.action.like("privacy.erasure%")).order_by(AuditEntry.seq))).all()
    assert p is not None and p.name.startswith("已删除-") and p.phone_enc is None and p.id_number_enc is None and p.id_number_digest is None
    assert sorted(owners) == sorted([(estate.unit, estate.person), (mine.id, person.id)])  # the register still counts both units' owners
    assert residencies == 0
    assert account is not None and account.disabled and account.username.startswith("erased-") and account.phone_enc is None
    assert [a.action for a in audit] == ["privacy.erasure_requested", "privacy.erasure_executed"]
    assert all("王芳" not in str(a.detail) and "13900002222" not in str(a.detail) for a in audit)

    # the login is closed: the token stops, the password no longer logs in
    assert code(await gql(MINE, token=me.token)) == "UNAUTHENTICATED"
    r = await gql("mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }", {"u": me.username, "p": PASSWORD, "t": t.slug})
    assert r.get("errors"), r


async def test_a_rejected_request_says_why_and_a_renter_is_removed(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("erasr")
    estate = await build_estate(runtime, t.tenant_id, marker="乙")
    renter = await actor(t, "resident")
    async with runtime.db.tenant(t.tenant_id) as s:
        person = await service.register_person(s, runtime.vault, t.tenant_id, name="赵租", phone="13700003333", account_id=renter.account_id)
        await service.add_residency(s, unit_id=estate.unit, person_id=person.id, kind="renter")

    first = (await gql(REQUEST, token=renter.token))["data"]["requestErasure"]
    assert code(await gql(REJECT, {"id": first["id"], "r": "  "}, token=t.token)) == "BAD_USER_INPUT"
    r = await gql(REJECT, {"id": first["id"], "r": "物业费争议处理中"}, token=t.token)
    assert r["data"]["rejectErasure"]["status"] == "rejected"
    mine = (await gql(MINE, token=renter.token))["data"]["myErasureRequests"]
    assert [(m["status"], m["reason"]) for m in mine] == [("rejected", "物业费争议处理中")]
    assert code(await gql(EXECUTE, {"id": first["id"]}, token=t.token)) == "CONFLICT"  # decided once

    second = (await gql(REQUEST, token=renter.token))["data"]["requestErasure"]  # asking again is allowed
    r = await gql(EXECUTE, {"id": second["id"]}, token=t.token)
    assert not r.get("errors"), r
    steps = {(s["table"], s["action"]): s["rows"] for s in r["data"]["executeErasure"]["report"]}
    assert steps[("persons", "removed")] == 1 and steps[("residencies", "removed")] == 1
    async with runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(Person).where(Person.id == person.id)) is None
        assert await s.scalar(select(Person).where(Person.id == estate.person)) is not None  # the neighbour stays


async def test_an_admin_cannot_erase_the_firms_last_admin(runtime, gql, new_tenant) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("erasa")
    key = (await gql('mutation { createApiKey(name: "erp", role: "tenant_admin") { secret } }', token=t.token))["data"]["createApiKey"]["secret"]
    assert code(await gql(REQUEST, headers={"X-API-Key": key})) == "FORBIDDEN"  # an integration is nobody to erase
    assert code(await gql(REQUEST)) == "UNAUTHENTICATED"
    asked = (await gql(REQUEST, token=t.token))["data"]["requestErasure"]
    assert code(await gql(EXECUTE, {"id": asked["id"]}, token=t.token)) == "CONFLICT"
    listed = (await gql(LIST, {"s": "pending"}, token=t.token))["data"]["erasureRequests"]
    assert [x["status"] for x in listed] == ["pending"]  # nothing half-done
    assert code(await gql(LIST, {"s": "maybe"}, token=t.token)) == "BAD_USER_INPUT"


async def test_hook_on_personal_data_erasure(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """The care plugin removes what hangs off a care recipient (check-ins), which names no person."""
    from plugins.care.models import CareCheckIn, CareRecipient

    t = await new_tenant("erash")
    estate = await build_estate(runtime, t.tenant_id, marker="丙")
    elder = await actor(t, "resident")
    async with runtime.db.tenant(t.tenant_id) as s:
        person = await service.register_person(s, runtime.vault, t.tenant_id, name="孙老", account_id=elder.account_id)
        recipient = CareRecipient(person_id=person.id, community_id=estate.community, monitoring_since=datetime.now(UTC))
        s.add(recipient)
        await s.flush()
        s.add(CareCheckIn(recipient_id=recipient.id, day=date(2026, 12, 1), method="self", checked_at=datetime.now(UTC), by="self"))
    asked = (await gql(REQUEST, token=elder.token))["data"]["requestErasure"]
    r = await gql(EXECUTE, {"id": asked["id"]}, token=t.token)
    assert not r.get("errors"), r
    steps = {(s["table"], s["action"]): s for s in r["data"]["executeErasure"]["report"]}
    assert steps[("care_check_ins", "removed")]["rows"] == 1
    assert steps[("care_check_ins", "removed")]["reason"] == "the person's elderly-care record"
    assert steps[("care_recipients", "removed")]["rows"] == 1
    async with runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(CareCheckIn)) == 0


async def test_rows_about_someone_else_stay_when_the_one_who_acted_is_erased(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """An owner who added a renter, a staff member who read a neighbour's data: erasing them leaves the
    renter's stay and the neighbour's "who read my data" record (found by the smoke test: both went)."""
    from kernel.consent.reads import PersonalDataRead

    t = await new_tenant("erasz")
    estate = await build_estate(runtime, t.tenant_id, marker="丙")
    owner = await actor(t, "owner")
    staff = await actor(t, "property_staff")
    async with runtime.db.tenant(t.tenant_id) as s:
        me = await service.register_person(s, runtime.vault, t.tenant_id, name="钱业主", phone="13900004444", account_id=owner.account_id)
        unit = await service.create_unit(s, building_id=estate.building, number="丙909", registered_area=8800)
        await service.add_ownership(s, unit_id=unit.id, person_id=me.id)
        renter = await service.register_person(s, runtime.vault, t.tenant_id, name="孙租客", phone="13900005555")
        stay = await service.add_residency(s, unit_id=unit.id, person_id=renter.id, kind="renter")
        stay.added_by_person_id = me.id
        s.add(PersonalDataRead(person_id=renter.id, reader_account_id=staff.account_id, reader=f"account:{staff.account_id}", category="contact"))
        s.add(PersonalDataRead(person_id=me.id, reader_account_id=staff.account_id, reader=f"account:{staff.account_id}", category="identity"))

    for who in (owner, staff):
        asked = (await gql(REQUEST, token=who.token))["data"]["requestErasure"]
        r = await gql(EXECUTE, {"id": asked["id"]}, token=t.token)
        assert not r.get("errors"), r
        steps = {(s["table"], s["action"]): s for s in r["data"]["executeErasure"]["report"]}
        kept = steps[("residencies", "kept")] if who is owner else steps[("personal_data_reads", "kept")]
        assert kept["rows"] == 1 and "only as who acted" in kept["reason"], steps

    async with runtime.db.tenant(t.tenant_id) as s:
        stays = (await s.execute(select(Residency.person_id, Residency.kind))).all()
        reads = (await s.execute(select(PersonalDataRead.person_id, PersonalDataRead.category))).all()
    assert (renter.id, "renter") in stays
    assert reads == [(renter.id, "contact")]  # the erased owner's own read record went with them


async def test_two_officers_executing_at_once_erase_once(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """Found by the smoke test: on SQLite (no FOR UPDATE) four executes at once all answered OK and
    each audited ``privacy.erasure_executed``."""
    import asyncio

    t = await new_tenant("erasp")
    renter = await actor(t, "resident")
    asked = (await gql(REQUEST, token=renter.token))["data"]["requestErasure"]
    results = await asyncio.gather(*[gql(EXECUTE, {"id": asked["id"]}, token=t.token) for _ in range(3)])
    assert sorted(code(r) if r.get("errors") else "OK" for r in results) == ["CONFLICT", "CONFLICT", "OK"], results
    async with runtime.db.tenant(t.tenant_id) as s:
        executed = await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "privacy.erasure_executed"))
    assert executed == 1


async def test_erasing_a_staff_member_keeps_the_firm_records_of_their_work(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: erasing an inspector or a care worker deleted the inspection rounds and schedules
    they walked and the care services they delivered. Those are the firm's records
    (``firm_record`` in the catalogue): kept, the staff member pseudonymised; the elder a care
    service is about keeps their row, and the staff member's own data still goes."""
    from datetime import timedelta

    from kernel.consent.reads import PersonalDataRead
    from kernel.db.catalogue import firm_record_of
    from plugins.care.models import CareRecipient, CareService
    from plugins.inspections.models import InspectionRound, InspectionRoute, InspectionSchedule

    assert all(firm_record_of(m.__table__) for m in (InspectionRound, InspectionSchedule, CareService))
    t = await new_tenant("erasf")
    estate = await build_estate(runtime, t.tenant_id, marker="丁")
    staff = await actor(t, "property_staff")
    now = datetime.now(UTC)
    async with runtime.db.tenant(t.tenant_id) as s:
        route = InspectionRoute(community_id=estate.community, name="消防巡检")
        s.add(route)
        await s.flush()
        schedule = InspectionSchedule(route_id=route.id, interval_hours=24, inspector_account_id=staff.account_id, next_due_at=now)
        s.add(schedule)
        await s.flush()
        walked = InspectionRound(route_id=route.id, schedule_id=schedule.id, inspector_account_id=staff.account_id, status="completed", finished_at=now)
        other = InspectionRound(route_id=route.id, inspector_account_id=None, status="scheduled")
        elder = CareRecipient(person_id=estate.person, community_id=estate.community, monitoring_since=now)
        s.add_all([walked, other, elder])
        await s.flush()
        service_row = CareService(recipient_id=elder.id, kind="visit", scheduled_for=now - timedelta(days=1), provider_account_id=staff.account_id,
                                  status="done", done_at=now)
        s.add(service_row)
        s.add(PersonalDataRead(person_id=estate.person, reader_account_id=staff.account_id, reader=f"account:{staff.account_id}", category="contact"))
        await s.flush()
        ids = (schedule.id, walked.id, other.id, service_row.id)

    asked = (await gql(REQUEST, token=staff.token))["data"]["requestErasure"]
    r = await gql(EXECUTE, {"id": asked["id"]}, token=t.token)
    assert not r.get("errors"), r
    steps = {(s["table"], s["action"]): s for s in r["data"]["executeErasure"]["report"]}
    for table in ("inspection_schedules", "inspection_rounds", "care_services"):
        assert steps[(table, "kept")]["rows"] == 1 and "firm record" in steps[(table, "kept")]["reason"], steps
        assert (table, "removed") not in steps
    assert steps[("accounts", "pseudonymised")]["rows"] == 1

    async with runtime.db.tenant(t.tenant_id) as s:
        assert await s.scalar(select(InspectionSchedule.inspector_account_id).where(InspectionSchedule.id == ids[0])) == staff.account_id
        assert await s.scalar(select(InspectionRound.status).where(InspectionRound.id == ids[1])) == "completed"
        assert await s.scalar(select(InspectionRound.status).where(InspectionRound.id == ids[2])) == "scheduled"
        assert await s.scalar(select(CareService.provider_account_id).where(CareService.id == ids[3])) == staff.account_id
        reads = await s.scalar(select(func.count()).select_from(PersonalDataRead).where(PersonalDataRead.reader_account_id == staff.account_id))
        account = await s.scalar(select(Account).where(Account.id == staff.account_id))
    assert account is not None and account.username.startswith("erased-")
    assert reads == 1  # the resident's "who read my data" record stays, as before


async def test_five_requests_at_once_open_one(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: five ``requestErasure`` sent at once by the same person made five pending requests.
    The partial unique index (one pending request per person) lets one through; the others are
    CONFLICT, never an internal error."""
    import asyncio

    from tenants.erasure_requests import ErasureRequest

    t = await new_tenant("erasc")
    me = await actor(t, "resident")
    results = await asyncio.gather(*[gql(REQUEST, token=me.token) for _ in range(5)])
    assert sorted(code(r) if r.get("errors") else "OK" for r in results) == ["CONFLICT"] * 4 + ["OK"], results
    async with runtime.db.tenant(t.tenant_id) as s:
        pending = await s.scalar(select(func.count()).select_from(ErasureRequest).where(
            ErasureRequest.account_id == me.account_id, ErasureRequest.status == "pending"))
        audited = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "privacy.erasure_requested", AuditEntry.target == str(me.account_id)))
    assert pending == 1 and audited == 1


async def test_staff_request_the_erasure_of_a_person_without_a_login(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: an owner who never claimed has no login and cannot ask; the data protection officer
    (``privacy:manage``) asks on their behalf, audited, and executes it as any request."""
    import uuid as uuid_

    t = await new_tenant("erasn")
    estate = await build_estate(runtime, t.tenant_id, marker="戊")
    resident = await actor(t, "resident")
    async with runtime.db.tenant(t.tenant_id) as s:
        person = await service.register_person(s, runtime.vault, t.tenant_id, name="周未认领", phone="13900006666")
        unit = await service.create_unit(s, building_id=estate.building, number="戊301", registered_area=9000)
        await service.add_ownership(s, unit_id=unit.id, person_id=person.id)
        await service.add_residency(s, unit_id=unit.id, person_id=person.id, kind="owner")
    FOR = f"mutation($p: ID!) {{ requestErasureFor(personId: $p) {{ personId {FIELDS} }} }}"

    assert code(await gql(FOR, {"p": str(person.id)}, token=resident.token)) == "FORBIDDEN"
    assert code(await gql(FOR, {"p": str(uuid_.uuid4())}, token=t.token)) == "NOT_FOUND"
    assert code(await gql(FOR, {"p": "not-an-id"}, token=t.token)) == "NOT_FOUND"
    r = await gql(FOR, {"p": str(person.id)}, token=t.token)
    assert not r.get("errors"), r
    asked = r["data"]["requestErasureFor"]
    assert asked["status"] == "pending" and asked["accountId"] is None and asked["personId"] == str(person.id)
    assert asked["requester"] == "周未认领"
    assert code(await gql(FOR, {"p": str(person.id)}, token=t.token)) == "CONFLICT"  # twice

    r = await gql(EXECUTE, {"id": asked["id"]}, token=t.token)
    assert not r.get("errors"), r
    done = r["data"]["executeErasure"]
    steps = {(s["table"], s["action"]): s for s in done["report"]}
    assert done["status"] == "executed"
    assert steps[("persons", "pseudonymised")]["rows"] == 1 and steps[("ownerships", "kept")]["rows"] == 1
    assert steps[("residencies", "removed")]["rows"] == 1
    assert ("accounts", "pseudonymised") not in steps
    async with runtime.db.tenant(t.tenant_id) as s:
        p = await s.scalar(select(Person).where(Person.id == person.id))
        audit = (await s.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.detail).where(
            AuditEntry.target == str(person.id), AuditEntry.action.like("privacy.erasure%")).order_by(AuditEntry.seq))).all()
    assert p is not None and p.name.startswith("已删除-") and p.phone_enc is None
    assert [a[0] for a in audit] == ["privacy.erasure_requested", "privacy.erasure_executed"]
    assert audit[0][2].get("on_behalf") is True and audit[0][1] == audit[1][1]  # the officer asked and executed
