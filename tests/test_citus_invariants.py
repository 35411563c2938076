"""Citus readiness, checked where Citus cannot run (it is in no registry these machines reach).

What a real Citus 13.2 refused with Linli's schema (docs/operations.md "Scaling out with Citus")
is checked statically here, over the metadata of the kernel, the estate and every plugin the host
loads (third parties' included), and over the raw SQL in their code; the api_keys constraint and
the distribution-safe table helper run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import ForeignKeyConstraint, MetaData, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from kernel.db.base import Base, GlobalRecord, TenantScoped
from kernel.db.distribution import (
    COLOCATION_ANCHOR,
    LOCAL_TABLES,
    REFERENCE_TABLES,
    citus_violations,
)

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def _loaded_host():  # type: ignore[no-untyped-def]
    """Every model Linli and the installed plugins define: the kernel's, then what the plugin
    host loads through the entry points (built-ins, the estate, third parties)."""
    import kernel.models  # noqa: F401 - maps the kernel's models
    from kernel.plugins.host import PluginHost

    host = PluginHost()
    host.load(entry_points=True)
    host.models()
    return host


@pytest.fixture(scope="module")
def host():  # type: ignore[no-untyped-def]
    return _loaded_host()


def _distributed_tables() -> set[str]:
    return {name for name in Base.metadata.tables if name not in REFERENCE_TABLES | LOCAL_TABLES}


# -- the metadata ---------------------------------------------------------------------------------


def test_no_table_has_anything_citus_refuses(host):
    problems = citus_violations(Base.metadata)
    assert problems == [], "\n".join(problems)


def test_every_plugin_model_is_checked(host):
    """The check covers what the host loaded, not a fixed list: every plugin's models are in it."""
    for plugin, models in host.models().items():
        for model in models:
            assert model.__table__.name in Base.metadata.tables, (plugin, model)
    assert len(_distributed_tables()) >= 45
    assert {"units", "gov_proposals", "notices", "api_keys", COLOCATION_ANCHOR} <= _distributed_tables()


def test_reference_tables_are_the_global_models(host):
    """Global models are reference tables and tenant models are distributed, with no exception:
    device tokens are global by design (resolved before a tenant is known), and so are the
    platform's own accounts and the login throttle; a firm's accounts and refresh tokens are
    tenant tables."""
    assert {"device_credentials", "login_attempts", "platform_accounts", "tenants"} <= REFERENCE_TABLES
    assert not {"accounts", "refresh_tokens", "invitations"} & REFERENCE_TABLES
    for mapper in Base.registry.mappers:
        table = mapper.local_table.name  # type: ignore[union-attr]
        if issubclass(mapper.class_, TenantScoped):
            assert table not in REFERENCE_TABLES, f"{table} is tenant-scoped (row-level security) but listed as a reference table"
        if issubclass(mapper.class_, GlobalRecord):
            assert table in REFERENCE_TABLES, f"{table} is global but not a reference table"


def _broken_metadata() -> MetaData:
    md = MetaData()
    sa.Table("tenants", md, sa.Column("id", sa.Uuid, primary_key=True))
    tenant = lambda: sa.Column("tenant_id", sa.Uuid, sa.ForeignKey("tenants.id"), primary_key=True)  # noqa: E731
    sa.Table("parents", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table("pk_without_tenant", md, sa.Column("tenant_id", sa.Uuid, nullable=False), sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "unique_without_tenant", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("code", sa.String),
        UniqueConstraint("code", name="uq_code"),
    )
    sa.Table(
        "unique_index_without_tenant", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String), sa.Index("ix_code", "code", unique=True),
    )
    sa.Table(
        "fk_without_tenant", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("parent_id", sa.Uuid),
        ForeignKeyConstraint(["parent_id"], ["parents.id"], name="fk_plain"),
    )
    sa.Table(
        "fk_tenant_crossed", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("parent_id", sa.Uuid),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.id", "parents.tenant_id"], name="fk_crossed"),
    )
    sa.Table(
        "fk_set_null", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("parent_id", sa.Uuid),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.tenant_id", "parents.id"], ondelete="SET NULL", name="fk_null"),
    )
    sa.Table(
        "fk_update_cascade", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("parent_id", sa.Uuid),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.tenant_id", "parents.id"], onupdate="CASCADE", name="fk_upd"),
    )
    sa.Table("nullable_tenant", md, sa.Column("tenant_id", sa.Uuid, nullable=True), sa.Column("id", sa.Uuid))
    sa.Table("no_tenant_column", md, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "globals", md, sa.Column("id", sa.Uuid, primary_key=True), sa.Column("tenant_id", sa.Uuid), sa.Column("parent_id", sa.Uuid),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.tenant_id", "parents.id"], name="fk_ref_to_dist"),
    )
    sa.Table(
        "fine", md, tenant(), sa.Column("id", sa.Uuid, primary_key=True), sa.Column("parent_id", sa.Uuid),
        sa.Column("code", sa.String), UniqueConstraint("tenant_id", "code"),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.tenant_id", "parents.id"], ondelete="CASCADE"),
    )
    return md


