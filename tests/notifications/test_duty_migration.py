"""Migration k0010: a firm provisioned before the duty roster existed gets its grants
(``notifications:read_duty``, ``notifications:manage_duty``) as a new firm does, and the
downgrade takes exactly those away."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kernel.db.migrate import alembic_config
from kernel.plugins.host import PluginHost
from kernel.testing import POSTGRES_ENV, backends, create_postgres_database


async def _rules(url: str, backend: str, tenant: object) -> set[tuple[str, str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if backend == "postgres":
                await conn.execute(
                    text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tenant)}
                )
            rows = await conn.execute(
                text(
                    "SELECT v0, v2, source FROM policy_rules WHERE v1 = 'notifications' AND ptype = 'p'"
                )
            )
            return {(r[0], r[1], r[2]) for r in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", backends())
async def test_firms_provisioned_before_get_the_duty_grants_and_lose_them_on_downgrade(
    backend, tmp_path
):
    drop = None
    if backend == "sqlite":
        admin_url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        _, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    host = PluginHost()
    host.load(entry_points=True)
    cfg = alembic_config(admin_url, host)
    try:
        await asyncio.to_thread(command.upgrade, cfg, "k0009")
        tid = uuid.uuid4()
        key = tid.hex if backend == "sqlite" else tid
        engine = create_async_engine(admin_url)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tenants (id, slug, name, status, plan, policy_version, created_at) VALUES (:i, 'old', 'old', 'active', 'standard', 3, :n)"
                ),
                {"i": key, "n": datetime.now(UTC)},
            )
            if backend == "postgres":
                await conn.execute(
                    text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tid)}
                )
            await conn.execute(
                text(
                    "INSERT INTO policy_rules (id, tenant_id, ptype, v0, v1, v2, source, created_at) "
                    "VALUES (:i, :t, 'p', 'role:property_staff', 'notifications', 'read_log', 'plugin:notifications', :n)"
                ),
                {
                    "i": uuid.uuid4().hex if backend == "sqlite" else uuid.uuid4(),
                    "t": key,
                    "n": datetime.now(UTC),
                },
            )
        await engine.dispose()

        await asyncio.to_thread(command.upgrade, cfg, "k0010")
        source = "plugin:notifications"
        duty = {
            (f"role:{r}", "read_duty", source)
            for r in ("tenant_admin", "property_staff", "technician", "grid_worker", "auditor")
        }
        duty |= {(f"role:{r}", "manage_duty", source) for r in ("tenant_admin", "property_staff")}
        assert await _rules(admin_url, backend, tid) == duty | {
            ("role:property_staff", "read_log", source)
        }
        engine = create_async_engine(admin_url)
        async with engine.connect() as conn:
            assert (
                await conn.execute(text("SELECT policy_version FROM tenants"))
            ).scalar_one() == 4
        await engine.dispose()

        await asyncio.to_thread(command.downgrade, cfg, "k0009")
        assert await _rules(admin_url, backend, tid) == {
            ("role:property_staff", "read_log", source)
        }
    finally:
        if drop is not None:
            await drop()
