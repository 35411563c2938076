"""The export as a download: ``GET /me/export.zip`` with the person's own bearer token answers the
zip of JSON and CSV (one CSV per table) that ``exportMyData`` describes; audited; refused without
a token, with an API key, and for a token of another firm's person it holds only their own rows."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from kernel.audit import AuditEntry
from tests.care.conftest import Care, ok


async def test_a_resident_downloads_their_export(care: Care, gql, runtime) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm("dlda")
    elder = await care.elder(firm, "王秀英")
    await care.enrol(firm, elder)
    neighbour = await care.elder(firm, "李桂兰")

    r = await gql.http.get("/me/export.zip", headers={"Authorization": f"Bearer {elder.token}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith("attachment; filename=") and r.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        persons = json.loads(z.read("persons.json"))
        recipients = z.read("care_recipients.csv").decode("utf-8-sig")
        everything = b"".join(z.read(n) for n in names).decode("utf-8-sig", errors="replace")
    tables = set(manifest["tables"])
    assert {"persons", "care_recipients", "consents", "accounts"} <= tables
    assert names == {"manifest.json"} | {f"{t}.{ext}" for t in tables for ext in ("json", "csv")}  # JSON + one CSV per table
    assert [p["name"] for p in persons] == ["王秀英"] and "高血压" in recipients  # decrypted, theirs
    assert "李桂兰" not in everything and str(neighbour.person_id) not in everything and "$argon2" not in everything
    # the same content as the GraphQL answer
    listed = ok(await gql("mutation { exportMyData { tables { name rows } } }", token=elder.token))["exportMyData"]["tables"]
    assert {t["name"]: t["rows"] for t in listed} == {n: t["rows"] for n, t in manifest["tables"].items()}
    async with runtime.db.tenant(firm.tenant.tenant_id) as s:
        logged = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.personal_export"))).all()
    assert sorted(e.detail["via"] for e in logged) == ["graphql", "http"]
    assert {e.target for e in logged} == {str(elder.account_id)}


async def test_the_download_needs_a_persons_own_login(care: Care, gql) -> None:  # type: ignore[no-untyped-def]
    firm = await care.firm("dldb")
    r = await gql.http.get("/me/export.zip")
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    r = await gql.http.get("/me/export.zip", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    key = ok(await gql('mutation { createApiKey(name: "erp", role: "tenant_admin") { secret } }', token=firm.tenant.token))["createApiKey"]["secret"]
    r = await gql.http.get("/me/export.zip", headers={"X-API-Key": key})
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
