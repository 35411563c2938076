"""safety tables: alarms and per-type rule settings

Revision ID: sa0001
Revises:
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "sa0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("safety",)
depends_on: str | Sequence[str] | None = "e0001"


def _record_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    create_tenant_table(
        "safety_alarms",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("device_alarm_id", sa.Uuid(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("floor_from", sa.Integer(), nullable=True),
        sa.Column("floor_to", sa.Integer(), nullable=True),
        sa.Column("clip_ref", sa.String(length=256), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=80), nullable=True),
        sa.Column("arrived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrived_by", sa.String(length=80), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("false_alarm", sa.Boolean(), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("work_order_ref", sa.String(length=80), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("command_call_id", sa.Uuid(), nullable=True),
        sa.Column("escalation_id", sa.Uuid(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("regulator_alerted", sa.Boolean(), nullable=False),
        *_record_columns(),
        sa.CheckConstraint(
            "floor_from IS NULL OR floor_to IS NULL OR floor_from <= floor_to",
            name=op.f("ck_safety_alarms_floor_range"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "community_id"],
            ["communities.tenant_id", "communities.id"],
            name=op.f("fk_safety_alarms_tenant_id_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_alarms_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_safety_alarms")),
        sa.UniqueConstraint("tenant_id", "dedupe_key", name=op.f("uq_safety_alarms_tenant_id_dedupe_key")),
    )
    op.create_index("ix_safety_alarms_tenant_status", "safety_alarms", ["tenant_id", "status"])
    op.create_index(
        "ix_safety_alarms_tenant_community_raised", "safety_alarms", ["tenant_id", "community_id", "raised_at"]
    )
    op.create_index(op.f("ix_safety_alarms_tenant_id"), "safety_alarms", ["tenant_id"])
    op.create_index(op.f("ix_safety_alarms_device_id"), "safety_alarms", ["device_id"])
    op.create_index(op.f("ix_safety_alarms_device_alarm_id"), "safety_alarms", ["device_alarm_id"])

    create_tenant_table(
        "safety_rule_settings",
        sa.Column("alarm_type", sa.String(length=32), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("ack_within_seconds", sa.Integer(), nullable=True),
        *_record_columns(),
        sa.CheckConstraint(
            "ack_within_seconds IS NULL OR ack_within_seconds > 0",
            name=op.f("ck_safety_rule_settings_ack_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "community_id"],
            ["communities.tenant_id", "communities.id"],
            name=op.f("fk_safety_rule_settings_tenant_id_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_rule_settings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_safety_rule_settings")),
        sa.UniqueConstraint(
            "tenant_id", "alarm_type", "community_id",
            name=op.f("uq_safety_rule_settings_tenant_id_alarm_type_community_id"),
        ),
    )
    op.create_index(op.f("ix_safety_rule_settings_tenant_id"), "safety_rule_settings", ["tenant_id"])


def downgrade() -> None:
    drop_tenant_table("safety_rule_settings")
    drop_tenant_table("safety_alarms")
