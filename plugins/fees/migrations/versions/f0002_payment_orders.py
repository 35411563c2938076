"""fees: online payment — the provider's settings and payment orders

Revision ID: f0002
Revises: f0001
Create Date: 2026-12-07 22:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, enable_tenant_rls

revision: str = 'f0002'
down_revision: str | Sequence[str] | None = 'f0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fee_provider_settings',
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('checkout_url', sa.String(length=500), nullable=False),
    sa.Column('merchant_id', sa.String(length=64), nullable=False),
    sa.Column('order_ttl_minutes', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fee_provider_settings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_fee_provider_settings'))
    )
    with op.batch_alter_table('fee_provider_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_provider_settings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fee_payment_orders',
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('receipt_no', sa.String(length=32), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fee_payment_orders_order_amount_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'bill_id'], ['fee_bills.tenant_id', 'fee_bills.id'], name=op.f('fk_fee_payment_orders_tenant_id_bill_id_fee_bills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fee_payment_orders_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fee_payment_orders')),
    sa.UniqueConstraint('tenant_id', 'out_trade_no', name=op.f('uq_fee_payment_orders_tenant_id_out_trade_no'))
    )
    with op.batch_alter_table('fee_payment_orders', schema=None) as batch_op:
        batch_op.create_index('ix_fee_payment_orders_bill_status', ['tenant_id', 'bill_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_payment_orders_tenant_id'), ['tenant_id'], unique=False)

    enable_tenant_rls('fee_provider_settings')
    enable_tenant_rls('fee_payment_orders')


def downgrade() -> None:
    with op.batch_alter_table('fee_payment_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_payment_orders_tenant_id'))
        batch_op.drop_index('ix_fee_payment_orders_bill_status')
    op.drop_table('fee_payment_orders')
    with op.batch_alter_table('fee_provider_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_provider_settings_tenant_id'))
    op.drop_table('fee_provider_settings')
