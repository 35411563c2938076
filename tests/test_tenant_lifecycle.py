"""Tenant export (complete, verifiable, generic over tenant tables) and tenant delete."""

from __future__ import annotations

import asyncio
import json
import zipfile

import pytest
from fixtures.estates import PASSWORD, build_estate, fast_passwords, row_counts, tenant_models  # noqa: F401 - fixture
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from kernel.audit import AuditEntry
from tenants.estate import service
from tenants.export import export_tenant, tenant_mappers, verify_archive
from tenants.lifecycle import delete_tenant

pytestmark = pytest.mark.usefixtures("fast_passwords")


async def _richer_estate(runtime, t):  # type: ignore[no-untyped-def]
    estate = await build_estate(runtime, t.tenant_id, marker="甲")
    async with runtime.db.tenant(t.tenant_id) as s:
        unit = await service.create_unit(s, building_id=estate.building, number="102", registered_area=12050)
        a = await service.register_person(s, runtime.vault, t.tenant_id, name="王小明", phone="13900001111", id_number="110101198001010011")
        b = await service.register_person(s, runtime.vault, t.tenant_id, name="李小红", id_number="110101198202020022")
        await service.add_ownership(s, unit_id=unit.id, person_id=a.id, share_bp=5000)
        await service.add_ownership(s, unit_id=unit.id, person_id=b.id, share_bp=5000)
    return estate


def _cli_env(linli_database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    s = linli_database.settings()
    return {
        "LINLI_DATABASE_URL": s.database_url,
        "LINLI_DATABASE_ADMIN_URL": s.database_admin_url,
        "LINLI_DATA_DIR": str(s.data_dir),
        "LINLI_SECRET_KEY": s.secret_key,
        "LINLI_MASTER_KEY": s.master_key,
        "LINLI_LOG_JSON": "false",
    }


async def test_export_is_complete_and_verifiable(runtime, gql, new_tenant, tmp_path):
    a = await new_tenant("expa")
    b = await new_tenant("expb")
    await _richer_estate(runtime, a)
    await build_estate(runtime, b.tenant_id, marker="乙")
    await gql('mutation { createApiKey(name: "erp", role: "auditor") { id } }', token=a.token)
    expected = await row_counts(runtime, a.tenant_id)

    seen: dict[str, int] = {}
    result = await export_tenant(runtime, a.slug, tmp_path / "a.zip", progress=lambda table, n: seen.__setitem__(table, seen.get(table, 0) + n))
    manifest = verify_archive(result.path)
    # every tenant table of the metadata (kernel, estate, plugins) is in the archive
    assert set(manifest["tables"]) == {m.__tablename__ for m in tenant_models()} == {m.local_table.name for m in tenant_mappers()}
    assert {t: e["rows"] for t, e in manifest["tables"].items()} == expected
    assert {t: n for t, n in seen.items() if n} == {t: n for t, n in expected.items() if n}
    assert manifest["tenant"]["slug"] == a.slug and manifest["personal_data"] == "decrypted"
    with zipfile.ZipFile(result.path) as z:
        everything = b"".join(z.read(n) for n in z.namelist()).decode()
        persons = [json.loads(line) for line in z.read("persons.jsonl").decode().splitlines()]
    # nothing of tenant B, not even its id
    assert str(b.tenant_id) not in everything and "乙" not in everything
    assert all(p["tenant_id"] == str(a.tenant_id) for p in persons)
    # personal data is readable by the tenant it belongs to
    by_name = {p["name"]: p for p in persons}
    assert by_name["王小明"]["phone"] == "13900001111" and by_name["王小明"]["id_number"] == "110101198001010011"
    assert by_name["李小红"]["phone"] is None
    assert not any(k.endswith("_enc") for p in persons for k in p)
    assert manifest["tables"]["persons"]["encrypted_columns"] == ["phone_enc", "id_number_enc"]

    kept = await export_tenant(runtime, a.slug, tmp_path / "a-backup.zip", personal_data="encrypted")
    with zipfile.ZipFile(kept.path) as z:
        raw = z.read("persons.jsonl").decode()
    assert "13900001111" not in raw and "110101198001010011" not in raw
    assert all(json.loads(line)["phone_enc"] is None or json.loads(line)["phone_enc"].startswith("v1:") for line in raw.splitlines())

    # a tampered archive is detected
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(result.path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for n in src.namelist():
            data = src.read(n)
            dst.writestr(n, data.replace("王小明".encode(), "王大明".encode()) if n == "persons.jsonl" else data)
    with pytest.raises(ValueError, match="persons.jsonl"):
        verify_archive(tampered)


async def test_export_and_delete_from_the_cli(runtime, new_tenant, linli_database, tmp_path):
    from gateway.cli import cli

    a = await new_tenant("clia")
    await build_estate(runtime, a.tenant_id, marker="甲")
    out = tmp_path / "cli.zip"
    runner = CliRunner()
    env = _cli_env(linli_database)
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "export", a.slug, "-o", str(out)], env=env)
    assert r.exit_code == 0, r.output
    assert verify_archive(out)["tables"]["units"]["rows"] == 1
    async with runtime.db.tenant(a.tenant_id) as s:  # the operator's export is in the firm's audit log
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "tenant.exported"))).one()
    assert entry.actor == "platform" and entry.detail["via"] == "cli" and entry.detail["personal_data"] == "decrypted"
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "export", "no-such-firm", "-o", str(out)], env=env)
    assert r.exit_code == 1 and "no tenant" in r.output
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "delete", a.slug], env=env)
    assert r.exit_code == 1 and "--yes" in r.output
    r = await asyncio.to_thread(runner.invoke, cli, ["tenant", "delete", a.slug, "--yes"], env=env)
    assert r.exit_code == 0, r.output


