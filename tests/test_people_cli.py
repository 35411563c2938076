"""The people commands of the ``linli`` CLI, from an empty data folder."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from gateway.cli import cli
from kernel.config import Settings
from kernel.runtime import Runtime
from kernel.testing import GraphQLClient


def _env(data_dir) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "LINLI_DATA_DIR": str(data_dir),
        "LINLI_DATABASE_URL": "",
        "LINLI_DATABASE_ADMIN_URL": "",
        "LINLI_SECRET_KEY": "cli-secret-" + "x" * 32,
        "LINLI_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "LINLI_LOG_JSON": "false",
    }


async def test_tenant_create_works_on_an_empty_data_folder(tmp_path):
    data = tmp_path / "fresh"
    runner = CliRunner()
    r = await asyncio.to_thread(
        runner.invoke, cli, ["tenant", "create", "xingfu", "幸福物业", "--admin", "xingfu-admin", "--password", "a long admin password"], env=_env(data)
    )
    assert r.exit_code == 0, r.output
    assert "provisioned" in r.output
    runtime = Runtime.build(Settings(data_dir=data, secret_key="cli-secret-" + "x" * 32, master_key=_env(data)["LINLI_MASTER_KEY"]))
    from gateway.app import create_app

    client = GraphQLClient(create_app(runtime))
    try:
        token = await client.login("xingfu-admin", "a long admin password", "xingfu")
        me = await client("{ me { username tenantSlug roles } }", token=token)
        assert me["data"]["me"] == {"username": "xingfu-admin", "tenantSlug": "xingfu", "roles": ["tenant_admin"]}
    finally:
        await client.http.aclose()
        await runtime.db.dispose()
    # a second firm in the same folder: migrating again is harmless; a taken slug is a coded error
    r = await asyncio.to_thread(
        runner.invoke, cli, ["tenant", "create", "xingfu", "又一家", "--admin", "x-admin", "--password", "a long admin password"], env=_env(data)
    )
    assert r.exit_code == 1 and "CONFLICT" in r.output, r.output
