"""Creating a tenant table in a migration, in the order a Citus cluster accepts.

A table created the way Alembic writes it — every foreign key inline — cannot join a distributed
schema: a foreign key to a distributed table is refused before the new table is distributed
itself. :func:`create_tenant_table` therefore creates the table with its tenant foreign key only
(``tenant_id → tenants.id``; ``tenants`` is a reference table), distributes it by ``tenant_id``
co-located with the other tenant tables when the ``citus`` extension is installed, then adds its
other foreign keys, and finally turns on row-level security. On plain PostgreSQL the same order
runs without the distribution step; on SQLite (which cannot add a foreign key to an existing
table) the foreign keys stay inline.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

from kernel.db.distribution import COLOCATION_ANCHOR, DISTRIBUTION_COLUMN, REFERENCE_TABLES
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls


def citus_installed() -> bool:
    """Whether the migrated database has the ``citus`` extension (always False off PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")).scalar())


def _is_tenant_key(item: Any) -> bool:
    """``tenant_id → tenants.id``: the one foreign key a new tenant table is created with."""
    return (
        isinstance(item, sa.ForeignKeyConstraint)
        and list(item.column_keys) == [DISTRIBUTION_COLUMN]
        and [e.target_fullname for e in item.elements] == ["tenants.id"]
    )


def create_tenant_table(name: str, *items: Any, **kw: Any) -> sa.Table:
    """Create the tenant table ``name`` (arguments as ``op.create_table``) in the distribution-safe
    order: the table with its tenant foreign key only, then — on Citus —
    ``create_distributed_table(name, 'tenant_id', colocate_with => 'policy_rules')``, then its other
    foreign keys (``ALTER TABLE … ADD CONSTRAINT``), then row-level security
    (:func:`enable_tenant_rls`). Returns the table.

    Declare foreign keys as ``sa.ForeignKeyConstraint`` items (as Alembic's autogenerate writes
    them), not as ``sa.ForeignKey`` inside a column. Raises ``ValueError`` for a table Citus could
    not distribute: no ``tenant_id`` column, or a primary key without it.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"{name!r}: a table name of lower-case letters, digits and underscores")
    for item in items:
        if isinstance(item, sa.Column) and item.foreign_keys:
            raise ValueError(
                f"{name}.{item.name}: declare the foreign key as sa.ForeignKeyConstraint([...], [...]) "
                "so create_tenant_table can add it after the table is distributed"
            )
    columns = {item.name: item for item in items if isinstance(item, sa.Column)}
    if DISTRIBUTION_COLUMN not in columns:
        raise ValueError(f"{name}: a tenant table needs a {DISTRIBUTION_COLUMN} column")
    if name in REFERENCE_TABLES:
        raise ValueError(f"{name} is a reference (global) table, not a tenant table")
    inline_fks = op.get_bind().dialect.name == "sqlite"
    deferred = [i for i in items if isinstance(i, sa.ForeignKeyConstraint) and not _is_tenant_key(i) and not inline_fks]
    table = op.create_table(name, *[i for i in items if not any(i is d for d in deferred)], **kw)
    if DISTRIBUTION_COLUMN not in {c.name for c in table.primary_key.columns}:
        raise ValueError(f"{name}: the primary key must include {DISTRIBUTION_COLUMN}")
    if citus_installed():
        op.execute(
            sa.text(
                f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
                f"colocate_with => '{COLOCATION_ANCHOR}')"
            )
        )
    for fk in deferred:
        local = list(fk.column_keys)
        targets = [e.target_fullname.split(".") for e in fk.elements]
        referred = targets[0][-2]
        op.create_foreign_key(
            str(fk.name) if fk.name else f"fk_{name}_{'_'.join(local)}_{referred}",
            name,
            referred,
            local,
            [t[-1] for t in targets],
            ondelete=fk.ondelete,
            onupdate=fk.onupdate,
            deferrable=fk.deferrable,
            initially=fk.initially,
        )
    enable_tenant_rls(name)
    return table


def drop_tenant_table(name: str) -> None:
    """The downgrade of :func:`create_tenant_table`: row-level security off, then the table."""
    disable_tenant_rls(name)
    op.drop_table(name)
