"""data keys: per-tenant data-key versions (kernel/keys.py) with RLS, and the audit chain's hash
algorithm per entry (``sha256`` for every existing entry; ``sm3`` selectable, kernel/audit.py).

Revision ID: k0014
Revises: k0013
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.db.base import UTCDateTime
from kernel.db.tenant_tables import create_tenant_table, drop_tenant_table

revision: str = "k0014"
down_revision: str | Sequence[str] | None = "k0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = UTCDateTime(timezone=True)


def upgrade() -> None:
    create_tenant_table(
        "tenant_data_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cipher", sa.String(8), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("activated_at", UTC, nullable=True),
        sa.Column("retired_at", UTC, nullable=True),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("reencrypted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_tenant_data_keys_tenant_id_tenants", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "version", name="pk_tenant_data_keys"),
    )
    op.create_index(op.f("ix_tenant_data_keys_tenant_id"), "tenant_data_keys", ["tenant_id"])
    # a plain ADD COLUMN (no batch copy on SQLite: that would drop the k0008 trigger)
    op.add_column("audit_entries", sa.Column("hash_alg", sa.String(8), nullable=False, server_default="sha256"))


def downgrade() -> None:
    op.drop_column("audit_entries", "hash_alg")
    drop_tenant_table("tenant_data_keys")
