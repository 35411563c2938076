"""funds tables

Revision ID: mf0001
Revises:
Create Date: 2026-11-21 22:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, disable_tenant_rls, enable_tenant_rls

revision: str = 'mf0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('funds',)
depends_on: str | Sequence[str] | None = 'e0001'

TABLES = (
    'fund_accounts', 'fund_sub_ledgers', 'fund_disbursements', 'fund_entries', 'fund_disbursement_shares',
    'fund_revenue_receipts', 'fund_reconciliations',
)


def upgrade() -> None:
    op.create_table('fund_accounts',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('fund_balance', sa.BigInteger(), nullable=False),
    sa.Column('sub_ledger_total', sa.BigInteger(), nullable=False),
    sa.Column('unallocated', sa.BigInteger(), nullable=False),
    sa.Column('welfare_balance', sa.BigInteger(), nullable=False),
    sa.Column('revenue_received', sa.BigInteger(), nullable=False),
    sa.Column('revenue_fund_bps', sa.Integer(), nullable=False),
    sa.Column('ratio_proposal_id', sa.Uuid(), nullable=True),
    sa.Column('allocation_rounds', sa.Integer(), nullable=False),
    sa.Column('emergency_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('revenue_fund_bps BETWEEN 0 AND 10000', name=op.f('ck_fund_accounts_ratio_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_accounts_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_accounts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_accounts')),
    sa.UniqueConstraint('tenant_id', 'community_id', name=op.f('uq_fund_accounts_tenant_id_community_id'))
    )
    op.create_table('fund_sub_ledgers',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('chain_unit_id', sa.Integer(), nullable=False),
    sa.Column('holder_key', sa.String(length=200), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('first_deposit', sa.BigInteger(), nullable=False),
    sa.Column('top_up_required', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_fund_sub_ledgers_balance_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_sub_ledgers_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_fund_sub_ledgers_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_sub_ledgers_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_sub_ledgers')),
    sa.UniqueConstraint('tenant_id', 'community_id', 'chain_unit_id', name=op.f('uq_fund_sub_ledgers_tenant_id_community_id_chain_unit_id')),
    sa.UniqueConstraint('tenant_id', 'unit_id', name=op.f('uq_fund_sub_ledgers_tenant_id_unit_id'))
    )
    op.create_table('fund_disbursements',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=False),
    sa.Column('payee_hash', sa.String(length=66), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=True),
    sa.Column('chain_proposal_id', sa.String(length=80), nullable=True),
    sa.Column('disclosure', sa.Text(), nullable=True),
    sa.Column('disclosure_hash', sa.String(length=66), nullable=True),
    sa.Column('emergency_no', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('executed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('voted', 'emergency')", name=op.f('ck_fund_disbursements_kind_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fund_disbursements_amount_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_disbursements_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_disbursements_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_disbursements'))
    )
    op.create_table('fund_entries',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('reference_hash', sa.String(length=66), nullable=False),
    sa.Column('disbursement_id', sa.Uuid(), nullable=True),
    sa.Column('intent', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_fund_entries_amount_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_entries_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'disbursement_id'], ['fund_disbursements.tenant_id', 'fund_disbursements.id'], name=op.f('fk_fund_entries_tenant_id_disbursement_id_fund_disbursements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_fund_entries_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_entries_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_entries'))
    )
    op.create_table('fund_disbursement_shares',
    sa.Column('disbursement_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('chain_unit_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Integer(), nullable=False),
    sa.Column('share', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'disbursement_id'], ['fund_disbursements.tenant_id', 'fund_disbursements.id'], name=op.f('fk_fund_disbursement_shares_tenant_id_disbursement_id_fund_disbursements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_fund_disbursement_shares_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_disbursement_shares_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_disbursement_shares')),
    sa.UniqueConstraint('tenant_id', 'disbursement_id', 'unit_id', name=op.f('uq_fund_disbursement_shares_tenant_id_disbursement_id_unit_id'))
    )
    op.create_table('fund_revenue_receipts',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('to_fund', sa.BigInteger(), nullable=False),
    sa.Column('to_welfare', sa.BigInteger(), nullable=False),
    sa.Column('fund_bps', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.String(length=200), nullable=False),
    sa.Column('source_ref_hash', sa.String(length=66), nullable=False),
    sa.Column('received_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fund_revenue_receipts_amount_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_revenue_receipts_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_revenue_receipts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_revenue_receipts'))
    )
    op.create_table('fund_reconciliations',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('ran_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('mismatches', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_fund_reconciliations_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fund_reconciliations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_fund_reconciliations'))
    )
    op.create_index(op.f('ix_fund_accounts_tenant_id'), 'fund_accounts', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_fund_sub_ledgers_community_id'), 'fund_sub_ledgers', ['community_id'], unique=False)
    op.create_index(op.f('ix_fund_sub_ledgers_tenant_id'), 'fund_sub_ledgers', ['tenant_id'], unique=False)
    op.create_index('ix_fund_disbursements_tenant_community', 'fund_disbursements', ['tenant_id', 'community_id'], unique=False)
    op.create_index(op.f('ix_fund_disbursements_tenant_id'), 'fund_disbursements', ['tenant_id'], unique=False)
    op.create_index('ix_fund_disbursements_tenant_proposal', 'fund_disbursements', ['tenant_id', 'proposal_id'], unique=False)
    op.create_index('ix_fund_entries_tenant_community_created', 'fund_entries', ['tenant_id', 'community_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_fund_entries_tenant_id'), 'fund_entries', ['tenant_id'], unique=False)
    op.create_index('ix_fund_entries_tenant_unit_created', 'fund_entries', ['tenant_id', 'unit_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_fund_disbursement_shares_disbursement_id'), 'fund_disbursement_shares', ['disbursement_id'], unique=False)
    op.create_index(op.f('ix_fund_disbursement_shares_tenant_id'), 'fund_disbursement_shares', ['tenant_id'], unique=False)
    op.create_index('ix_fund_revenue_receipts_tenant_community', 'fund_revenue_receipts', ['tenant_id', 'community_id'], unique=False)
    op.create_index(op.f('ix_fund_revenue_receipts_tenant_id'), 'fund_revenue_receipts', ['tenant_id'], unique=False)
    op.create_index('ix_fund_reconciliations_tenant_community', 'fund_reconciliations', ['tenant_id', 'community_id'], unique=False)
    op.create_index(op.f('ix_fund_reconciliations_tenant_id'), 'fund_reconciliations', ['tenant_id'], unique=False)
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
