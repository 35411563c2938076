"""The audit log: appends move the head through the database trigger only, and verification against the
on-chain anchors catches what the database alone cannot show (newest entries removed with the head rolled
back, a row rewritten with every later hash and the head recomputed). SQLite and PostgreSQL; the tampering
is done as the database owner (``linli_database.admin_url``), as an attacker with the owner's password would.
"""

from __future__ import annotations

import json
import uuid

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kernel import audit
from kernel.audit import GENESIS, Anchor, entry_hash
from kernel.testing import unique_slug
from tenants.lifecycle import provision

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest_asyncio.fixture
async def logged(runtime):  # type: ignore[no-untyped-def]
    """A tenant with five more entries after provisioning, and the anchor of its head (what the chain holds)."""
    p = await provision(runtime, slug=unique_slug("aud"), name="aud", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    async with runtime.db.tenant(p.tenant_id) as s:
        for i in range(5):
            await audit.record(s, tenant_id=p.tenant_id, actor="test", action="test.step", detail={"i": i})
        result = await audit.verify(s)
    assert result.ok and result.entries >= 5
    return p.tenant_id, Anchor(entry_count=result.entries, head=result.head)


@pytest_asyncio.fixture
async def owner(linli_database):  # type: ignore[no-untyped-def]
    engine = create_async_engine(linli_database.admin_url)
    yield engine
    await engine.dispose()


def _tid(conn, tenant: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    """The tenant id as the dialect stores it (SQLite: 32 hex digits)."""
    return str(tenant) if conn.dialect.name == "postgresql" else tenant.hex


async def _as_owner(owner: AsyncEngine, tenant: uuid.UUID, *statements: tuple[str, dict]) -> None:  # type: ignore[type-arg]
    async with owner.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tenant)})
        for sql, params in statements:
            await conn.execute(text(sql), {"t": _tid(conn, tenant), **params})


async def _verify(runtime, tenant: uuid.UUID, anchors=()) -> audit.VerifyResult:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant) as s:
        return await audit.verify(s, anchors)


async def test_appends_chain_and_the_head_follows(runtime, logged) -> None:  # type: ignore[no-untyped-def]
    tenant, anchor = logged
    result = await _verify(runtime, tenant, [anchor])
    assert result.ok and result.anchored == anchor.entry_count
    async with runtime.db.tenant(tenant) as s:
        head = await s.get(audit.AuditHead, tenant)
        assert (head.seq, head.hash) == (anchor.entry_count, anchor.head)
        await audit.record(s, tenant_id=tenant, actor="test", action="test.more")
        await s.refresh(head)
        assert head.seq == anchor.entry_count + 1


async def test_appends_at_the_same_moment_all_extend_the_chain(runtime, logged) -> None:  # type: ignore[no-untyped-def]
    """Eight transactions of one firm, each reading something first and then auditing, at once:
    every one commits (on SQLite the append takes the write lock before it reads the head; on
    PostgreSQL the head is locked) and the chain verifies. Found by a double-tapped consent grant,
    which answered INTERNAL_SERVER_ERROR ("does not extend the head") on the embedded default."""
    import asyncio

    tenant, anchor = logged

    async def one(i: int) -> None:
        async with runtime.db.tenant(tenant) as s:
            await s.execute(select(audit.AuditHead.seq))  # a read before the write, as a request does
            await asyncio.sleep(0)
            await audit.record(s, tenant_id=tenant, actor="test", action="test.concurrent", detail={"i": i})

    await asyncio.gather(*(one(i) for i in range(8)))
    result = await _verify(runtime, tenant, [anchor])
    assert result.ok and result.entries == anchor.entry_count + 8, result


async def test_an_entry_that_does_not_extend_the_head_is_refused(runtime, logged) -> None:  # type: ignore[no-untyped-def]
    """The trigger, not the application, guards the head: a forged continuation or a replayed seq fails."""
    tenant, anchor = logged
    n = anchor.entry_count
    for seq, prev in ((n + 2, anchor.head), (n + 1, GENESIS), (n, anchor.head)):
        with pytest.raises(DBAPIError, match="does not extend the head"):
            async with runtime.db.tenant(tenant) as s:
                await s.execute(
                    text("INSERT INTO audit_entries (tenant_id, seq, at, actor, action, target, detail, prev_hash, hash) "
                         "VALUES (:t, :seq, CURRENT_TIMESTAMP, 'x', 'x', '', '{}', :prev, :h)"),
                    {"t": str(tenant) if s.get_bind().dialect.name == "postgresql" else tenant.hex, "seq": seq, "prev": prev, "h": "f" * 64},
                )
    assert (await _verify(runtime, tenant, [anchor])).ok


async def test_truncation_with_the_head_rolled_back_is_caught_by_the_anchor(runtime, logged, owner) -> None:  # type: ignore[no-untyped-def]
    tenant, anchor = logged
    n = anchor.entry_count
    async with runtime.db.tenant(tenant) as s:
        kept = await s.scalar(select(audit.AuditEntry.hash).where(audit.AuditEntry.seq == n - 2))
    await _as_owner(
        owner, tenant,
        ("DELETE FROM audit_entries WHERE tenant_id = :t AND seq > :k", {"k": n - 2}),
        ("UPDATE audit_heads SET seq = :k, hash = :h WHERE tenant_id = :t", {"k": n - 2, "h": kept}),
    )
    # the chain is consistent in itself: without the anchor nothing shows
    assert (await _verify(runtime, tenant)).ok
    result = await _verify(runtime, tenant, [anchor])
    assert not result.ok and result.first_bad_seq == n
    assert result.divergence.expected == f"{n} entries, head {anchor.head}"
    assert result.divergence.found == f"{n - 2} entries (truncated)"


