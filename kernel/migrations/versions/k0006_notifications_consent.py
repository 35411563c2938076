"""notifications (rows, delivery log, preferences, settings) and consent records. RLS on each.

Revision ID: k0006
Revises: k0005
Create Date: 2026-12-07
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = (
    "notifications",
    "notification_deliveries",
    "notification_preferences",
    "notification_settings",
    "consents",
    "consent_records",
)

revision: str = "k0006"
down_revision: str | Sequence[str] | None = "k0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kernel.db.base.UTCDateTime(timezone=True)


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_hint", sa.String(120), nullable=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("template", sa.String(120), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("in_inbox", sa.Boolean(), nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        *_tenant("notifications"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_notifications"),
        sa.UniqueConstraint("tenant_id", "recipient", "key", name="uq_notifications_tenant_id_recipient_key"),
    )
    op.create_index("ix_notifications_tenant_id", "notifications", ["tenant_id"])
    op.create_index("ix_notifications_inbox", "notifications", ["tenant_id", "account_id", "created_at"])

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.Column("outbox_key", sa.String(200), nullable=True),
        sa.Column("not_before", UTC, nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        *_tenant("notification_deliveries"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "notification_id"],
            ["notifications.tenant_id", "notifications.id"],
            name="fk_notification_deliveries_notification",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_notification_deliveries"),
        sa.UniqueConstraint("tenant_id", "notification_id", "channel", name="uq_notification_deliveries_tenant_id_notification_id_channel"),
    )
    op.create_index("ix_notification_deliveries_tenant_id", "notification_deliveries", ["tenant_id"])
    op.create_index("ix_notification_deliveries_log", "notification_deliveries", ["tenant_id", "created_at"])

    op.create_table(
        "notification_preferences",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_tenant("notification_preferences"),
        sa.PrimaryKeyConstraint("tenant_id", "account_id", "category", "channel", name="pk_notification_preferences"),
    )
    op.create_index("ix_notification_preferences_tenant_id", "notification_preferences", ["tenant_id"])

    op.create_table(
        "notification_settings",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=True),
        sa.Column("quiet_start_minute", sa.Integer(), nullable=True),
        sa.Column("quiet_end_minute", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        *_tenant("notification_settings"),
        sa.PrimaryKeyConstraint("tenant_id", "account_id", name="pk_notification_settings"),
    )
    op.create_index("ix_notification_settings_tenant_id", "notification_settings", ["tenant_id"])

    op.create_table(
        "consents",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("wording_version", sa.String(32), nullable=False),
        sa.Column("granted_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        *_tenant("consents"),
        sa.PrimaryKeyConstraint("tenant_id", "person_id", "purpose", name="pk_consents"),
    )
    op.create_index("ix_consents_tenant_id", "consents", ["tenant_id"])

    op.create_table(
        "consent_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("wording_version", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        *_tenant("consent_records"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name="pk_consent_records"),
    )
    op.create_index("ix_consent_records_tenant_id", "consent_records", ["tenant_id"])
    op.create_index("ix_consent_records_person", "consent_records", ["tenant_id", "person_id", "created_at"])

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    for table in ("consent_records", "consents", "notification_settings", "notification_preferences", "notification_deliveries", "notifications"):
        op.drop_table(table)
