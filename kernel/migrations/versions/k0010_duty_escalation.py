"""duty roster (duty_shifts), escalation policies and escalations. RLS on each.

Revision ID: k0010
Revises: k0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = ("duty_shifts", "escalation_policies", "escalations")

revision: str = "k0010"
down_revision: str | Sequence[str] | None = "k0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kernel.db.base.UTCDateTime(timezone=True)


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        *_tenant("duty_shifts"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_duty_shifts"),
    )
    op.create_index("ix_duty_shifts_tenant_id", "duty_shifts", ["tenant_id"])
    op.create_index("ix_duty_shifts_level", "duty_shifts", ["tenant_id", "level"])

    op.create_table(
        "escalation_policies",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("ack_within_seconds", sa.Integer(), nullable=False),
        *_tenant("escalation_policies"),
        sa.PrimaryKeyConstraint("tenant_id", "source", "severity", name="pk_escalation_policies"),
    )
    op.create_index("ix_escalation_policies_tenant_id", "escalation_policies", ["tenant_id"])

    op.create_table(
        "escalations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(120), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("template", sa.String(120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("ack_within_seconds", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("due_at", UTC, nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("arrived_at", UTC, nullable=True),
        sa.Column("arrived_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("regulator_alerted_at", UTC, nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        *_tenant("escalations"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_escalations"),
        sa.UniqueConstraint(
            "tenant_id", "source", "subject_id", name="uq_escalations_tenant_id_source_subject_id"
        ),
    )
    op.create_index("ix_escalations_tenant_id", "escalations", ["tenant_id"])
    op.create_index("ix_escalations_due", "escalations", ["tenant_id", "closed", "due_at"])

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    for table in ("escalations", "escalation_policies", "duty_shifts"):
        op.drop_table(table)