def test_the_check_names_each_refusal():
    """Each shape Citus refuses is reported, naming the table; the correct tables are not."""
    problems = citus_violations(_broken_metadata(), reference=frozenset({"tenants", "globals", "ghost"}))
    text = "\n".join(problems)
    expected = {
        "pk_without_tenant": "primary key",
        "unique_without_tenant": "unique constraint uq_code",
        "unique_index_without_tenant": "unique index ix_code",
        "fk_without_tenant": "foreign key fk_plain to parents does not pair tenant_id",
        "fk_tenant_crossed": "foreign key fk_crossed to parents does not pair tenant_id",
        "fk_set_null": "ON DELETE SET NULL",
        "fk_update_cascade": "ON UPDATE CASCADE",
        "nullable_tenant": "tenant_id is nullable",
        "no_tenant_column": "neither a reference table",
        "globals": "reference table with foreign key fk_ref_to_dist to distributed table parents",
        "ghost": "listed in REFERENCE_TABLES but no model defines it",
    }
    for table, fragment in expected.items():
        assert any(p.startswith(f"{table}:") and fragment in p for p in problems), f"{table}: {fragment!r} not in\n{text}"
    assert not any(p.startswith(("fine:", "parents:", "tenants:")) for p in problems), text
    assert len(problems) == len(expected), text


def test_api_keys_prefix_is_unique_per_tenant_in_the_model(host):
    table = Base.metadata.tables["api_keys"]
    uniques = [sorted(c.name for c in u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)]
    assert uniques == [["prefix", "tenant_id"]]
    assert not table.c.prefix.unique


def test_operations_doc_lists_the_reference_tables():
    """docs/operations.md names the same reference tables (the conversion script creates them)."""
    doc = OPERATIONS_DOC.read_text()
    section = doc.split("## Scaling out with Citus", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"create_reference_table\(t::regclass\) FROM unnest\(ARRAY\[([^\]]*)\]\)", section)
    assert match, "the conversion script's create_reference_table line is missing"
    listed = {name.strip().strip("'") for name in match.group(1).split(",")}
    assert listed == REFERENCE_TABLES
    # the script's other lists name the same tables, plus its own bookkeeping
    lists = re.findall(r"relname NOT IN \(([^)]*)\)", section)
    assert len(lists) == 2
    for names in lists:
        named = {n.strip().strip("'") for n in names.split(",")}
        assert named - {"alembic_version", "linli_citus_fks", COLOCATION_ANCHOR} == REFERENCE_TABLES
    prose = section.split("**Reference tables**", 1)[1].split("\n- ", 1)[0]
    assert set(re.findall(r"`(\w+)`", prose)) - {"REFERENCE_TABLES"} == REFERENCE_TABLES
    assert f"colocate_with => '{COLOCATION_ANCHOR}'" in section
    assert "citus.propagate_set_commands = 'local'" in section


# -- raw SQL ----------------------------------------------------------------------------------------

