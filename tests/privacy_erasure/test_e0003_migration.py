"""Migration e0003: a firm provisioned before erasure existed gets ``privacy:manage`` for its tenant
admin as a new firm does, and the downgrade takes exactly that away (and the tables)."""

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


async def _grants(url: str, backend: str, tenant: uuid.UUID) -> set[tuple[str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if backend == "postgres":
                await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tenant)})
            rows = await conn.execute(text("SELECT v0, source FROM policy_rules WHERE v1 = 'privacy' AND v2 = 'manage' AND ptype = 'p'"))
            return {(r[0], r[1]) for r in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", backends())
async def test_an_older_firms_admin_gets_privacy_manage_and_loses_it_on_downgrade(backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    drop = None
    if backend == "sqlite":
        admin_url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        _, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    host = PluginHost()
    host.load(entry_points=True)
    cfg = alembic_config(admin_url, host)
    try:
        await asyncio.to_thread(command.upgrade, cfg, "e0002")
        tid = uuid.uuid4()
        engine = create_async_engine(admin_url)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO tenants (id, slug, name, status, plan, policy_version, created_at) VALUES (:i, 'old', 'old', 'active', 'standard', 3, :n)"),
                {"i": tid.hex if backend == "sqlite" else tid, "n": datetime.now(UTC)},
            )
        await engine.dispose()
        assert await _grants(admin_url, backend, tid) == set()
        await asyncio.to_thread(command.upgrade, cfg, "e0003")
        assert await _grants(admin_url, backend, tid) == {("role:tenant_admin", "plugin:estate")}
        await asyncio.to_thread(command.downgrade, cfg, "e0002")
        assert await _grants(admin_url, backend, tid) == set()
    finally:
        if drop is not None:
            await drop()
