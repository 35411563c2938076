"""The people commands of the ``linli`` CLI, from an empty data folder."""

from __future__ import annotations

import asyncio

import pyotp
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
        # the default configuration: a tenant admin enrols a second factor at the first login
        r = await client(
            "mutation { login(username: \"xingfu-admin\", password: \"a long admin password\", tenant: \"xingfu\") { accessToken } }"
        )
        ext = r["errors"][0]["extensions"]
        assert ext["reason"] == "second_factor_enrolment_required", r
        secret = (await client("mutation($e: String) { enrolTotp(enrolmentToken: $e) { secret } }", {"e": ext["enrolmentToken"]}))["data"]["enrolTotp"]["secret"]
        r = await client(
            "mutation($c: String!, $e: String) { confirmTotp(code: $c, enrolmentToken: $e) { auth { accessToken } } }",
            {"c": pyotp.TOTP(secret).now(), "e": ext["enrolmentToken"]},
        )
        token = r["data"]["confirmTotp"]["auth"]["accessToken"]
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


def _db_env(linli_database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    s = linli_database.settings()
    return {
        "LINLI_DATABASE_URL": s.database_url, "LINLI_DATABASE_ADMIN_URL": s.database_admin_url, "LINLI_DATA_DIR": str(s.data_dir),
        "LINLI_SECRET_KEY": s.secret_key, "LINLI_MASTER_KEY": s.master_key, "LINLI_LOG_JSON": "false",
    }


async def test_member_invite_list_deactivate_reactivate(gql, new_tenant, linli_database, tmp_path):
    import re

    from fixtures.estates import PASSWORD

    t = await new_tenant("clim")
    runner, env = CliRunner(), _db_env(linli_database)

    def linli(*args: str):  # type: ignore[no-untyped-def]
        return asyncio.to_thread(runner.invoke, cli, list(args), env=env)

    r = await linli("member", "invite", t.slug, "--phone", "13800138000", "--role", "technician", "--name", "王师傅")
    assert r.exit_code == 0, r.output
    assert "138****8000" in r.output
    code = re.search(r"code: (\S+)", r.output).group(1)
    accepted = await gql(
        "mutation($t: String!, $c: String!) { acceptInvitation(tenant: $t, code: $c, username: \"wang\", password: \"wang's password 1\") { accessToken } }",
        {"t": t.slug, "c": code},
    )
    token = accepted["data"]["acceptInvitation"]["accessToken"]
    r = await linli("member", "list", t.slug)
    assert r.exit_code == 0 and "wang" in r.output and "technician" in r.output, r.output
    r = await linli("member", "deactivate", t.slug, "wang")
    assert r.exit_code == 0, r.output
    assert (await gql("{ me { username } }", token=token))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await linli("member", "deactivate", t.slug, "ghost")
    assert r.exit_code == 1 and "NOT_FOUND" in r.output
    r = await linli("member", "reactivate", t.slug, "wang")
    assert r.exit_code == 0, r.output
    assert await gql.login("wang", "wang's password 1", t.slug)
    assert await gql.login(t.admin, PASSWORD, t.slug)
    bad = tmp_path / "staff.csv"
    bad.write_text("phone,roles\n13800138001,owner\n12,owner\n", encoding="utf-8")
    r = await linli("member", "invite-csv", t.slug, str(bad))
    assert r.exit_code == 1 and "1 errors" in r.output, r.output
    assert "a mobile number is 11 digits" in (tmp_path / "staff.errors.csv").read_text(encoding="utf-8")
    r = await linli("member", "invite-csv", t.slug, str(tmp_path / "missing.csv"))
    assert r.exit_code == 1 and "no such file" in r.output
