"""parking tables: lots, spaces, lanes, plates, passes, visitor plates, sessions, gate reads,
share windows and bookings, charging piles and sessions (every table a tenant table with RLS,
created in the order a Citus cluster accepts)

Revision ID: pk0001
Revises:
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "pk0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("parking",)
depends_on: str | Sequence[str] | None = ("e0001", "k0002")


def upgrade() -> None:
    create_tenant_table('parking_lots',
    sa.Column('community_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('free_minutes', sa.Integer(), nullable=False),
    sa.Column('hourly_fen', sa.BigInteger(), nullable=False),
    sa.Column('night_hourly_fen', sa.BigInteger(), nullable=False),
    sa.Column('night_start', sa.Integer(), nullable=False),
    sa.Column('night_end', sa.Integer(), nullable=False),
    sa.Column('daily_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('no_entry_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_parking_lots_capacity_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'community_id'], ['communities.tenant_id', 'communities.id'], name=op.f('fk_parking_lots_tenant_id_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_lots_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_lots')),
    sa.UniqueConstraint('tenant_id', 'community_id', 'name', name=op.f('uq_parking_lots_tenant_id_community_id_name'))
    )
    op.create_index(op.f('ix_parking_lots_community_id'), 'parking_lots', ['community_id'], unique=False)
    op.create_index(op.f('ix_parking_lots_tenant_id'), 'parking_lots', ['tenant_id'], unique=False)
    create_tenant_table('parking_spaces',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('owned', 'leased', 'visitor', 'shared')", name=op.f('ck_parking_spaces_kind_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_spaces_tenant_id_lot_id_parking_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_parking_spaces_tenant_id_unit_id_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_spaces_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_spaces')),
    sa.UniqueConstraint('tenant_id', 'lot_id', 'code', name=op.f('uq_parking_spaces_tenant_id_lot_id_code'))
    )
    op.create_index(op.f('ix_parking_spaces_lot_id'), 'parking_spaces', ['lot_id'], unique=False)
    op.create_index(op.f('ix_parking_spaces_tenant_id'), 'parking_spaces', ['tenant_id'], unique=False)
    create_tenant_table('parking_gates',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("direction IN ('entry', 'exit')", name=op.f('ck_parking_gates_direction_known')),
    sa.ForeignKeyConstraint(['tenant_id', 'device_id'], ['devices.tenant_id', 'devices.id'], name=op.f('fk_parking_gates_tenant_id_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_gates_tenant_id_lot_id_parking_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_gates_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_gates')),
    sa.UniqueConstraint('tenant_id', 'device_id', name=op.f('uq_parking_gates_tenant_id_device_id'))
    )
    op.create_index(op.f('ix_parking_gates_lot_id'), 'parking_gates', ['lot_id'], unique=False)
    op.create_index(op.f('ix_parking_gates_tenant_id'), 'parking_gates', ['tenant_id'], unique=False)
    create_tenant_table('parking_policies',
    sa.Column('plates_per_unit', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_policies_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_parking_policies'))
    )
    op.create_index(op.f('ix_parking_policies_tenant_id'), 'parking_policies', ['tenant_id'], unique=False)
    create_tenant_table('parking_vehicles',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('plate_digest', sa.String(length=64), nullable=False),
    sa.Column('plate_enc', sa.String(length=200), nullable=False),
    sa.Column('plate_masked', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_parking_vehicles_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_vehicles_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_vehicles')),
    sa.UniqueConstraint('tenant_id', 'plate_digest', name=op.f('uq_parking_vehicles_tenant_id_plate_digest')),
    sa.UniqueConstraint('tenant_id', 'unit_id', 'slot', name=op.f('uq_parking_vehicles_tenant_id_unit_id_slot'))
    )
    op.create_index(op.f('ix_parking_vehicles_tenant_id'), 'parking_vehicles', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_parking_vehicles_unit_id'), 'parking_vehicles', ['unit_id'], unique=False)
    create_tenant_table('parking_passes',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('vehicle_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('plate_digest', sa.String(length=64), nullable=False),
    sa.Column('valid_from', UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', UTCDateTime(timezone=True), nullable=False),
    sa.Column('monthly_fen', sa.BigInteger(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('monthly_fen >= 0', name=op.f('ck_parking_passes_price_not_negative')),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_parking_passes_window_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_passes_tenant_id_lot_id_parking_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'vehicle_id'], ['parking_vehicles.tenant_id', 'parking_vehicles.id'], name=op.f('fk_parking_passes_tenant_id_vehicle_id_parking_vehicles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_passes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_passes'))
    )
    op.create_index('ix_parking_passes_lookup', 'parking_passes', ['tenant_id', 'lot_id', 'plate_digest'], unique=False)
    op.create_index(op.f('ix_parking_passes_lot_id'), 'parking_passes', ['lot_id'], unique=False)
    op.create_index(op.f('ix_parking_passes_tenant_id'), 'parking_passes', ['tenant_id'], unique=False)
    create_tenant_table('parking_visitor_plates',
    sa.Column('pass_id', sa.Uuid(), nullable=False),
    sa.Column('community_id', sa.Uuid(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('plate_digest', sa.String(length=64), nullable=False),
    sa.Column('plate_enc', sa.String(length=200), nullable=False),
    sa.Column('plate_masked', sa.String(length=16), nullable=False),
    sa.Column('valid_from', UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_visitor_plates_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_visitor_plates')),
    sa.UniqueConstraint('tenant_id', 'pass_id', name=op.f('uq_parking_visitor_plates_tenant_id_pass_id'))
    )
    op.create_index('ix_parking_visitor_plates_lookup', 'parking_visitor_plates', ['tenant_id', 'plate_digest'], unique=False)
    op.create_index(op.f('ix_parking_visitor_plates_tenant_id'), 'parking_visitor_plates', ['tenant_id'], unique=False)
    create_tenant_table('parking_sessions',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('plate_digest', sa.String(length=64), nullable=False),
    sa.Column('plate_enc', sa.String(length=200), nullable=False),
    sa.Column('plate_masked', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('entry_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('exit_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('exit_device_id', sa.Uuid(), nullable=True),
    sa.Column('entry_missing', sa.Boolean(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('settlement', sa.String(length=8), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('payment_reference', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_sessions_tenant_id_lot_id_parking_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_sessions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_sessions'))
    )
    op.create_index('ix_parking_sessions_billing', 'parking_sessions', ['tenant_id', 'settlement', 'exit_at'], unique=False)
    op.create_index(op.f('ix_parking_sessions_lot_id'), 'parking_sessions', ['lot_id'], unique=False)
    op.create_index('ix_parking_sessions_recent', 'parking_sessions', ['tenant_id', 'lot_id', 'plate_digest', 'exit_at'], unique=False)
    op.create_index(op.f('ix_parking_sessions_tenant_id'), 'parking_sessions', ['tenant_id'], unique=False)
    op.create_index('uq_parking_sessions_open_plate', 'parking_sessions', ['tenant_id', 'lot_id', 'plate_digest'], unique=True, sqlite_where=sa.text('exit_at IS NULL'), postgresql_where=sa.text('exit_at IS NULL'))
    create_tenant_table('parking_gate_events',
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('plate_masked', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_gate_events_tenant_id_lot_id_parking_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_gate_events_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_gate_events')),
    sa.UniqueConstraint('tenant_id', 'device_id', 'ts', name=op.f('uq_parking_gate_events_tenant_id_device_id_ts'))
    )
    op.create_index(op.f('ix_parking_gate_events_lot_id'), 'parking_gate_events', ['lot_id'], unique=False)
    op.create_index(op.f('ix_parking_gate_events_tenant_id'), 'parking_gate_events', ['tenant_id'], unique=False)
    create_tenant_table('parking_share_windows',
    sa.Column('space_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_parking_share_windows_window_positive')),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_parking_share_windows_price_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'space_id'], ['parking_spaces.tenant_id', 'parking_spaces.id'], name=op.f('fk_parking_share_windows_tenant_id_space_id_parking_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_share_windows_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_share_windows'))
    )
    op.create_index(op.f('ix_parking_share_windows_space_id'), 'parking_share_windows', ['space_id'], unique=False)
    op.create_index(op.f('ix_parking_share_windows_tenant_id'), 'parking_share_windows', ['tenant_id'], unique=False)
    create_tenant_table('parking_bookings',
    sa.Column('space_id', sa.Uuid(), nullable=False),
    sa.Column('window_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('starts_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_parking_bookings_booking_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'space_id'], ['parking_spaces.tenant_id', 'parking_spaces.id'], name=op.f('fk_parking_bookings_tenant_id_space_id_parking_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'unit_id'], ['units.tenant_id', 'units.id'], name=op.f('fk_parking_bookings_tenant_id_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'window_id'], ['parking_share_windows.tenant_id', 'parking_share_windows.id'], name=op.f('fk_parking_bookings_tenant_id_window_id_parking_share_windows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_bookings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_bookings'))
    )
    op.create_index('ix_parking_bookings_space_time', 'parking_bookings', ['tenant_id', 'space_id', 'starts_at'], unique=False)
    op.create_index(op.f('ix_parking_bookings_tenant_id'), 'parking_bookings', ['tenant_id'], unique=False)
    create_tenant_table('parking_piles',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Uuid(), nullable=True),
    sa.Column('price_per_kwh_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_per_kwh_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('price_per_kwh_fen >= 0 AND service_per_kwh_fen >= 0', name=op.f('ck_parking_piles_prices_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'device_id'], ['devices.tenant_id', 'devices.id'], name=op.f('fk_parking_piles_tenant_id_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'lot_id'], ['parking_lots.tenant_id', 'parking_lots.id'], name=op.f('fk_parking_piles_tenant_id_lot_id_parking_lots')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_piles_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_piles')),
    sa.UniqueConstraint('tenant_id', 'device_id', name=op.f('uq_parking_piles_tenant_id_device_id'))
    )
    op.create_index(op.f('ix_parking_piles_tenant_id'), 'parking_piles', ['tenant_id'], unique=False)
    create_tenant_table('parking_charges',
    sa.Column('pile_id', sa.Uuid(), nullable=False),
    sa.Column('charger_ref', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('energy_wh', sa.BigInteger(), nullable=False),
    sa.Column('energy_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_fen', sa.BigInteger(), nullable=False),
    sa.Column('plate_masked', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'pile_id'], ['parking_piles.tenant_id', 'parking_piles.id'], name=op.f('fk_parking_charges_tenant_id_pile_id_parking_piles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_parking_charges_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'tenant_id', name=op.f('pk_parking_charges')),
    sa.UniqueConstraint('tenant_id', 'pile_id', 'charger_ref', name=op.f('uq_parking_charges_tenant_id_pile_id_charger_ref'))
    )
    op.create_index('ix_parking_charges_billing', 'parking_charges', ['tenant_id', 'status', 'stopped_at'], unique=False)
    op.create_index(op.f('ix_parking_charges_pile_id'), 'parking_charges', ['pile_id'], unique=False)
    op.create_index(op.f('ix_parking_charges_tenant_id'), 'parking_charges', ['tenant_id'], unique=False)


def downgrade() -> None:
    drop_tenant_table('parking_charges')
    drop_tenant_table('parking_piles')
    drop_tenant_table('parking_bookings')
    drop_tenant_table('parking_share_windows')
    drop_tenant_table('parking_gate_events')
    drop_tenant_table('parking_sessions')
    drop_tenant_table('parking_visitor_plates')
    drop_tenant_table('parking_passes')
    drop_tenant_table('parking_vehicles')
    drop_tenant_table('parking_policies')
    drop_tenant_table('parking_gates')
    drop_tenant_table('parking_spaces')
    drop_tenant_table('parking_lots')
