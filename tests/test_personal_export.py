"""A resident downloads everything held about them (issue #14 item 3, the export action):
their login, their register entry and every row naming them, decrypted, as JSON and CSV — never
a secret, never a neighbour, never another firm's rows; audited; only for a person's own login."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
from fixtures.estates import build_estate, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select

from kernel.audit import AuditEntry
from tenants.estate import service

pytestmark = pytest.mark.usefixtures("fast_passwords")

EXPORT = "mutation { exportMyData { fileName tables { name rows } manifest archiveBase64 } }"


async def test_a_resident_exports_their_own_data(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("mydata")
    other_firm = await new_tenant("mydatb")
    estate = await build_estate(runtime, t.tenant_id, marker="甲")  # its owner is a neighbour
    await build_estate(runtime, other_firm.tenant_id, marker="乙")
    me = await actor(t, "resident")
    async with runtime.db.tenant(t.tenant_id) as s:
        person = await service.register_person(s, runtime.vault, t.tenant_id, name="陈静", phone="13600001111", account_id=me.account_id)
        await service.add_residency(s, unit_id=estate.unit, person_id=person.id, kind="renter")

    r = await gql(EXPORT, token=me.token)
    assert not r.get("errors"), r
    got = r["data"]["exportMyData"]
    tables = {x["name"]: x["rows"] for x in got["tables"]}
    assert tables["accounts"] == 1 and tables["persons"] == 1 and tables["residencies"] == 1, tables
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(got["archiveBase64"]))) as z:
        names = set(z.namelist())
        assert {"manifest.json", "persons.json", "persons.csv", "accounts.json", "residencies.csv"} <= names
        persons = json.loads(z.read("persons.json"))
        accounts = json.loads(z.read("accounts.json"))
        csv_text = z.read("persons.csv").decode("utf-8-sig")
        everything = b"".join(z.read(n) for n in names).decode("utf-8-sig", errors="replace")
    assert [p["name"] for p in persons] == ["陈静"] and persons[0]["phone"] == "13600001111"  # decrypted, theirs
    assert "13600001111" in csv_text and "陈静" in csv_text
    assert accounts[0]["username"] == me.username
    # never a secret, never the neighbour, never the other firm
    assert not any(k in accounts[0] for k in ("password_hash", "totp_secret", "recovery_hashes"))
    assert "$argon2" not in everything
    assert "甲业主" not in everything and "13812345678" not in everything and "乙" not in everything
    manifest = json.loads(got["manifest"])
    assert manifest["tables"]["persons"]["personal_columns"]["phone"] == "contact/important"
    async with runtime.db.tenant(t.tenant_id) as s:
        logged = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.personal_export"))).all()
    assert [e.target for e in logged] == [str(me.account_id)]


async def test_only_a_persons_own_login_exports(gql, new_tenant) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("mydatc")
    r = await gql(EXPORT)
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    key = (await gql('mutation { createApiKey(name: "erp", role: "tenant_admin") { secret } }', token=t.token))["data"]["createApiKey"]["secret"]
    r = await gql(EXPORT, headers={"X-API-Key": key})
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
