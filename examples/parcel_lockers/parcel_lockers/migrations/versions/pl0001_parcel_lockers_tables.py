"""parcel lockers tables

Revision ID: pl0001
Revises:
Create Date: 2026-12-07 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, disable_tenant_rls, enable_tenant_rls

revision: str = 'pl0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('parcel_lockers',)
depends_on: str | Sequence[str] | None = ('e0001', 'k0002')

TABLES = ('parcel_lockers_parcels',)


def upgrade() -> None:
    op.create_table('parcel_lockers_parcels',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('compartment', sa.String(length=16), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=False),
    sa.Column('deposit_ts', sa.BigInteger(), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('code_enc', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('deposited_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('collected_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('collected_by', sa.String(length=100), nullable=False),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('last_reminded_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'collected')", name=op.f('ck_parcel_lockers_parcels_status_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'device_id'], ['devices.tenant_id', 'devices.id'], name=op.f('fk_parcel_lockers_parcels_tenant_id_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_parcel_lockers_parcels_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parcel_lockers_parcels_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parcel_lockers_parcels')),
    sa.UniqueConstraint('tenant_id', 'device_id', 'deposit_ts', name=op.f('uq_parcel_lockers_parcels_tenant_id_device_id_deposit_ts'))
    )
    op.create_index('ix_parcel_lockers_parcels_tenant_status', 'parcel_lockers_parcels', ['tenant_id', 'status', 'deposited_at'], unique=False)
    op.create_index('ix_parcel_lockers_parcels_tenant_code', 'parcel_lockers_parcels', ['tenant_id', 'code_digest'], unique=False)
    op.create_index('ix_parcel_lockers_parcels_tenant_unit', 'parcel_lockers_parcels', ['tenant_id', 'unit_id'], unique=False)
    op.create_index(op.f('ix_parcel_lockers_parcels_tenant_id'), 'parcel_lockers_parcels', ['tenant_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
