"""care tables

Revision ID: care0001
Revises:
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "care0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("care",)
depends_on: str | Sequence[str] | None = ("e0001", "k0002")

TABLES = (
    "care_alerts",
    "care_services",
    "care_check_ins",
    "care_activities",
    "care_devices",
    "care_contacts",
    "care_recipients",
)


def _record() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
    ]


def _keys(table: str) -> list[Any]:
    return [
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=f"pk_{table}"),
    ]


def _to(table: str, column: str, target: str, ondelete: str | None = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_tenant_id_{column}_{target}",
        ondelete=ondelete,
    )


def _recipient(table: str) -> list[Any]:
    return [sa.Column("recipient_id", sa.Uuid(), nullable=False), _to(table, "recipient_id", "care_recipients")]


def upgrade() -> None:
    t = "care_recipients"
    create_tenant_table(
        t,
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("lives_alone", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("monitoring_since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("health_notes_enc", sa.Text(), nullable=True),
        sa.Column("check_in_by_minute", sa.Integer(), nullable=False),
        sa.Column("margin_percent", sa.Integer(), nullable=False),
        sa.Column("fallback_hours", sa.Integer(), nullable=False),
        sa.Column("ack_within_seconds", sa.Integer(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=80), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "person_id", "persons"),
        _to(t, "community_id", "communities"),
        _to(t, "unit_id", "units", ondelete=None),
        sa.UniqueConstraint("tenant_id", "person_id", name=f"uq_{t}_tenant_id_person_id"),
        sa.CheckConstraint("margin_percent BETWEEN 0 AND 500", name=f"ck_{t}_margin_range"),
        sa.CheckConstraint("fallback_hours BETWEEN 1 AND 72", name=f"ck_{t}_fallback_range"),
        sa.CheckConstraint("check_in_by_minute BETWEEN 0 AND 1439", name=f"ck_{t}_check_in_range"),
        sa.CheckConstraint("ack_within_seconds BETWEEN 30 AND 3600", name=f"ck_{t}_ack_range"),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index(f"ix_{t}_person_id", t, ["person_id"])
    op.create_index(f"ix_{t}_community_id", t, ["community_id"])

    t = "care_contacts"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("contact_enc", sa.Text(), nullable=False),
        sa.Column("contact_masked", sa.String(length=40), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        *_record(),
        *_keys(t),
        sa.UniqueConstraint("tenant_id", "recipient_id", "priority", name=f"uq_{t}_tenant_id_recipient_id_priority"),
        sa.CheckConstraint("priority BETWEEN 1 AND 9", name=f"ck_{t}_priority_range"),
    )
    for column in ("tenant_id", "recipient_id", "invitation_id", "account_id"):
        op.create_index(f"ix_{t}_{column}", t, [column])

    t = "care_devices"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "device_id", "devices"),
        sa.UniqueConstraint("tenant_id", "device_id", name=f"uq_{t}_tenant_id_device_id"),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index(f"ix_{t}_recipient_id", t, ["recipient_id"])

    t = "care_activities"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        *_record(),
        *_keys(t),
        sa.UniqueConstraint("tenant_id", "recipient_id", "source", "at", name=f"uq_{t}_tenant_id_recipient_id_source_at"),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index("ix_care_activities_recipient_at", t, ["tenant_id", "recipient_id", "at"])

    t = "care_check_ins"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        *_record(),
        *_keys(t),
        sa.UniqueConstraint("tenant_id", "recipient_id", "day", name=f"uq_{t}_tenant_id_recipient_id_day"),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index(f"ix_{t}_recipient_id", t, ["recipient_id"])

    t = "care_services"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(timezone=True), nullable=False),
        sa.Column("provider_account_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("note_enc", sa.Text(), nullable=True),
        *_record(),
        *_keys(t),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index(f"ix_{t}_recipient_id", t, ["recipient_id"])

    t = "care_alerts"
    create_tenant_table(
        t,
        *_recipient(t),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=80), nullable=True),
        sa.Column("arrived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrived_by", sa.String(length=80), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("resolution_enc", sa.Text(), nullable=True),
        sa.Column("escalation_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        *_record(),
        *_keys(t),
        sa.UniqueConstraint("tenant_id", "recipient_id", "kind", "source_ref", name=f"uq_{t}_tenant_id_recipient_id_kind_source_ref"),
    )
    op.create_index(f"ix_{t}_tenant_id", t, ["tenant_id"])
    op.create_index(f"ix_{t}_recipient_id", t, ["recipient_id"])
    op.create_index("ix_care_alerts_community_raised", t, ["tenant_id", "community_id", "raised_at"])


def downgrade() -> None:
    for table in TABLES:
        drop_tenant_table(table)
