"""erasure requests and retention periods (issue #14): the tables, and ``privacy:manage`` for every firm's tenant admin

Firms provisioned before this revision get the estate plugin's new grant as a firm provisioned now
gets it (source ``plugin:estate``), with a policy-version bump so every process reloads policies.

Revision ID: e0003
Revises: e0002
Create Date: 2026-12-07 15:00:00
"""
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import SETTING, disable_tenant_rls, enable_tenant_rls

revision: str = 'e0003'
down_revision: str | Sequence[str] | None = 'e0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kernel.db.base.UTCDateTime(timezone=True)
SOURCE = "plugin:estate"
GRANT = ("role:tenant_admin", "privacy", "manage")


def upgrade() -> None:
    op.create_table('erasure_requests',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', UTC, nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'executed', 'rejected')", name=op.f('ck_erasure_requests_status_known')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_erasure_requests_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_erasure_requests')),
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_requests_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_erasure_requests_tenant_status_created', ['tenant_id', 'status', 'created_at'], unique=False)
    enable_tenant_rls('erasure_requests')
    op.create_table('retention_periods',
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_retention_periods_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'category', name=op.f('pk_retention_periods')),
    )
    with op.batch_alter_table('retention_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_periods_tenant_id'), ['tenant_id'], unique=False)
    enable_tenant_rls('retention_periods')
    _each_firm(_grant)


def downgrade() -> None:
    _each_firm(_revoke)
    disable_tenant_rls('retention_periods')
    op.drop_table('retention_periods')
    disable_tenant_rls('erasure_requests')
    op.drop_table('erasure_requests')


_tenants = sa.table("tenants", sa.column("id", sa.Uuid()), sa.column("policy_version", sa.Integer()))
_rules = sa.table(
    "policy_rules", sa.column("id", sa.Uuid()), sa.column("tenant_id", sa.Uuid()), sa.column("ptype", sa.String()),
    sa.column("v0", sa.String()), sa.column("v1", sa.String()), sa.column("v2", sa.String()),
    sa.column("source", sa.String()), sa.column("created_at", UTC),
)


def _mine(tenant_id: Any) -> Any:
    return sa.and_(_rules.c.tenant_id == tenant_id, _rules.c.ptype == "p", _rules.c.v0 == GRANT[0], _rules.c.v1 == GRANT[1], _rules.c.v2 == GRANT[2])


def _grant(bind: Any, tenant_id: Any) -> None:
    if bind.execute(sa.select(_rules.c.id).where(_mine(tenant_id))).first() is None:
        bind.execute(sa.insert(_rules).values(
            id=uuid.uuid4(), tenant_id=tenant_id, ptype="p", v0=GRANT[0], v1=GRANT[1], v2=GRANT[2],
            source=SOURCE, created_at=kernel.db.base.utcnow(),
        ))


def _revoke(bind: Any, tenant_id: Any) -> None:
    bind.execute(sa.delete(_rules).where(_mine(tenant_id), _rules.c.source == SOURCE))


def _each_firm(work: Any) -> None:
    """``work(bind, tenant_id)`` per firm inside its row-level-security scope, then a policy-version bump."""
    bind = op.get_bind()
    for tenant_id in bind.execute(sa.select(_tenants.c.id)).scalars().all():
        if bind.dialect.name == "postgresql":
            bind.execute(sa.select(sa.func.set_config(SETTING, str(tenant_id), True)))
        work(bind, tenant_id)
        bind.execute(sa.update(_tenants).where(_tenants.c.id == tenant_id).values(policy_version=_tenants.c.policy_version + 1))
