"""owners and households: co-owners' designated voter, owner claims, residency end dates, natural unit order

Revision ID: e0002
Revises: e0001
Create Date: 2026-12-07 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db.base  # noqa: F401
from kernel.db.rls import enable_tenant_rls

revision: str = 'e0002'
down_revision: str | Sequence[str] | None = 'e0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER_KEY = sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql')


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('tenant_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', kernel.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', kernel.db.base.UTCDateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table('voter_designations',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('designated_by_person_id', sa.Uuid(), nullable=True),
    sa.Column('designated_by', sa.String(length=100), nullable=False),
    *_timestamps(),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['persons.tenant_id', 'persons.id'], name=op.f('fk_voter_designations_tenant_id_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_voter_designations_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_voter_designations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_voter_designations')),
    sa.UniqueConstraint('tenant_id', 'unit_id', name=op.f('uq_voter_designations_tenant_id_unit_id'))
    )
    with op.batch_alter_table('voter_designations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voter_designations_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voter_designations_tenant_id'), ['tenant_id'], unique=False)
    enable_tenant_rls('voter_designations')

    op.create_table('owner_claims',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('route', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('claimant_name', sa.String(length=100), nullable=False),
    sa.Column('phone_enc', sa.String(length=200), nullable=False),
    sa.Column('phone_digest', sa.String(length=64), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', kernel.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', kernel.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    *_timestamps(),
    sa.CheckConstraint("status IN ('pending', 'verified', 'rejected', 'superseded')", name=op.f('ck_owner_claims_status_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_owner_claims_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_owner_claims_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_owner_claims'))
    )
    with op.batch_alter_table('owner_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_claims_phone_digest'), ['phone_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_claims_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_claims_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_owner_claims_tenant_status_created', ['tenant_id', 'status', 'created_at'], unique=False)
    enable_tenant_rls('owner_claims')

    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('added_by_person_id', sa.Uuid(), nullable=True))

    # The natural sort key of unit numbers: added nullable, backfilled in pages, then required.
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_key', NUMBER_KEY, nullable=True))
    _backfill_number_keys()
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('number_key', existing_type=NUMBER_KEY, nullable=False)
        batch_op.create_index('ix_units_tenant_building_number_key', ['tenant_id', 'building_id', 'number_key'], unique=False)


def _backfill_number_keys() -> None:
    from tenants.estate.models import natural_key

    conn = op.get_bind()
    units = sa.table('units', sa.column('id', sa.Uuid()), sa.column('tenant_id', sa.Uuid()), sa.column('number', sa.String()), sa.column('number_key', sa.String()))
    while True:
        rows = conn.execute(sa.select(units.c.id, units.c.tenant_id, units.c.number).where(units.c.number_key.is_(None)).limit(2000)).all()
        if not rows:
            return
        conn.execute(
            units.update().where(units.c.id == sa.bindparam('uid'), units.c.tenant_id == sa.bindparam('tid')).values(number_key=sa.bindparam('key')),
            [{'uid': r.id, 'tid': r.tenant_id, 'key': natural_key(r.number)} for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('ix_units_tenant_building_number_key')
        batch_op.drop_column('number_key')
    with op.batch_alter_table('residencies', schema=None) as batch_op:
        batch_op.drop_column('added_by_person_id')
        batch_op.drop_column('until')
    op.drop_table('owner_claims')
    op.drop_table('voter_designations')
