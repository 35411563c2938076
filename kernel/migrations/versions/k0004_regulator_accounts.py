"""regulator accounts: the street code of a street office's jurisdiction

Revision ID: k0004
Revises: k0003
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0004"
down_revision: str | Sequence[str] | None = "k0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("regulator_street_code", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("regulator_street_code")
