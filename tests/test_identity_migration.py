"""Migration k0005: global accounts become accounts of the tenants they belonged to."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kernel import testing
from kernel.db.migrate import alembic_config, upgrade
from kernel.identity.passwords import hash_password
from kernel.plugins.host import PluginHost
from kernel.runtime import Runtime
from kernel.testing import POSTGRES_ENV, backends, create_postgres_database


@pytest.mark.parametrize("backend", backends())
async def test_global_accounts_are_split_per_tenant_with_stable_ids(backend, tmp_path, gql_factory):
    drop = None
    if backend == "sqlite":
        admin_url = app_url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        app_url, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    host = PluginHost()
    host.load(entry_points=True)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(admin_url, host), "k0004")
        a, b, lone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        shared, operator, regulator, orphan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)
        pw = hash_password("old password 1")
        engine = create_async_engine(admin_url)
        ids = {k: (v.hex if backend == "sqlite" else v) for k, v in dict(a=a, b=b, lone=lone, shared=shared, operator=operator, regulator=regulator, orphan=orphan).items()}
        async with engine.begin() as conn:
            for key, slug in (("a", "old-a"), ("b", "old-b"), ("lone", "old-lone")):
                await conn.execute(
                    text("INSERT INTO tenants (id, slug, name, status, plan, policy_version, created_at) VALUES (:i, :s, :s, 'active', 'standard', 0, :n)"),
                    {"i": ids[key], "s": slug, "n": now},
                )
            for key, username, admin, street, default in (
                ("shared", "zhang", False, None, "b"), ("operator", "ops", True, None, None),
                ("regulator", "street", False, "S1", None), ("orphan", "nobody", False, None, None),
            ):
                await conn.execute(
                    text("INSERT INTO accounts (id, username, display_name, password_hash, default_tenant_id, is_platform_admin, regulator_street_code, disabled, created_at) "
                         "VALUES (:i, :u, :u, :h, :d, :a, :r, false, :n)"),
                    {"i": ids[key], "u": username, "h": pw, "d": ids[default] if default else None, "a": admin, "r": street, "n": now},
                )
            for tenant in ("a", "b"):
                if backend == "postgres":
                    await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(ids[tenant])})
                await conn.execute(
                    text("INSERT INTO policy_rules (id, tenant_id, ptype, v0, v1, v2, source, created_at) VALUES (:i, :t, 'g', :s, 'role:owner', '', 'tenant', :n)"),
                    {"i": uuid.uuid4().hex if backend == "sqlite" else uuid.uuid4(), "t": ids[tenant], "s": f"account:{shared}", "n": now},
                )
        await engine.dispose()

        await upgrade(admin_url, app_url, host)

        runtime = Runtime.build(testing.TestDatabase(backend, app_url, admin_url, tmp_path).settings())
        gql = gql_factory(runtime)
        try:
            me = "{ me { accountId username roles } }"
            # the default tenant (B) keeps the id; A gets a copy with a new id and its rule follows
            r = await gql(me, token=await gql.login("zhang", "old password 1", "old-b"))
            assert r["data"]["me"] == {"accountId": str(shared), "username": "zhang", "roles": ["owner"]}
            r = await gql(me, token=await gql.login("zhang", "old password 1", "old-a"))
            moved = uuid.UUID(r["data"]["me"]["accountId"])
            assert moved != shared and r["data"]["me"]["roles"] == ["owner"]
            # no membership in the third firm: no account there
            r = await gql("mutation { login(username: \"zhang\", password: \"old password 1\", tenant: \"old-lone\") { accessToken } }")
            assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            # platform staff are global, with their ids
            r = await gql(me, token=await gql.login("ops", "old password 1", "old-lone"))
            assert r["data"]["me"]["accountId"] == str(operator)
            assert await gql.login("street", "old password 1")
            r = await gql("mutation { login(username: \"nobody\", password: \"old password 1\", tenant: \"old-a\") { accessToken } }")
            assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        finally:
            await runtime.db.dispose()
    finally:
        if drop is not None:
            await drop()
