"""participation tables

Revision ID: part0001
Revises:
Create Date: 2026-12-07 05:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "part0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("participation",)
depends_on: str | Sequence[str] | None = ("e0001",)

TABLES = (
    "part_survey_responses",
    "part_surveys",
    "part_comments",
    "part_co_signatures",
    "part_topics",
    "part_settings",
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


def _to(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_tenant_id_{column}_{target}",
        ondelete="CASCADE",
    )


def _indexes(table: str, *columns: str) -> None:
    for column in ("tenant_id", *columns):
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    t = "part_settings"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("threshold_kind", sa.String(length=8), nullable=False),
        sa.Column("threshold_value", sa.Integer(), nullable=False),
        sa.Column("answer_within_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "community_id", "communities"),
        sa.UniqueConstraint("tenant_id", "community_id", name=f"uq_{t}_tenant_id_community_id"),
        sa.CheckConstraint("threshold_value >= 1", name=f"ck_{t}_threshold_positive"),
        sa.CheckConstraint("answer_within_days BETWEEN 1 AND 90", name=f"ck_{t}_answer_days_range"),
    )
    _indexes(t, "community_id")

    t = "part_topics"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by_account_id", sa.Uuid(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("co_signatures", sa.Integer(), nullable=False),
        sa.Column("answer_within_days", sa.Integer(), nullable=False),
        sa.Column("threshold_reached_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=80), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("overdue_flagged_at", UTCDateTime(timezone=True), nullable=True),
        *_record(),
        *_keys(t),
        _to(t, "community_id", "communities"),
        sa.CheckConstraint("threshold >= 1", name=f"ck_{t}_threshold_positive"),
    )
    _indexes(t, "community_id", "proposal_id")
    op.create_index("ix_part_topics_status_due", t, ["tenant_id", "status", "answer_due_at"])

    t = "part_co_signatures"
    create_tenant_table(
        t,
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("person_key", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "topic_id", "part_topics"),
        sa.UniqueConstraint("tenant_id", "topic_id", "person_key", name=f"uq_{t}_tenant_id_topic_id_person_key"),
    )
    _indexes(t, "topic_id")

    t = "part_comments"
    create_tenant_table(
        t,
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("author_account_id", sa.Uuid(), nullable=True),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hidden_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_by", sa.String(length=80), nullable=True),
        sa.Column("hidden_reason", sa.String(length=300), nullable=True),
        *_record(),
        *_keys(t),
        _to(t, "topic_id", "part_topics"),
    )
    _indexes(t, "topic_id")

    t = "part_surveys"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("answer_per", sa.String(length=10), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "community_id", "communities"),
    )
    _indexes(t, "community_id")

    t = "part_survey_responses"
    create_tenant_table(
        t,
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("respondent_hash", sa.String(length=64), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=False),
        *_record(),
        *_keys(t),
        _to(t, "survey_id", "part_surveys"),
        sa.UniqueConstraint("tenant_id", "survey_id", "respondent_hash", name=f"uq_{t}_tenant_id_survey_id_respondent_hash"),
    )
    _indexes(t, "survey_id")


def downgrade() -> None:
    for table in TABLES:
        drop_tenant_table(table)
