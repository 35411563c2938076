"""The personal data dashboard: what is held about me by the catalogue's category
(``myPersonalData``), and who read it (``myDataReads``) — reads of personal fields recorded by the
GraphQL field extension, one row per reader × person × category per request, never my own reads."""

from __future__ import annotations

from sqlalchemy import select, update

from kernel.consent.reads import PersonalDataRead, record_reads
from kernel.identity.models import Account
from tests.care.conftest import Care, code_of, ok

DETAIL = "query Detail($id: ID!) { careRecipient(id: $id) { name healthNotes again: healthNotes recipient { maskedName } } }"
READS = "query($n: Int) { myDataReads(first: $n) { at category reader operation } }"
HELD = "{ myPersonalData { linkedToRegister categories { category level rows fields { table field level rows } } tables { name rows } } }"


async def _reads(runtime, tenant_id) -> list[PersonalDataRead]:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant_id) as s:
        return list(await s.scalars(select(PersonalDataRead).order_by(PersonalDataRead.category)))


async def test_staff_reads_are_recorded_once_per_request_and_shown_to_the_person(care: Care, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm("rdsa")
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        await s.execute(update(Account).where(Account.username == firm.tenant.admin).values(display_name="张建国"))
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    assert await _reads(runtime, firm.tenant.tenant_id) == []  # enrolling is no read

    got = ok(await gql(DETAIL, {"id": rid}, token=firm.tenant.token))["careRecipient"]
    assert got["healthNotes"] == "高血压，服用氨氯地平" and got["again"] == got["healthNotes"]
    reads = await _reads(runtime, firm.tenant.tenant_id)
    # the name and the notes (twice) in one request: one row per category
    assert [(r.category, r.person_id, r.operation) for r in reads] == [
        ("health", elder.person_id, "Detail"),
        ("identity", elder.person_id, "Detail"),
    ]
    ok(await gql(DETAIL, {"id": rid}, token=firm.tenant.token))
    assert len(await _reads(runtime, firm.tenant.tenant_id)) == 4  # a second request is a second read

    # a person reading their own data is not recorded (what the extension noted, written as at a request's end)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        noted = {(f"account:{elder.account_id}", elder.account_id, elder.person_id, "health")}
        assert await record_reads(s, noted, "Mine") == 0
    assert len(await _reads(runtime, firm.tenant.tenant_id)) == 4

    listed = ok(await gql(READS, {"n": 10}, token=elder.token))["myDataReads"]
    assert len(listed) == 4 and {x["category"] for x in listed} == {"health", "identity"}
    assert {x["reader"] for x in listed} == {"张*国"}  # masked
    assert listed[0]["at"] >= listed[-1]["at"] and listed[0]["operation"] == "Detail"
    # the admin has no register person: nothing read about them
    assert ok(await gql(READS, token=firm.tenant.token))["myDataReads"] == []
    assert code_of(await gql(READS, {"n": 0}, token=elder.token)) == "BAD_USER_INPUT"
    assert code_of(await gql(READS, {"n": 201}, token=elder.token)) == "BAD_USER_INPUT"
    assert code_of(await gql(READS)) == "UNAUTHENTICATED"


async def test_a_failed_request_still_records_what_it_served(care: Care, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm("rdsd")
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    # the second field fails, the request rolls back, the first one's value was served
    r = await gql('query Both($id: ID!) { a: careRecipient(id: $id) { name } b: careRecipient(id: "garbage") { name } }', {"id": rid}, token=firm.tenant.token)
    assert r["data"]["a"]["name"] == "王秀英" and r["errors"], r
    assert [(x.category, x.operation) for x in await _reads(runtime, firm.tenant.tenant_id)] == [("identity", "Both")]
    # nothing served (a non-null field failed and nulled the answer): nothing recorded
    r = await gql("query None($id: ID!) { careRecipient(id: $id) { name } grids { id } }", {"id": rid}, token=firm.tenant.token)
    assert r["data"] is None and code_of(r) == "PLUGIN_DISABLED"
    assert len(await _reads(runtime, firm.tenant.tenant_id)) == 1


async def test_a_field_without_a_value_is_no_read(care: Care, gql, runtime, actor) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm("rdsb")
    elder = await care.elder(firm)
    rid = await care.enrol(firm, elder)
    ok(await gql("query($id: ID!) { careRecipient(id: $id) { recipient { maskedName status } } }", {"id": rid}, token=firm.tenant.token))
    assert await _reads(runtime, firm.tenant.tenant_id) == []  # masked fields only


async def test_my_personal_data_is_grouped_by_catalogue_category(care: Care, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    from tenants.estate import service as estate

    firm = await care.firm("rdsc")
    elder = await care.elder(firm)
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:  # a phone in the register
        from tenants.estate.models import Person

        person = await s.get(Person, {"tenant_id": firm.tenant.tenant_id, "id": elder.person_id})
        person.phone_enc = runtime.vault.encrypt(firm.tenant.tenant_id, "13700001234")
        await estate.add_residency(s, unit_id=firm.unit_id, person_id=elder.person_id, kind="owner")
    await care.enrol(firm, elder)
    held = ok(await gql(HELD, token=elder.token))["myPersonalData"]
    assert held["linkedToRegister"] is True
    by = {c["category"]: c for c in held["categories"]}
    assert {"table": "persons", "field": "phone", "level": "important", "rows": 1} in by["contact"]["fields"]
    assert {"table": "care_recipients", "field": "health_notes", "level": "important", "rows": 1} in by["health"]["fields"]
    assert by["health"]["level"] == "important" and by["health"]["rows"] >= 1
    assert "identity" not in by or all(f["field"] != "id_number" for f in by["identity"]["fields"])  # none held: not listed
    tables = {t["name"]: t["rows"] for t in held["tables"]}
    assert tables["persons"] == 1 and tables["care_recipients"] == 1 and tables["consents"] == 1
    # a login without a register person
    staff = ok(await gql(HELD, token=firm.tenant.token))["myPersonalData"]
    assert staff["linkedToRegister"] is False and "persons" not in {t["name"] for t in staff["tables"]}


async def test_a_whole_firm_export_is_a_read_of_everyone_listed_for_them(care: Care, gql, runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tenants.export import export_tenant, record_export

    firm = await care.firm("rdse")
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        await s.execute(update(Account).where(Account.username == firm.tenant.admin).values(display_name="李国庆"))
    elder = await care.elder(firm)
    assert ok(await gql(READS, token=elder.token))["myDataReads"] == []

    ok(await gql("mutation { exportTenant { rows } }", token=firm.tenant.token))
    listed = ok(await gql(READS, token=elder.token))["myDataReads"]
    assert [(x["category"], x["reader"], x["operation"]) for x in listed] == [("all", "李*庆", "tenant export (graphql)")]

    # the platform operator's CLI export (decrypted) is listed too; a backup that keeps personal data encrypted is no read
    slug = firm.tenant.slug
    for mode, via in (("decrypted", "cli"), ("encrypted", "cli")):
        result = await export_tenant(runtime, slug, tmp_path / f"{mode}.zip", personal_data=mode)
        async with runtime.db.tenant(firm.tenant.tenant_id) as s:
            await record_export(s, firm.tenant.tenant_id, "platform", result, via=via)
    listed = ok(await gql(READS, token=elder.token))["myDataReads"]
    assert [(x["reader"], x["operation"]) for x in listed] == [("platform operator", "tenant export (cli)"), ("李*庆", "tenant export (graphql)")]
    assert ok(await gql(READS, {"n": 1}, token=elder.token))["myDataReads"][0]["reader"] == "platform operator"
    # the admin has no register person: nothing is listed for them
    assert ok(await gql(READS, token=firm.tenant.token))["myDataReads"] == []
