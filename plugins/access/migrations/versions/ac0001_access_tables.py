"""access tables: points, grants, credentials, passes, blacklist, records, used codes, settings

Revision ID: ac0001
Revises:
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "ac0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("access",)
depends_on: str | Sequence[str] | None = "e0001"

TABLES = (
    "access_points",
    "access_grants",
    "access_credentials",
    "access_passes",
    "access_blacklist",
    "access_records",
    "access_used_codes",
    "access_settings",
)


def _record(table: str) -> list:
    """id, tenant_id (with its foreign key), created_at, updated_at and the primary key."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=f"pk_{table}"),
    ]


def _fk(table: str, column: str, target: str, ondelete: str | None = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_tenant_id_{column}_{target}",
        ondelete=ondelete,
    )


def _index(table: str, *columns: str, name: str | None = None, unique: bool = False) -> None:
    op.create_index(name or f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def upgrade() -> None:
    t = "access_points"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("floor", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("anti_passback", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_record(t),
        _fk(t, "community_id", "communities"),
        _fk(t, "building_id", "buildings"),
        sa.UniqueConstraint("tenant_id", "community_id", "name", name="uq_access_points_tenant_id_community_id_name"),
        sa.UniqueConstraint("tenant_id", "device_id", name="uq_access_points_tenant_id_device_id"),
        sa.CheckConstraint("kind IN ('gate', 'door', 'lift')", name="ck_access_points_kind_known"),
    )
    _index(t, "tenant_id")
    _index(t, "community_id")

    t = "access_grants"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("valid_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        *_record(t),
        _fk(t, "community_id", "communities"),
        _fk(t, "point_id", "access_points"),
        sa.CheckConstraint("(role IS NULL) <> (account_id IS NULL)", name="ck_access_grants_one_subject"),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute", name="ck_access_grants_window"
        ),
    )
    _index(t, "tenant_id")
    _index(t, "community_id")
    _index(t, "account_id")

    t = "access_credentials"
    create_tenant_table(
        t,
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("lookup_digest", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("reference_enc", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("status_reason", sa.String(length=32), nullable=False),
        *_record(t),
        sa.UniqueConstraint("tenant_id", "lookup_digest", name="uq_access_credentials_tenant_id_lookup_digest"),
        sa.CheckConstraint("kind IN ('card', 'face')", name="ck_access_credentials_kind_known"),
    )
    _index(t, "tenant_id")
    _index(t, "account_id")
    _index(t, "person_id")

    t = "access_passes"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("host_account_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("visitor_name_enc", sa.String(length=500), nullable=False),
        sa.Column("visitor_name_masked", sa.String(length=64), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("valid_from", UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_entries", sa.Integer(), nullable=False),
        sa.Column("entries_used", sa.Integer(), nullable=False),
        sa.Column("point_ids", sa.JSON(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("code_enc", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        *_record(t),
        _fk(t, "community_id", "communities"),
        sa.UniqueConstraint("tenant_id", "code_digest", name="uq_access_passes_tenant_id_code_digest"),
        sa.CheckConstraint("max_entries > 0", name="ck_access_passes_entries_positive"),
        sa.CheckConstraint("valid_from < valid_until", name="ck_access_passes_window"),
    )
    _index(t, "tenant_id")
    _index(t, "community_id")
    _index(t, "tenant_id", "host_account_id", name="ix_access_passes_tenant_host")

    t = "access_blacklist"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("card_digest", sa.String(length=64), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        *_record(t),
        _fk(t, "community_id", "communities"),
    )
    _index(t, "tenant_id")
    _index(t, "account_id")
    _index(t, "card_digest")

    t = "access_records"
    create_tenant_table(
        t,
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("pass_id", sa.Uuid(), nullable=True),
        sa.Column("credential_hint", sa.String(length=16), nullable=False),
        sa.Column("device_event_id", sa.String(length=64), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("platform_reason", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        *_record(t),
        _fk(t, "point_id", "access_points"),
        sa.UniqueConstraint(
            "tenant_id", "point_id", "device_event_id", name="uq_access_records_tenant_id_point_id_device_event_id"
        ),
    )
    _index(t, "tenant_id")
    _index(t, "tenant_id", "account_id", "occurred_at", name="ix_access_records_tenant_account_at")
    _index(t, "tenant_id", "community_id", "occurred_at", name="ix_access_records_tenant_community_at")
    _index(t, "tenant_id", "pass_id", name="ix_access_records_tenant_pass")

    t = "access_used_codes"
    create_tenant_table(
        t,
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        *_record(t),
        _fk(t, "point_id", "access_points"),
        sa.UniqueConstraint(
            "tenant_id", "code_digest", "point_id", name="uq_access_used_codes_tenant_id_code_digest_point_id"
        ),
    )
    _index(t, "tenant_id")

    t = "access_settings"
    create_tenant_table(
        t,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("qr_step_seconds", sa.Integer(), nullable=False),
        sa.Column("qr_key_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_access_settings_tenant_id_tenants", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_access_settings"),
        sa.CheckConstraint("retention_days BETWEEN 1 AND 3650", name="ck_access_settings_retention_range"),
        sa.CheckConstraint("qr_step_seconds BETWEEN 10 AND 300", name="ck_access_settings_step_range"),
    )
    _index(t, "tenant_id")


def downgrade() -> None:
    for table in reversed(TABLES):
        drop_tenant_table(table)
