"""Migration e0004: duplicate pending erasure requests of one person (made before the partial
unique index) are closed, the oldest stays pending; then a second pending request is refused by
the database itself."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from kernel.db.migrate import alembic_config
from kernel.plugins.host import PluginHost
from kernel.testing import POSTGRES_ENV, backends, create_postgres_database

INSERT = ("INSERT INTO erasure_requests (id, tenant_id, account_id, status, decided_by, reason, report, created_at) "
          "VALUES (:i, :t, :a, 'pending', '', '', '{}', :n)")


@pytest.mark.parametrize("backend", backends())
async def test_duplicates_are_closed_and_the_index_refuses_another(backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    drop = None
    if backend == "sqlite":
        admin_url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        _, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    host = PluginHost()
    host.load(entry_points=True)
    cfg = alembic_config(admin_url, host)

    def ident(u: uuid.UUID) -> object:
        return u.hex if backend == "sqlite" else u

    engine = create_async_engine(admin_url)
    try:
        await asyncio.to_thread(command.upgrade, cfg, "e0003")
        tid, person, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        first = uuid.uuid4()
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO tenants (id, slug, name, status, plan, policy_version, created_at) VALUES (:i, 'dup', 'dup', 'active', 'standard', 1, :n)"),
                {"i": ident(tid), "n": now},
            )
            if backend == "postgres":
                await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tid)})
            for i, (rid, who) in enumerate([(first, person), (uuid.uuid4(), person), (uuid.uuid4(), person), (uuid.uuid4(), other)]):
                await conn.execute(text(INSERT), {"i": ident(rid), "t": ident(tid), "a": ident(who), "n": now + timedelta(seconds=i)})
        await asyncio.to_thread(command.upgrade, cfg, "e0004")

        async def rows() -> list[tuple[object, str, str]]:
            async with engine.begin() as conn:
                if backend == "postgres":
                    await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tid)})
                return [tuple(r) for r in await conn.execute(text("SELECT id, account_id, status, reason FROM erasure_requests ORDER BY created_at"))]

        got = await rows()
        assert [r[2] for r in got] == ["pending", "rejected", "rejected", "pending"]
        assert str(got[0][0]).replace("-", "") == first.hex and "duplicate" in str(got[1][3])
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                if backend == "postgres":
                    await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tid)})
                await conn.execute(text(INSERT), {"i": ident(uuid.uuid4()), "t": ident(tid), "a": ident(person), "n": now})
        await asyncio.to_thread(command.downgrade, cfg, "e0003")
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()