_JOIN = re.compile(
    r"\bJOIN\s+\"?(\w+)\"?(?:\s+(?:AS\s+)?(?!ON\b|USING\b)\w+)?\s+(?:ON\b(?P<on>.*?)(?=\b(?:LEFT|RIGHT|INNER|FULL|CROSS)?\s*JOIN\b|\bWHERE\b|\bGROUP\b|\bORDER\b|\bLIMIT\b|\bFOR\b|\bRETURNING\b|$)|USING\s*\((?P<using>[^)]*)\))",
    re.IGNORECASE | re.DOTALL,
)
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
_TENANT_FILTER = re.compile(r"\bWHERE\b.*\btenant_id\s*(?:=|\bIN\b)", re.IGNORECASE | re.DOTALL)
_FROM_LIST = re.compile(r"\bFROM\s+((?:\"?\w+\"?(?:\s+(?:AS\s+)?\w+)?\s*,\s*)+\"?\w+\"?)", re.IGNORECASE)


def sql_problems(sql: str, distributed: set[str]) -> list[str]:
    """What Citus would refuse in one SQL string, as far as a static look can tell: a join of a
    distributed table without ``tenant_id`` in its ON/USING, a comma join of distributed tables
    without a ``tenant_id`` equality, a ``FOR UPDATE``/``FOR SHARE`` without a ``tenant_id``
    filter in the WHERE clause."""
    problems = []
    for statement in filter(None, (s.strip() for s in sql.split(";"))):
        for m in _JOIN.finditer(statement):
            table = m.group(1).lower()
            condition = m.group("on") or m.group("using") or ""
            if table in distributed and "tenant_id" not in condition.lower():
                problems.append(f"JOIN {table} without tenant_id in its condition")
        for m in _FROM_LIST.finditer(statement):
            names = [p.strip().split()[0].strip('"').lower() for p in m.group(1).split(",")]
            if sum(n in distributed for n in names) > 1 and not re.search(r"tenant_id\s*=\s*\w+\.tenant_id", statement, re.I):
                problems.append(f"comma join of {', '.join(names)} without a tenant_id equality")
        for m in _LOCKING.finditer(statement):
            if not _TENANT_FILTER.search(statement[: m.start()]):
                problems.append(f"{m.group(0)} without a tenant_id filter")
    return problems


def _literal(node: ast.AST) -> str | None:
    """The SQL text of a call argument: literals, f-strings (placeholders as ``?``) and ``+``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "?" for v in node.values)  # type: ignore[misc]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    return None


def _is_sql_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "text"
    if isinstance(func, ast.Attribute):
        if func.attr in {"text", "exec_driver_sql"}:
            return True
        return func.attr == "execute" and isinstance(func.value, ast.Name) and func.value.id == "op"
    return False


def raw_sql(path: Path) -> list[tuple[int, str]]:
    """(line, SQL) of every ``text(…)``, ``sa.text(…)``, ``exec_driver_sql(…)`` and
    ``op.execute(…)`` whose argument is a literal (or an f-string, or a ``+`` of literals)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and node.args and _is_sql_call(node):
            sql = _literal(node.args[0])
            if sql is not None:
                found.append((node.lineno, sql))
    return found


def _code_roots(host) -> list[Path]:  # type: ignore[no-untyped-def]
    roots = {ROOT / "kernel", ROOT / "tenants", ROOT / "plugins", ROOT / "gateway"}
    for loaded in host.plugins.values():
        module_file = getattr(loaded.module, "__file__", None)
        if module_file:  # a third party's package, wherever it is installed
            roots.add(Path(module_file).resolve().parent)
    return sorted(roots)


