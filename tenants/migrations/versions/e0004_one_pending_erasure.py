"""at most one pending erasure request per person (issue #14): partial unique indexes; requests
for a register person without a login (``person_id``, ``account_id`` now nullable), which staff
make on their behalf

Duplicates already pending (five taps at once made five) are closed first: the oldest stays
pending, the others are rejected with a reason saying they duplicate it (the rows are kept under
the table's legal hold).

Revision ID: e0004
Revises: e0003
Create Date: 2026-12-07 18:00:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import SETTING

revision: str = 'e0004'
down_revision: str | Sequence[str] | None = 'e0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kernel.db.base.UTCDateTime(timezone=True)
INDEX = "uq_erasure_requests_one_pending"
PERSON_INDEX = "uq_erasure_requests_one_pending_person"
DUPLICATE = "a duplicate of an earlier pending request of the same person (closed by migration e0004)"

_requests = sa.table(
    "erasure_requests", sa.column("id", sa.Uuid()), sa.column("tenant_id", sa.Uuid()), sa.column("account_id", sa.Uuid()),
    sa.column("status", sa.String()), sa.column("reason", sa.String()), sa.column("decided_by", sa.String()),
    sa.column("decided_at", UTC), sa.column("created_at", UTC),
)
_tenants = sa.table("tenants", sa.column("id", sa.Uuid()))


def upgrade() -> None:
    bind = op.get_bind()
    for tenant_id in bind.execute(sa.select(_tenants.c.id)).scalars().all():
        if bind.dialect.name == "postgresql":  # inside the firm's row-level-security scope
            bind.execute(sa.select(sa.func.set_config(SETTING, str(tenant_id), True)))
        _close_duplicates(bind, tenant_id)
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('account_id', existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(
            INDEX, ['tenant_id', 'account_id'], unique=True,
            sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            PERSON_INDEX, ['tenant_id', 'person_id'], unique=True,
            sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(PERSON_INDEX)
        batch_op.drop_index(INDEX)
    # requests of persons without a login cannot be kept without their column
    op.execute(sa.delete(_requests).where(_requests.c.account_id.is_(None)))
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column('person_id')


def _close_duplicates(bind: Any, tenant_id: Any) -> None:
    rows = bind.execute(
        sa.select(_requests.c.id, _requests.c.account_id)
        .where(_requests.c.tenant_id == tenant_id, _requests.c.status == "pending")
        .order_by(_requests.c.account_id, _requests.c.created_at, _requests.c.id)
    ).all()
    seen: set[Any] = set()
    for request_id, account_id in rows:
        if account_id not in seen:
            seen.add(account_id)  # the oldest stays pending
            continue
        bind.execute(
            sa.update(_requests).where(_requests.c.tenant_id == tenant_id, _requests.c.id == request_id)
            .values(status="rejected", reason=DUPLICATE, decided_by="migration e0004", decided_at=kernel.db.base.utcnow())
        )
