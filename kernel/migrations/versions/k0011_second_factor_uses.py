"""second_factor_uses: each authenticator code (its 30-second step) logs an account in once
(RFC 6238 §5.2). A global table — account ids are unique across tenants and platform staff — kept
small by pruning steps older than the verification window; a reference table on Citus.

Revision ID: k0011
Revises: k0010
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.db.base import UTCDateTime

revision: str = "k0011"
down_revision: str | Sequence[str] | None = "k0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "second_factor_uses",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "step", name=op.f("pk_second_factor_uses")),
    )


def downgrade() -> None:
    op.drop_table("second_factor_uses")