async def test_a_rewritten_entry_with_the_chain_recomputed_is_caught_by_the_anchor(runtime, logged, owner) -> None:  # type: ignore[no-untyped-def]
    tenant, anchor = logged
    n = anchor.entry_count
    async with runtime.db.tenant(tenant) as s:
        rows = (await s.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq))).all()
        earlier = Anchor(entry_count=n - 3, head=rows[n - 4].hash)
        target = rows[n - 2]  # entry n-1: rewritten
        forged, prev = [], rows[n - 3].hash
        for e in rows[n - 2:]:
            detail = {"i": 999} if e.seq == target.seq else e.detail
            h = entry_hash(prev, e.seq, e.at, e.actor, e.action, e.target, detail)
            forged.append((e.seq, detail, prev, h))
            prev = h
    await _as_owner(owner, tenant, *[
        ("UPDATE audit_entries SET detail = :d, prev_hash = :p, hash = :h WHERE tenant_id = :t AND seq = :seq",
         {"d": json.dumps(d), "p": p, "h": h, "seq": seq}) for seq, d, p, h in forged
    ], ("UPDATE audit_heads SET hash = :h WHERE tenant_id = :t", {"h": prev}))
    assert (await _verify(runtime, tenant)).ok  # recomputed: consistent in itself
    result = await _verify(runtime, tenant, [earlier, anchor])
    assert not result.ok and result.first_bad_seq == n
    assert (result.divergence.expected, result.divergence.found) == (anchor.head, prev)
    assert result.divergence.check == f"anchored hash (altered after entry {n - 3})"
    assert result.anchored == n - 3


async def test_a_row_altered_in_place_names_the_row(runtime, logged, owner) -> None:  # type: ignore[no-untyped-def]
    tenant, anchor = logged
    await _as_owner(owner, tenant, ("UPDATE audit_entries SET action = 'forged' WHERE tenant_id = :t AND seq = :s", {"s": 3}))
    result = await _verify(runtime, tenant, [anchor])
    assert result.first_bad_seq == 3 and result.divergence.check == "hash"
    assert result.divergence.found != result.divergence.expected
    assert str(result.divergence).startswith("entry 3: hash expected ")


async def test_app_role_cannot_move_the_head(runtime, logged, linli_database) -> None:  # type: ignore[no-untyped-def]
    if linli_database.backend != "postgres":
        pytest.skip("roles and grants are a PostgreSQL feature")
    tenant, anchor = logged
    app = create_async_engine(linli_database.app_url)
    try:
        for statement in (
            "UPDATE audit_heads SET seq = 1",
            "DELETE FROM audit_heads",
            "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (CAST(:t AS uuid), 0, 'x') ON CONFLICT DO NOTHING",
        ):
            async with app.connect() as conn:
                await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tenant)})
                with pytest.raises(DBAPIError, match="permission denied"):
                    await conn.execute(text(statement), {"t": str(tenant)})
                await conn.rollback()
    finally:
        await app.dispose()
    assert (await _verify(runtime, tenant, [anchor])).ok


async def test_k0008_installs_the_head_trigger_and_takes_it_back(linli_backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Up to k0008 the trigger (and on PostgreSQL its functions) exist; down to k0007 they are gone; up again."""
    import asyncio
    import os

    from alembic import command

    from kernel.db.migrate import alembic_config
    from kernel.plugins.host import PluginHost
    from kernel.testing import POSTGRES_ENV, create_postgres_database

    drop = None
    if linli_backend == "sqlite":
        admin_url = f"sqlite+aiosqlite:///{tmp_path / 'k0008.db'}"
        probe = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_entries_advance_head'"
    else:
        _, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
        probe = ("SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_entries_advance_head')"
                 " + (SELECT count(*) FROM pg_proc WHERE proname IN ('audit_advance_head', 'audit_head_for_append'))")
    host = PluginHost()
    host.load(entry_points=False)
    cfg = alembic_config(admin_url, host)
    engine = create_async_engine(admin_url)
    expected = 1 if linli_backend == "sqlite" else 3
    try:
        for target, present in (("k0008", expected), ("k0007", 0), ("k0008", expected)):
            step = command.upgrade if present else command.downgrade
            await asyncio.to_thread(step, cfg, target)
            async with engine.connect() as conn:
                assert await conn.scalar(text(probe)) == present, target
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


async def test_concurrent_appends_are_serialised_by_the_head_lock(runtime, logged, linli_database) -> None:  # type: ignore[no-untyped-def]
    """``audit_head_for_append()`` locks the head: appends from parallel transactions queue up, none is refused."""
    if linli_database.backend != "postgres":
        pytest.skip("parallel writers are a PostgreSQL matter (SQLite serialises the whole database)")
    import asyncio

    tenant, anchor = logged

    async def append(i: int) -> None:
        async with runtime.db.tenant(tenant) as s:
            await audit.record(s, tenant_id=tenant, actor="test", action="test.parallel", detail={"i": i})

    await asyncio.gather(*(append(i) for i in range(8)))
    result = await _verify(runtime, tenant, [anchor])
    assert result.ok and result.entries == anchor.entry_count + 8
