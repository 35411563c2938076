"""How Linli's tables are laid out on a Citus cluster — the one place that says it.

* :data:`REFERENCE_TABLES` — the global tables, copied whole to every node (``create_reference_table``).
  They hold no tenant's data under row-level security: tenants themselves, the platform's own
  accounts (platform admins, regulators), login throttling, and the device-token digests that
  must be resolved before any tenant is known. A firm's accounts, sessions, refresh tokens and
  invitations are tenant tables.
* **Every other table is a distributed tenant table**, hash-distributed by
  :data:`DISTRIBUTION_COLUMN` (``tenant_id``) and co-located with :data:`COLOCATION_ANCHOR`, so
  every join between tenant tables on ``tenant_id`` and every foreign key carrying it stays on one
  shard. There is no third kind: a table that is neither listed here nor keyed by ``tenant_id``
  is an error (``tests/test_citus_invariants.py``).

:func:`citus_violations` checks a ``MetaData`` against what Citus refuses (measured on Citus 13.2,
see docs/operations.md "Scaling out with Citus"); the invariants test runs it over the kernel's,
the estate's and every loaded plugin's models, since Citus cannot be installed where the tests run.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ForeignKeyConstraint, MetaData, PrimaryKeyConstraint, Table, UniqueConstraint

#: Global tables: reference tables on Citus. Keep sorted; docs/operations.md lists the same names.
REFERENCE_TABLES: frozenset[str] = frozenset(
    {
        "device_credentials",
        "jurisdictions",
        "login_attempts",
        "platform_accounts",
        "second_factor_uses",
        "tenants",
    }
)
#: The column every other table is distributed by.
DISTRIBUTION_COLUMN = "tenant_id"
#: The distributed table every other tenant table is co-located with (``colocate_with``): a
#: kernel table that exists from the first migration on.
COLOCATION_ANCHOR = "policy_rules"
#: Tables Alembic keeps for itself; they stay local on the coordinator.
LOCAL_TABLES: frozenset[str] = frozenset({"alembic_version"})

#: ``ON DELETE`` actions Citus refuses on a foreign key that includes the distribution column.
_REFUSED_ON_DELETE = frozenset({"SET NULL", "SET DEFAULT"})
#: ``ON UPDATE`` actions Citus refuses on a foreign key that includes the distribution column.
_REFUSED_ON_UPDATE = frozenset({"SET NULL", "SET DEFAULT", "CASCADE"})


def is_reference(table: str | Table) -> bool:
    return (table if isinstance(table, str) else table.name) in REFERENCE_TABLES


def citus_violations(metadata: MetaData | Iterable[Table], *, reference: frozenset[str] = REFERENCE_TABLES) -> list[str]:
    """Every place where Citus would refuse ``metadata``'s tables laid out as this module says.

    One message per violation, naming the table and the constraint: a distributed table without a
    non-null ``tenant_id``; a primary key, unique constraint or unique index without it; a foreign
    key between distributed tables that does not pair ``tenant_id`` with ``tenant_id`` at the same
    position; ``SET NULL``/``SET DEFAULT`` on delete (or ``SET NULL``/``SET DEFAULT``/``CASCADE``
    on update) in a foreign key carrying ``tenant_id``; a foreign key from a reference table to a
    distributed one. Also a reference table named here that is not in the metadata (the list is
    kept exact).
    """
    tables = list(metadata.tables.values()) if isinstance(metadata, MetaData) else list(metadata)
    names = {t.name for t in tables}
    problems: list[str] = []
    for table in sorted(tables, key=lambda t: t.name):
        if table.name in LOCAL_TABLES:
            continue
        if table.name in reference:
            problems.extend(_reference_problems(table, reference))
        else:
            problems.extend(_distributed_problems(table, reference))
    if isinstance(metadata, MetaData):
        for missing in sorted(reference - names):
            problems.append(f"{missing}: listed in REFERENCE_TABLES but no model defines it")
    return problems


def _reference_problems(table: Table, reference: frozenset[str]) -> list[str]:
    problems = []
    for fk in table.foreign_key_constraints:
        target = fk.referred_table.name
        if target not in reference and target not in LOCAL_TABLES:
            problems.append(
                f"{table.name}: reference table with foreign key {fk.name or fk.column_keys} to distributed "
                f"table {target} (Citus refuses it: a reference table may only point at reference tables)"
            )
    return problems


def _distributed_problems(table: Table, reference: frozenset[str]) -> list[str]:
    name, col = table.name, DISTRIBUTION_COLUMN
    column = table.columns.get(col)
    if column is None:
        return [
            f"{name}: neither a reference table (kernel/db/distribution.py REFERENCE_TABLES) nor keyed by "
            f"{col}: Citus would leave it on the coordinator, outside the distribution"
        ]
    problems = []
    if column.nullable:
        problems.append(f"{name}: {col} is nullable; the distribution column must be NOT NULL")
    for constraint in table.constraints:
        if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint)) and constraint.columns:
            keys = [c.name for c in constraint.columns]
            if col not in keys:
                kind = "primary key" if isinstance(constraint, PrimaryKeyConstraint) else "unique constraint"
                label = f"{constraint.name} " if constraint.name else ""
                problems.append(f"{name}: {kind} {label}{keys} lacks {col} (Citus refuses it)")
    for index in table.indexes:
        if index.unique and col not in {c.name for c in index.columns}:
            problems.append(f"{name}: unique index {index.name} lacks {col} (Citus refuses it)")
    for fk in table.foreign_key_constraints:
        problems.extend(_foreign_key_problems(table, fk, reference))
    return problems


def _foreign_key_problems(table: Table, fk: ForeignKeyConstraint, reference: frozenset[str]) -> list[str]:
    col = DISTRIBUTION_COLUMN
    local = list(fk.column_keys)
    remote = [e.column.name for e in fk.elements]
    target = fk.referred_table.name
    label = f"{table.name}: foreign key {fk.name or local} to {target}"
    problems = []
    carries_tenant = col in local
    if target not in reference:
        paired = any(lc == col and rc == col for lc, rc in zip(local, remote, strict=True))
        if not paired:
            problems.append(
                f"{label} does not pair {col} with {target}.{col} (a foreign key between distributed tables "
                f"must include the distribution column at the same position; use tenant_fk)"
            )
    if carries_tenant and (fk.ondelete or "").upper() in _REFUSED_ON_DELETE:
        problems.append(f"{label}: ON DELETE {fk.ondelete} with {col} in the key (Citus refuses it)")
    if carries_tenant and (fk.onupdate or "").upper() in _REFUSED_ON_UPDATE:
        problems.append(f"{label}: ON UPDATE {fk.onupdate} with {col} in the key (Citus refuses it)")
    return problems


__all__ = [
    "COLOCATION_ANCHOR",
    "DISTRIBUTION_COLUMN",
    "LOCAL_TABLES",
    "REFERENCE_TABLES",
    "citus_violations",
    "is_reference",
]
