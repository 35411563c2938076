"""grid tables

Revision ID: grid0001
Revises:
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kernel.sdk.db import UTCDateTime, create_tenant_table, drop_tenant_table

revision: str = "grid0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("grid",)
depends_on: str | Sequence[str] | None = ("e0001", "k0002")

TABLES = (
    "grid_visits",
    "grid_vulnerable_residents",
    "grid_incident_updates",
    "grid_incidents",
    "grid_missed",
    "grid_check_ins",
    "grid_checkpoints",
    "grid_routes",
    "grid_members",
    "grid_buildings",
    "grid_grids",
)


def _record(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
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


def _indexes(table: str, *columns: str) -> None:
    for column in ("tenant_id", *columns):
        op.create_index(f"ix_{table}_{column}", table, [column])


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    t = "grid_grids"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        *_record(t),
        _to(t, "community_id", "communities"),
        sa.UniqueConstraint("tenant_id", "community_id", "name", name=f"uq_{t}_tenant_id_community_id_name"),
    )
    _indexes(t, "community_id")

    t = "grid_buildings"
    create_tenant_table(
        t,
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=False),
        *_record(t),
        _to(t, "grid_id", "grid_grids"),
        _to(t, "building_id", "buildings"),
        sa.UniqueConstraint("tenant_id", "building_id", name=f"uq_{t}_tenant_id_building_id"),
    )
    _indexes(t, "grid_id")

    t = "grid_members"
    create_tenant_table(
        t,
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        *_record(t),
        _to(t, "grid_id", "grid_grids"),
        sa.UniqueConstraint("tenant_id", "grid_id", "account_id", name=f"uq_{t}_tenant_id_grid_id_account_id"),
    )
    _indexes(t, "grid_id", "account_id")

    t = "grid_routes"
    create_tenant_table(
        t,
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        _when("starts_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_record(t),
        _to(t, "grid_id", "grid_grids"),
        sa.CheckConstraint("interval_minutes BETWEEN 30 AND 10080", name=f"ck_{t}_interval_range"),
    )
    _indexes(t, "grid_id")

    t = "grid_checkpoints"
    create_tenant_table(
        t,
        sa.Column("route_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tag_kind", sa.String(length=4), nullable=False),
        sa.Column("tag_code", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_record(t),
        _to(t, "route_id", "grid_routes"),
        sa.UniqueConstraint("tenant_id", "tag_code", name=f"uq_{t}_tenant_id_tag_code"),
    )
    _indexes(t, "route_id", "grid_id")

    t = "grid_check_ins"
    create_tenant_table(
        t,
        sa.Column("checkpoint_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("by", sa.String(length=80), nullable=False),
        _when("at"),
        sa.Column("location_enc", sa.Text(), nullable=True),
        *_record(t),
        _to(t, "checkpoint_id", "grid_checkpoints"),
    )
    _indexes(t, "grid_id")
    op.create_index("ix_grid_check_ins_checkpoint_at", t, ["tenant_id", "checkpoint_id", "at"])

    t = "grid_missed"
    create_tenant_table(
        t,
        sa.Column("checkpoint_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        _when("period_start"),
        _when("period_end"),
        _when("detected_at"),
        *_record(t),
        _to(t, "checkpoint_id", "grid_checkpoints"),
        sa.UniqueConstraint("tenant_id", "checkpoint_id", "period_end", name=f"uq_{t}_tenant_id_checkpoint_id_period_end"),
    )
    _indexes(t, "checkpoint_id", "grid_id")

    t = "grid_incidents"
    create_tenant_table(
        t,
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("photo_ref", sa.String(length=300), nullable=True),
        sa.Column("reporter_account_id", sa.Uuid(), nullable=True),
        sa.Column("reported_by", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_status", sa.String(length=16), nullable=True),
        _when("referred_at", True),
        _when("closed_at", True),
        sa.Column("resolution", sa.Text(), nullable=True),
        *_record(t),
        _to(t, "community_id", "communities"),
        _to(t, "building_id", "buildings", ondelete=None),
    )
    _indexes(t, "community_id", "grid_id", "reporter_account_id")
    op.create_index("ix_grid_incidents_status", t, ["tenant_id", "status"])

    t = "grid_incident_updates"
    create_tenant_table(
        t,
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        _when("at"),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *_record(t),
        _to(t, "incident_id", "grid_incidents"),
    )
    _indexes(t, "incident_id")

    t = "grid_vulnerable_residents"
    create_tenant_table(
        t,
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("tags_enc", sa.Text(), nullable=False),
        sa.Column("visit_every_days", sa.Integer(), nullable=False),
        _when("next_visit_due"),
        _when("last_visit_at", True),
        _when("overdue_alerted_for", True),
        sa.Column("status", sa.String(length=8), nullable=False),
        *_record(t),
        _to(t, "grid_id", "grid_grids"),
        _to(t, "person_id", "persons"),
        sa.UniqueConstraint("tenant_id", "person_id", name=f"uq_{t}_tenant_id_person_id"),
        sa.CheckConstraint("visit_every_days BETWEEN 1 AND 90", name=f"ck_{t}_visit_range"),
    )
    _indexes(t, "grid_id")

    t = "grid_visits"
    create_tenant_table(
        t,
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        _when("visited_at"),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("note_enc", sa.Text(), nullable=True),
        *_record(t),
        _to(t, "resident_id", "grid_vulnerable_residents"),
    )
    _indexes(t, "resident_id")


def downgrade() -> None:
    for table in TABLES:
        drop_tenant_table(table)
