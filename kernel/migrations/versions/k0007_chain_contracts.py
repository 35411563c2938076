"""generic chain deployment record: one row per (tenant, community, contract role) with its artifact, address
and indexer cursor, instead of one row per community with a column per built-in contract. The existing rows'
four addresses become four rows. RLS as on every tenant table.

Revision ID: k0007
Revises: k0006
Create Date: 2026-12-07
"""
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = 'k0007'
down_revision: str | Sequence[str] | None = 'k0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "chain_deployments"
#: The columns of the k0003 record and the artifact each address was deployed from.
OLD_COLUMNS = {"registry": "OwnersRegistry", "governance": "OwnersGovernance", "fund": "MaintenanceFund", "audit": "AuditAnchor"}
COMMON = ("id", "tenant_id", "community_id", "chain_id", "deployed_block", "indexed_block", "created_at", "updated_at")


def _base_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('community_id', sa.Uuid(), nullable=False),
        sa.Column('chain_id', sa.BigInteger(), nullable=False),
        sa.Column('deployed_block', sa.BigInteger(), nullable=False),
        sa.Column('indexed_block', sa.BigInteger(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('tenant_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', kernel.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', kernel.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_chain_deployments_tenant_id_tenants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_chain_deployments')),
    ]


def _indexes() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_deployments_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chain_deployments_tenant_id'), ['tenant_id'], unique=False)


_TYPES = {
    "id": sa.Uuid(), "tenant_id": sa.Uuid(), "community_id": sa.Uuid(), "chain_id": sa.BigInteger(),
    "deployed_block": sa.BigInteger(), "indexed_block": sa.BigInteger(),
    "created_at": kernel.db.base.UTCDateTime(timezone=True), "updated_at": kernel.db.base.UTCDateTime(timezone=True),
}


def _read_and_drop(columns: Sequence[str]) -> list[dict]:  # type: ignore[type-arg]
    # Policies off first: FORCE makes them apply to the table's owner too, and the copy spans every tenant.
    disable_tenant_rls(TABLE)
    old = sa.table(TABLE, *(sa.column(c, _TYPES.get(c, sa.String())) for c in columns))
    rows = [dict(r._mapping) for r in op.get_bind().execute(sa.select(old))]
    op.drop_table(TABLE)
    return rows


def upgrade() -> None:
    rows = _read_and_drop((*COMMON, *OLD_COLUMNS))
    table = op.create_table(TABLE,
        sa.Column('contract', sa.String(length=16), nullable=False),
        sa.Column('artifact', sa.String(length=100), nullable=False),
        sa.Column('address', sa.String(length=42), nullable=False),
        *_base_columns(),
        sa.UniqueConstraint('tenant_id', 'community_id', 'contract', name=op.f('uq_chain_deployments_tenant_id_community_id_contract')),
    )
    _indexes()
    copied = [
        {**{c: r[c] for c in COMMON}, "id": uuid.uuid4(), "contract": role, "artifact": artifact, "address": r[role]}
        for r in rows
        for role, artifact in OLD_COLUMNS.items()
    ]
    if copied:
        op.bulk_insert(table, copied)  # before the policy: its WITH CHECK would refuse rows of every tenant
    enable_tenant_rls(TABLE)


def downgrade() -> None:
    rows = _read_and_drop((*COMMON, "contract", "address"))
    table = op.create_table(TABLE,
        *(sa.Column(role, sa.String(length=42), nullable=False) for role in OLD_COLUMNS),
        *_base_columns(),
        sa.UniqueConstraint('tenant_id', 'community_id', name=op.f('uq_chain_deployments_tenant_id_community_id')),
    )
    _indexes()
    by_community: dict[tuple[uuid.UUID, uuid.UUID], dict] = {}  # type: ignore[type-arg]
    for r in rows:
        merged = by_community.setdefault((r["tenant_id"], r["community_id"]), {
            **{c: r[c] for c in COMMON}, "id": uuid.uuid4(), "indexed_block": r["indexed_block"], "updated_at": datetime.now(UTC)})
        merged[r["contract"]] = r["address"]
        merged["indexed_block"] = min(merged["indexed_block"], r["indexed_block"])
        merged["deployed_block"] = min(merged["deployed_block"], r["deployed_block"])
    # The old record has a column per built-in contract: only communities with all four fit in it.
    complete = [m for m in by_community.values() if all(role in m for role in OLD_COLUMNS)]
    if complete:
        op.bulk_insert(table, complete)
    enable_tenant_rls(TABLE)
