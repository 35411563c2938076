"""personal_data_reads: who read whose personal data, one row per reader × person × category per
request (kernel/consent/reads.py). RLS on it.

Revision ID: k0012
Revises: k0011
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.db.base import UTCDateTime
from kernel.db.tenant_tables import create_tenant_table, drop_tenant_table

revision: str = "k0012"
down_revision: str | Sequence[str] | None = "k0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = UTCDateTime(timezone=True)


def upgrade() -> None:
    create_tenant_table(
        "personal_data_reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reader_account_id", sa.Uuid(), nullable=True),
        sa.Column("reader", sa.String(100), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_personal_data_reads_tenant_id_tenants", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_personal_data_reads"),
    )
    op.create_index(op.f("ix_personal_data_reads_tenant_id"), "personal_data_reads", ["tenant_id"])
    op.create_index(op.f("ix_personal_data_reads_reader_account_id"), "personal_data_reads", ["reader_account_id"])
    op.create_index("ix_personal_data_reads_person", "personal_data_reads", ["tenant_id", "person_id", "created_at"])


def downgrade() -> None:
    drop_tenant_table("personal_data_reads")