def test_raw_sql_keeps_tenant_id_in_joins_and_row_locks(host):
    distributed = _distributed_tables()
    problems, scanned = [], 0
    for root in _code_roots(host):
        for path in sorted(root.rglob("*.py")):
            for line, sql in raw_sql(path):
                scanned += 1
                problems += [f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}: {p}" for p in sql_problems(sql, distributed)]
    assert scanned >= 10, "the scan found almost no SQL: is it looking in the right places?"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("SELECT u.id FROM units u JOIN ownerships o ON o.unit_id = u.id", "JOIN ownerships without tenant_id"),
        ("SELECT 1 FROM units JOIN persons USING (id)", "JOIN persons without tenant_id"),
        ("SELECT * FROM units u, ownerships o WHERE o.unit_id = u.id", "comma join"),
        ("SELECT * FROM bills WHERE id = :id FOR UPDATE", "FOR UPDATE without a tenant_id filter"),
        ("SELECT * FROM outbox WHERE status = 'pending' FOR UPDATE SKIP LOCKED", "FOR UPDATE without"),
        ("SELECT * FROM units FOR SHARE", "FOR SHARE without"),
        ("SELECT * FROM a; SELECT * FROM units u JOIN buildings b ON b.id = u.building_id", "JOIN buildings"),
    ],
)
def test_the_sql_scan_finds_what_citus_refuses(sql, refused, host):
    problems = sql_problems(sql, _distributed_tables())
    assert any(refused in p for p in problems), problems


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT u.id FROM units u JOIN ownerships o ON o.tenant_id = u.tenant_id AND o.unit_id = u.id",
        "SELECT 1 FROM units JOIN persons USING (tenant_id, id)",
        "SELECT a.username FROM units u JOIN platform_accounts a ON a.id = u.id",  # a reference table
        "SELECT * FROM bills WHERE tenant_id = :t AND id = :id FOR UPDATE",
        "SELECT * FROM units u, ownerships o WHERE o.tenant_id = u.tenant_id AND o.unit_id = u.id",
        "INSERT INTO telemetry_latest (tenant_id) VALUES (:t) ON CONFLICT (tenant_id) DO UPDATE SET ts = excluded.ts",
    ],
)
def test_the_sql_scan_accepts_tenant_keyed_sql(sql, host):
    assert sql_problems(sql, _distributed_tables()) == []


def test_the_sql_scan_reads_literals_fstrings_and_concatenation(tmp_path):
    source = tmp_path / "queries.py"
    source.write_text(
        "import sqlalchemy as sa\nfrom sqlalchemy import text\n"
        "A = text('SELECT 1 FROM units JOIN persons ON persons.id = units.id')\n"
        "B = sa.text(f'SELECT * FROM {t} FOR UPDATE')\n"
        "C = text('SELECT * ' + 'FROM bills FOR UPDATE')\n"
        "def f(conn, op):\n    conn.exec_driver_sql('SELECT 2')\n    op.execute('UPDATE x SET y = 1')\n"
        "D = text(name)  # not a literal: beyond a static check\n"
    )
    found = dict(raw_sql(source))
    assert found == {
        3: "SELECT 1 FROM units JOIN persons ON persons.id = units.id",
        4: "SELECT * FROM ? FOR UPDATE",
        5: "SELECT * FROM bills FOR UPDATE",
        7: "SELECT 2",
        8: "UPDATE x SET y = 1",
    }


# -- on the database ----------------------------------------------------------------------------


async def test_api_key_prefixes_are_unique_per_tenant(linli_database, make_runtime):
    """Two tenants may hold the same prefix (a presented key names its tenant); one tenant may not."""
    from kernel.identity.models import ApiKey
    from kernel.tenancy import Tenant

    runtime = make_runtime()
    a, b = uuid.uuid4(), uuid.uuid4()
    async with runtime.db.platform() as s:
        for tid in (a, b):
            s.add(Tenant(id=tid, slug=f"uq-{tid.hex[:10]}", name="uq"))
    for tid in (a, b):
        async with runtime.db.tenant(tid) as s:
            s.add(ApiKey(name="k", prefix="samepfx1", secret_hash="0" * 64, role="tenant_admin"))
    with pytest.raises(IntegrityError):
        async with runtime.db.tenant(a) as s:
            s.add(ApiKey(name="k2", prefix="samepfx1", secret_hash="1" * 64, role="tenant_admin"))
    async with runtime.db.tenant(a) as s:
        assert (await s.scalars(sa.select(ApiKey.name))).all() == ["k"]


