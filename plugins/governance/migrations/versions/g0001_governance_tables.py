"""governance tables: proposals, documents, votes, objections, filings (RLS on each)

Revision ID: g0001
Revises: 
Create Date: 2026-11-21 21:50:34.519582
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, disable_tenant_rls, enable_tenant_rls

revision: str = 'g0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('governance',)
depends_on: str | Sequence[str] | None = 'e0001'

TABLES = ('gov_proposals', 'gov_documents', 'gov_filings', 'gov_objections', 'gov_votes')


def upgrade() -> None:
    op.create_table('gov_proposals',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('matter', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('building_ids', sa.JSON(), nullable=False),
    sa.Column('voting_starts_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('voting_ends_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('objection_days', sa.Integer(), nullable=False),
    sa.Column('objection_ends_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('estimated_cost_fen', sa.BigInteger(), nullable=True),
    sa.Column('published_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_persons', sa.Integer(), nullable=False),
    sa.Column('total_area', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=66), nullable=False),
    sa.Column('chain_scope', sa.Integer(), nullable=True),
    sa.Column('chain_proposal_id', sa.String(length=78), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('filed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'published', 'voting', 'preliminary', 'objection', 'final', 'defeated', 'defeated_no_quorum', 'executed', 'cancelled')", name=op.f('ck_gov_proposals_status_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_gov_proposals_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gov_proposals_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_gov_proposals'))
    )
    with op.batch_alter_table('gov_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_gov_proposals_tenant_community_created', ['tenant_id', 'community_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_proposals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('gov_documents',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'proposal_id'], ['gov_proposals.tenant_id', 'gov_proposals.id'], name=op.f('fk_gov_documents_tenant_id_proposal_id_gov_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gov_documents_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_gov_documents'))
    )
    with op.batch_alter_table('gov_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_documents_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_documents_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('gov_filings',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('filed_by', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'proposal_id'], ['gov_proposals.tenant_id', 'gov_proposals.id'], name=op.f('fk_gov_filings_tenant_id_proposal_id_gov_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gov_filings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_gov_filings')),
    sa.UniqueConstraint('tenant_id', 'proposal_id', name=op.f('uq_gov_filings_tenant_id_proposal_id'))
    )
    with op.batch_alter_table('gov_filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_filings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('gov_objections',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'proposal_id'], ['gov_proposals.tenant_id', 'gov_proposals.id'], name=op.f('fk_gov_objections_tenant_id_proposal_id_gov_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gov_objections_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_gov_objections'))
    )
    with op.batch_alter_table('gov_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_objections_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_objections_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('gov_votes',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('holder_key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('voter_address', sa.String(length=42), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=200), nullable=False),
    sa.Column('self_signed', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'proposal_id'], ['gov_proposals.tenant_id', 'gov_proposals.id'], name=op.f('fk_gov_votes_tenant_id_proposal_id_gov_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gov_votes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_gov_votes')),
    sa.UniqueConstraint('tenant_id', 'proposal_id', 'holder_key', name=op.f('uq_gov_votes_tenant_id_proposal_id_holder_key'))
    )
    with op.batch_alter_table('gov_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_votes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_votes_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_votes_tenant_id'), ['tenant_id'], unique=False)

    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