async def test_delete_removes_every_row_and_spares_the_other_tenant(runtime, gql, new_tenant, linli_database):
    a = await new_tenant("dela")
    b = await new_tenant("delb")
    await _richer_estate(runtime, a)
    await _richer_estate(runtime, b)
    await gql('mutation { createApiKey(name: "erp", role: "auditor") { id } }', token=b.token)
    await gql('mutation { createCommunity(code: "C9", name: "乙二") { id } }', token=b.token)
    keep = await row_counts(runtime, a.tenant_id)
    doomed = await row_counts(runtime, b.tenant_id)
    assert doomed["units"] == 2 and doomed["audit_entries"] > 0 and doomed["api_keys"] == 1

    await delete_tenant(runtime, b.slug)

    # checked as the database owner, past row-level security
    engine = create_async_engine(linli_database.admin_url)
    try:
        async with engine.connect() as conn:
            for model in tenant_models():
                n = await conn.scalar(text(f'SELECT count(*) FROM "{model.__tablename__}" WHERE tenant_id = :t'), {"t": b.tenant_id if linli_database.backend == "postgres" else b.tenant_id.hex})
                assert n == 0, model.__tablename__
            assert await conn.scalar(text("SELECT count(*) FROM tenants WHERE slug = :s"), {"s": b.slug}) == 0
    finally:
        await engine.dispose()
    assert await row_counts(runtime, a.tenant_id) == keep
    r = await gql("{ unitCount }", token=b.token)
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", r
    r = await gql("{ unitCount }", token=a.token)
    assert r["data"] == {"unitCount": 2}
    await gql.login(a.admin, PASSWORD, a.slug)


async def test_export_over_graphql(runtime, gql, new_tenant, tmp_path):
    import base64

    a = await new_tenant("gqlx")
    await _richer_estate(runtime, a)
    r = await gql("mutation { exportTenant { fileName rows personalData manifest archiveBase64 } }", token=a.token)
    assert not r.get("errors"), r
    export = r["data"]["exportTenant"]
    path = tmp_path / export["fileName"]
    path.write_bytes(base64.b64decode(export["archiveBase64"]))
    manifest = verify_archive(path)
    assert manifest == json.loads(export["manifest"]) and export["personalData"] == "decrypted"
    assert manifest["tables"]["units"]["rows"] == 2 and export["rows"] == sum(t["rows"] for t in manifest["tables"].values())
    # the export itself is audited
    async with runtime.db.tenant(a.tenant_id) as s:
        from sqlalchemy import select

        from kernel.audit import AuditEntry

        assert await s.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == "tenant.exported"
    r = await gql('mutation { createApiKey(name: "s", role: "property_staff") { secret } }', token=a.token)
    r = await gql("mutation { exportTenant { rows } }", headers={"x-api-key": r["data"]["createApiKey"]["secret"]})
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN", r
