"""Lock 2 of 3: PostgreSQL row-level security on every tenant table.

Migrations call :func:`enable_tenant_rls` for each tenant table they create. The policy compares
``tenant_id`` with the per-transaction setting ``linli.tenant_id`` (set with ``SET LOCAL`` by the
session scope, :func:`kernel.db.scope.set_local_tenant_sql`). ``FORCE`` makes the policy apply to the table
owner too; the application connects as a role that owns nothing and has no BYPASSRLS.
"""

from __future__ import annotations

import re

from alembic import op

from kernel.db.scope import RLS_SETTING as SETTING

POLICY = "tenant_isolation"
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _table(name: str) -> str:
    """The table name, checked: the DDL below is built from it (no bound parameters in DDL)."""
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"not a plain table name: {name!r}")
    return name


def enable_tenant_rls(table: str) -> None:
    table = _table(table)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    predicate = f"tenant_id = NULLIF(current_setting('{SETTING}', true), '')::uuid"
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY {POLICY} ON "{table}" USING ({predicate}) WITH CHECK ({predicate})')


def disable_tenant_rls(table: str) -> None:
    table = _table(table)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
