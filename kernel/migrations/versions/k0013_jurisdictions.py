"""jurisdictions: streets (街道) and districts (区) the street office supervises. A global table —
communities of many firms name their street by code — kept as a reference table on Citus.

Revision ID: k0013
Revises: k0012
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.db.base import UTCDateTime

revision: str = "k0013"
down_revision: str | Sequence[str] | None = "k0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["jurisdictions.code"], name=op.f("fk_jurisdictions_parent_code_jurisdictions"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jurisdictions")),
    )
    op.create_index(op.f("ix_jurisdictions_parent_code"), "jurisdictions", ["parent_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jurisdictions_parent_code"), table_name="jurisdictions")
    op.drop_table("jurisdictions")
