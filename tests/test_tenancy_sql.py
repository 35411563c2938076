"""Lock 2 (PostgreSQL row-level security) and the grants of the application role, attacked with
raw SQL through the application's own connection (``linli_database.app_url``)."""

from __future__ import annotations

import pytest
import pytest_asyncio
from fixtures.estates import fast_passwords, row_counts, shared_tenants  # noqa: F401 - fixture
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from kernel.db.scope import TenancyError, set_local_tenant_sql

pytestmark = pytest.mark.usefixtures("fast_passwords")

TENANT_TABLES = (
    "communities", "compounds", "buildings", "units", "persons", "ownerships", "policy_rules", "audit_entries",
    "accounts", "login_sessions", "refresh_tokens",
)


@pytest_asyncio.fixture
async def app_engine(linli_database):  # type: ignore[no-untyped-def]
    if linli_database.backend != "postgres":
        pytest.skip("row-level security is a PostgreSQL feature")
    engine = create_async_engine(linli_database.app_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="module")
async def shared_pair(linli_database):  # type: ignore[no-untyped-def]
    if linli_database.backend != "postgres":
        pytest.skip("row-level security is a PostgreSQL feature")
    async with shared_tenants(linli_database, ("sqla", "甲"), ("sqlb", "乙")) as (runtime, (a, b)):
        yield runtime, (a.tenant_id, b.tenant_id, a.estate, b.estate)


@pytest_asyncio.fixture
async def pair(shared_pair, app_engine):  # type: ignore[no-untyped-def]
    runtime, members = shared_pair
    before = await row_counts(runtime, members[1])
    yield members
    assert await row_counts(runtime, members[1]) == before, "raw SQL under tenant A changed B's rows"


async def _as_tenant(conn, tenant) -> None:  # type: ignore[no-untyped-def]
    # the statement the session scope sends (the one Citus propagates to its workers)
    await conn.exec_driver_sql(set_local_tenant_sql(tenant))


