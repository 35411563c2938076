"""notices tables

Revision ID: n0001
Revises:
Create Date: 2026-11-21 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, disable_tenant_rls, enable_tenant_rls

revision: str = 'n0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('notices',)
depends_on: str | Sequence[str] | None = 'e0001'

TABLES = ('notices', 'notice_receipts')


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('building_id', sa.Uuid(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('public_disclosure', sa.Boolean(), nullable=False),
    sa.Column('display_days', sa.Integer(), nullable=True),
    sa.Column('published_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('display_until', UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("scope IN ('community', 'building', 'unit')", name=op.f('ck_notices_scope_known')),
    sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name=op.f('ck_notices_status_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'building_id'], ['buildings.tenant_id', 'buildings.id'], name=op.f('fk_notices_tenant_id_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_notices_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_notices_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_notices_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_notices'))
    )
    op.create_table('notice_receipts',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'notice_id'], ['notices.tenant_id', 'notices.id'], name=op.f('fk_notice_receipts_tenant_id_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_notice_receipts_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_notice_receipts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_notice_receipts')),
    sa.UniqueConstraint('tenant_id', 'notice_id', 'unit_id', name=op.f('uq_notice_receipts_tenant_id_notice_id_unit_id'))
    )
    op.create_index('ix_notices_tenant_community_status', 'notices', ['tenant_id', 'community_id', 'status'], unique=False)
    op.create_index('ix_notices_tenant_building', 'notices', ['tenant_id', 'building_id'], unique=False)
    op.create_index('ix_notices_tenant_unit', 'notices', ['tenant_id', 'unit_id'], unique=False)
    op.create_index(op.f('ix_notices_tenant_id'), 'notices', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_notice_receipts_notice_id'), 'notice_receipts', ['notice_id'], unique=False)
    op.create_index(op.f('ix_notice_receipts_tenant_id'), 'notice_receipts', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_notice_receipts_unit_id'), 'notice_receipts', ['unit_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
