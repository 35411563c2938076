"""api_keys: the key prefix is unique per tenant, ``UNIQUE(tenant_id, prefix)`` instead of
``UNIQUE(prefix)``. A presented key ``lk.<tenant>.<prefix>.<secret>`` is looked up inside its
tenant already; a unique key without the distribution column is what Citus refuses when
``api_keys`` is distributed by ``tenant_id`` (docs/operations.md, "Scaling out with Citus").

Revision ID: k0009
Revises: k0008
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = "k0009"
down_revision: str | Sequence[str] | None = "k0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite rebuilds the table (it cannot drop a constraint); PostgreSQL alters in place,
    # so the table keeps its row-level security policy.
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("uq_api_keys_prefix", type_="unique")
        batch.create_unique_constraint("uq_api_keys_tenant_id_prefix", ["tenant_id", "prefix"])


def downgrade() -> None:
    # Refused by the database if two tenants hold the same prefix: such keys cannot be told
    # apart under the old, global constraint.
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("uq_api_keys_tenant_id_prefix", type_="unique")
        batch.create_unique_constraint("uq_api_keys_prefix", ["prefix"])