async def test_tenant_a_cannot_touch_b_rows(app_engine, pair):
    a, b, _ea, eb = pair
    async with app_engine.begin() as conn:
        await _as_tenant(conn, a)
        for table in TENANT_TABLES:
            n = await conn.scalar(text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :b'), {"b": b})
            assert n == 0, table
        assert await conn.scalar(text("SELECT count(*) FROM units WHERE id = :u"), {"u": eb.unit}) == 0
        # A sees its own rows: the policy filters, it does not simply hide everything
        assert await conn.scalar(text("SELECT count(*) FROM units")) == 1
        r = await conn.execute(text("UPDATE units SET floor = 99 WHERE tenant_id = :b"), {"b": b})
        assert r.rowcount == 0
        r = await conn.execute(text("UPDATE units SET floor = 99"))
        assert r.rowcount == 1  # only A's own unit
        r = await conn.execute(text("DELETE FROM ownerships WHERE tenant_id = :b"), {"b": b})
        assert r.rowcount == 0
        r = await conn.execute(text("DELETE FROM persons WHERE id = :p"), {"p": eb.person})
        assert r.rowcount == 0
        # moving A's row into B violates the policy's WITH CHECK
        with pytest.raises(DBAPIError, match="row-level security"):
            async with conn.begin_nested():
                await conn.execute(text("UPDATE communities SET tenant_id = :b"), {"b": b})
        with pytest.raises(DBAPIError, match="row-level security"):
            async with conn.begin_nested():
                await conn.execute(
                    text("INSERT INTO communities (tenant_id, id, code, name, city, district, street_code, created_at) "
                         "VALUES (:b, gen_random_uuid(), 'X1', 'planted', '', '', '', now())"),
                    {"b": b},
                )
        await conn.rollback()


async def test_no_tenant_set_sees_nothing(app_engine, pair):
    async with app_engine.connect() as conn:
        for table in TENANT_TABLES:
            assert await conn.scalar(text(f'SELECT count(*) FROM "{table}"')) == 0, table
        await conn.exec_driver_sql(set_local_tenant_sql(None))
        assert await conn.scalar(text("SELECT count(*) FROM units")) == 0
        r = await conn.execute(text("DELETE FROM units"))
        assert r.rowcount == 0
        await conn.rollback()


async def test_tenant_setting_is_transaction_local(app_engine, pair):
    a, _b, _ea, _eb = pair
    async with app_engine.connect() as conn:
        async with conn.begin():
            await _as_tenant(conn, a)
            assert await conn.scalar(text("SELECT count(*) FROM units")) == 1
        # the pooled connection forgets the tenant at commit
        async with conn.begin():
            assert await conn.scalar(text("SELECT count(*) FROM units")) == 0


@pytest.mark.parametrize(
    "statement",
    [
        'ALTER TABLE units DISABLE ROW LEVEL SECURITY',
        'ALTER TABLE units NO FORCE ROW LEVEL SECURITY',
        'DROP POLICY tenant_isolation ON units',
        'CREATE POLICY open_door ON units USING (true)',
        'SET ROLE postgres',
        'SET SESSION AUTHORIZATION postgres',
        'SET row_security = off; SELECT count(*) FROM units',
        "UPDATE audit_entries SET action = 'forged'",
        'DELETE FROM audit_entries',
        'TRUNCATE audit_entries',
        'UPDATE alembic_version SET version_num = \'x\'',
    ],
)
async def test_app_role_cannot_escape(app_engine, pair, statement):
    a, _b, _ea, _eb = pair
    async with app_engine.connect() as conn:
        await _as_tenant(conn, a)
        with pytest.raises(DBAPIError) as info:
            for part in statement.split("; "):
                await conn.execute(text(part))
        assert any(w in str(info.value).lower() for w in ("permission denied", "must be owner", "row-level security", "row security")), info.value
        await conn.rollback()


async def test_audit_entries_accept_inserts_only(app_engine, pair, shared_pair):
    runtime = shared_pair[0]
    a, _b, _ea, _eb = pair
    from kernel import audit

    async with runtime.db.tenant(a) as s:
        await audit.record(s, tenant_id=a, actor="test", action="test.appended")
        result = await audit.verify(s)
    assert result.ok and result.entries >= 2


async def test_app_role_is_created_with_any_password(linli_database):
    """``ensure_app_role`` quotes the role and the password (DDL has no bound parameters)."""
    if linli_database.backend != "postgres":
        pytest.skip("roles are a PostgreSQL feature")
    import secrets

    from sqlalchemy.engine import make_url

    from kernel.db.migrate import ensure_app_role

    role, password = f'linli_q_{secrets.token_hex(3)}"x', "it's a \\ pass; DROP ROLE postgres --"
    await ensure_app_role(linli_database.admin_url, role, password)
    url = make_url(linli_database.admin_url).set(username=role, password=password)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT current_user")) == role
    finally:
        await engine.dispose()
        admin = create_async_engine(linli_database.admin_url)
        async with admin.begin() as conn:
            await conn.execute(text('DROP ROLE "' + role.replace('"', '""') + '"'))
        await admin.dispose()


@pytest.mark.parametrize(
    "bad",
    ["x", "'; RESET ROLE; --", "00000000-0000-0000-0000-00000000000'", "1' OR '1'='1", 42, b"\x00" * 16],
)
def test_tenant_setting_admits_only_a_uuid(bad):
    """``SET`` takes no bind parameters: the value is formatted into the SQL, so anything that is
    not a UUID is refused before it gets there."""
    with pytest.raises(TenancyError):
        set_local_tenant_sql(bad)


def test_tenant_setting_is_canonical_uuid():
    import uuid

    tid = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    expected = "SET LOCAL linli.tenant_id = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'"
    assert set_local_tenant_sql(tid) == expected
    assert set_local_tenant_sql("{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}") == expected
    assert set_local_tenant_sql(None) == "SET LOCAL linli.tenant_id = ''"


async def test_sessions_set_the_tenant_with_set_local(shared_pair, app_engine):
    """The session scope sends ``SET LOCAL`` (propagated by Citus), not ``set_config``, and the
    setting holds the session's tenant inside its transaction only."""
    from sqlalchemy import event

    runtime, (a, _b, _ea, _eb) = shared_pair
    sent: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with runtime.db.tenant(a) as s:
            assert await s.scalar(text("SELECT current_setting('linli.tenant_id', true)")) == str(a)
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    assert [s for s in sent if s.startswith("SET")] == [f"SET LOCAL linli.tenant_id = '{a}'"]
    assert not any("set_config" in s for s in sent)


async def test_app_role_reads_no_password_hash_of_another_tenant_or_the_platform(app_engine, pair, shared_pair):
    from kernel.identity.platform import create_platform_account

    runtime = shared_pair[0]
    a, b, _ea, _eb = pair
    async with runtime.db.platform() as s:
        await create_platform_account(s, "sql-operator", "operator password 1", "运维", platform_admin=True)
    async with app_engine.connect() as conn:
        await _as_tenant(conn, a)
        hashes = (await conn.execute(text("SELECT tenant_id, password_hash FROM accounts"))).all()
        assert hashes and {t for t, _ in hashes} == {a}  # A's own admin only
        assert await conn.scalar(text("SELECT count(*) FROM accounts WHERE tenant_id = :b"), {"b": b}) == 0
        await conn.rollback()
    for statement in ("SELECT password_hash FROM platform_accounts", "SELECT * FROM platform_accounts"):
        async with app_engine.connect() as conn:
            with pytest.raises(DBAPIError, match="permission denied"):
                await conn.execute(text(statement))
            await conn.rollback()
    async with app_engine.connect() as conn:
        # the narrow path: one username's login row, no listing
        assert await conn.scalar(text("SELECT count(*) FROM platform_accounts")) >= 1  # non-secret columns are readable
        row = (await conn.execute(text("SELECT * FROM linli_platform_login('sql-operator')"))).one()
        assert row.password_hash.startswith("$argon2id$") and row.is_platform_admin
        assert (await conn.execute(text("SELECT * FROM linli_platform_login('%')"))).first() is None
        await conn.rollback()