async def test_api_keys_constraint_after_migration(linli_database):
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(linli_database.admin_url)
    try:
        async with engine.connect() as conn:
            uniques = await conn.run_sync(lambda c: sa.inspect(c).get_unique_constraints("api_keys"))
            version = set((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()
    assert [(u["name"], sorted(u["column_names"])) for u in uniques] == [("uq_api_keys_tenant_id_prefix", ["prefix", "tenant_id"])]
    assert "k0009" in version or any(v.startswith("k") and v > "k0009" for v in version)


async def test_create_tenant_table_adds_other_foreign_keys_after_the_table(linli_database):
    """The SDK helper creates the table with its tenant key only, then (no Citus here, so no
    distribution step) adds the other foreign keys with ALTER TABLE, then row-level security; the
    keys hold (a row pointing into another tenant's unit is refused) and the downgrade drops it."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from kernel.db.engine import make_engine
    from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

    name = f"probe_{uuid.uuid4().hex[:8]}"
    statements: list[str] = []

    def migrate(conn, down: bool = False):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(conn)
        with Operations.context(ctx):
            if down:
                drop_tenant_table(name)
                return None
            return create_tenant_table(
                name,
                sa.Column("tenant_id", sa.Uuid(), nullable=False),
                sa.Column("id", sa.Uuid(), nullable=False),
                sa.Column("unit_id", sa.Uuid(), nullable=False),
                sa.Column("account_id", sa.Uuid(), nullable=True),
                sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
                sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
                sa.ForeignKeyConstraint(["tenant_id", "unit_id"], ["units.tenant_id", "units.id"], ondelete="CASCADE"),
                sa.ForeignKeyConstraint(["account_id"], ["platform_accounts.id"], name=f"fk_{name}_account"),
                sa.PrimaryKeyConstraint("tenant_id", "id"),
            )

    engine = make_engine(linli_database.admin_url)  # on SQLite: foreign keys on
    sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda c, cur, stmt, *a: statements.append(stmt))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate)
        async with engine.connect() as conn:
            fks = await conn.run_sync(lambda c: sa.inspect(c).get_foreign_keys(name))
            targets = sorted((fk["referred_table"], tuple(fk["constrained_columns"])) for fk in fks)
            assert targets == [("platform_accounts", ("account_id",)), ("tenants", ("tenant_id",)), ("units", ("tenant_id", "unit_id"))]
            if linli_database.backend == "postgres":
                create = next(s for s in statements if s.lstrip().startswith("CREATE TABLE"))
                assert "REFERENCES tenants" in create and "REFERENCES units" not in create and "REFERENCES platform_accounts" not in create
                order = [i for i, s in enumerate(statements) if "ADD CONSTRAINT" in s or "CREATE POLICY" in s]
                assert len(order) == 3 and "CREATE POLICY" in statements[order[-1]]
                flags = (await conn.execute(sa.text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :n"), {"n": name})).one()
                assert tuple(flags) == (True, True)
        # the composite key is enforced: a unit id of no unit of this tenant is refused
        tid, now = uuid.uuid4(), datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                Base.metadata.tables["tenants"].insert(),
                {"id": tid, "slug": f"p-{tid.hex[:8]}", "name": "p", "status": "active", "plan": "standard", "policy_version": 0, "created_at": now},
            )
        async with engine.connect() as conn:
            with pytest.raises(IntegrityError, match="(?i)foreign key"):
                async with conn.begin():
                    probe = sa.table(name, *(sa.column(c, sa.Uuid()) for c in ("tenant_id", "id", "unit_id")), sa.column("created_at", UTCDateTime()))
                    await conn.execute(probe.insert(), {"tenant_id": tid, "id": uuid.uuid4(), "unit_id": uuid.uuid4(), "created_at": now})
        async with engine.begin() as conn:
            await conn.run_sync(migrate, True)
            assert not await conn.run_sync(lambda c: sa.inspect(c).has_table(name))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ((sa.Column("id", sa.Uuid(), primary_key=True),), "needs a tenant_id column"),
        ((sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id")),), "declare the foreign key as sa.ForeignKeyConstraint"),
    ],
)
def test_create_tenant_table_refuses_what_cannot_be_distributed(items, message):
    from kernel.sdk.db import create_tenant_table

    with pytest.raises(ValueError, match=message):
        create_tenant_table("bad_table", *items)
    with pytest.raises(ValueError, match="lower-case"):
        create_tenant_table("bad'; DROP TABLE tenants; --", sa.Column("tenant_id", sa.Uuid()))


# -- the conversion script of docs/operations.md, against stand-ins for Citus's functions -------

#: Stand-ins for Citus's two functions, enforcing what Citus requires of the call (no foreign key
#: on the table; the distribution column exists and is NOT NULL) and recording the calls. They
#: check the script's SQL, its order and its table lists; they do not shard anything.
_CITUS_STANDINS = """
CREATE SCHEMA citus_standin;
CREATE TABLE citus_standin.calls (seq serial, fn text, tbl text, colocate text);
CREATE FUNCTION create_reference_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND (conrelid = t OR confrelid = t)) THEN
    RAISE EXCEPTION 'Citus: % is linked by foreign keys', t;
  END IF;
  INSERT INTO citus_standin.calls (fn, tbl) VALUES ('reference', t::text);
END $$;
CREATE FUNCTION create_distributed_table(t regclass, col text, colocate_with text DEFAULT 'default') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND (conrelid = t OR confrelid = t)) THEN
    RAISE EXCEPTION 'Citus: % is linked by foreign keys', t;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t AND attname = col AND attnotnull) THEN
    RAISE EXCEPTION 'Citus: % has no NOT NULL column %', t, col;
  END IF;
  INSERT INTO citus_standin.calls (fn, tbl, colocate) VALUES ('distributed', t::text, colocate_with);
