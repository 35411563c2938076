"""gov_filings: the street office's answer to a filing (acknowledged, or returned with a reason)

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime

revision: str = 'g0002'
down_revision: str | Sequence[str] | None = 'g0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('gov_filings') as batch:
        batch.add_column(sa.Column('review_status', sa.String(length=12), server_default='received', nullable=False))
        batch.add_column(sa.Column('review_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('reviewed_at', UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('reviewed_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gov_filings') as batch:
        for column in ('reviewed_by', 'reviewed_at', 'review_reason', 'review_status'):
            batch.drop_column(column)
