"""access: licence plates sealed — keyed digest, ciphertext (passes), masked form; the clear
``plate`` columns become ``plate_unsealed`` until the retention job seals their rows

Revision ID: ac0002
Revises: ac0001
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ac0002"
down_revision: str | Sequence[str] | None = "ac0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A migration has no tenant keys: rows written before keep their plate in ``plate_unsealed``
    # until the retention job (``access.purge_records``) seals and clears it.
    with op.batch_alter_table("access_passes") as batch:
        batch.alter_column("plate", new_column_name="plate_unsealed", existing_type=sa.String(16))
        batch.add_column(sa.Column("plate_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("plate_enc", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("plate_masked", sa.String(length=16), nullable=True))
    with op.batch_alter_table("access_blacklist") as batch:
        batch.alter_column("plate", new_column_name="plate_unsealed", existing_type=sa.String(16))
        batch.add_column(sa.Column("plate_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("plate_masked", sa.String(length=16), nullable=True))
    op.create_index("ix_access_blacklist_plate_digest", "access_blacklist", ["plate_digest"])


def downgrade() -> None:
    # the clear plates cannot be recovered without the tenant keys: only unsealed ones come back
    op.drop_index("ix_access_blacklist_plate_digest", table_name="access_blacklist")
    with op.batch_alter_table("access_blacklist") as batch:
        batch.drop_column("plate_masked")
        batch.drop_column("plate_digest")
        batch.alter_column("plate_unsealed", new_column_name="plate", existing_type=sa.String(16))
    with op.batch_alter_table("access_passes") as batch:
        batch.drop_column("plate_masked")
        batch.drop_column("plate_enc")
        batch.drop_column("plate_digest")
        batch.alter_column("plate_unsealed", new_column_name="plate", existing_type=sa.String(16))