END $$;
"""


def _conversion_script() -> str:
    section = OPERATIONS_DOC.read_text().split("### Converting an existing database", 1)[1]
    return section.split("```sql", 1)[1].split("```", 1)[0]


async def test_the_conversion_script_distributes_every_table_and_restores_every_foreign_key(linli_backend):
    """docs/operations.md's script, run on a freshly migrated database: foreign keys dropped
    before any table is distributed and all re-added exactly; the reference tables first; every
    other table distributed by tenant_id co-located with the anchor; a stray table stops it."""
    import os

    import asyncpg

    from kernel.db.migrate import upgrade
    from kernel.testing import POSTGRES_ENV, create_postgres_database, test_plugin_modules

    if linli_backend != "postgres":
        pytest.skip("the conversion script is PostgreSQL (Citus) SQL")
    host = _loaded_host()  # the models, for the comparison with the metadata below
    host_for_migrations = type(host)()
    host_for_migrations.load(extra=test_plugin_modules(), entry_points=True)
    app_url, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
    try:
        await upgrade(admin_url, app_url, host_for_migrations)
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            fks_sql = (
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1, 2"
            )
            before = [tuple(r) for r in await conn.fetch(fks_sql)]
            assert len(before) > 50
            await conn.execute(_CITUS_STANDINS)
            # a table that is neither global nor tenant-keyed stops the script before it changes anything
            await conn.execute("CREATE TABLE stray_table (id int PRIMARY KEY)")
            with pytest.raises(asyncpg.RaiseError, match="stray_table"):
                await conn.execute(_conversion_script())
            assert [tuple(r) for r in await conn.fetch(fks_sql)] == before
            await conn.execute("DROP TABLE stray_table")

            await conn.execute(_conversion_script())
            assert [tuple(r) for r in await conn.fetch(fks_sql)] == before
            calls = [tuple(r) for r in await conn.fetch("SELECT fn, tbl, colocate FROM citus_standin.calls ORDER BY seq")]
            tables = {r[0] for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            )}
            assert "linli_citus_fks" not in tables
        finally:
            await conn.close()
    finally:
        await drop()
    reference = [t for fn, t, _ in calls if fn == "reference"]
    distributed = [(t, colocate) for fn, t, colocate in calls if fn == "distributed"]
    assert sorted(reference) == sorted(REFERENCE_TABLES)
    assert calls[: len(reference)] == [("reference", t, None) for t in reference]  # reference tables first
    assert distributed[0] == (COLOCATION_ANCHOR, "none")
    assert all(colocate == COLOCATION_ANCHOR for _, colocate in distributed[1:])
    assert len({t for t, _ in distributed}) == len(distributed)
    assert {t for t, _ in distributed} == tables - REFERENCE_TABLES - LOCAL_TABLES
    assert {t for t, _ in distributed} >= _distributed_tables()
