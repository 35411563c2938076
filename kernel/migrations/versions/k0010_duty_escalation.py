"""duty roster (duty_shifts), escalation policies and escalations. RLS on each.

Firms provisioned before this revision get the core notifications plugin's new grants
(``notifications:read_duty`` and ``notifications:manage_duty`` for the default roles), as a firm
provisioned now gets them: the same rows, source ``plugin:notifications``, and a policy-version
bump so every process reloads the firm's policies.

Revision ID: k0010
Revises: k0009
Create Date: 2026-12-07
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import SETTING, disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = ("duty_shifts", "escalation_policies", "escalations")

revision: str = "k0010"
down_revision: str | Sequence[str] | None = "k0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = kernel.db.base.UTCDateTime(timezone=True)

SOURCE = "plugin:notifications"
#: (role, object, action) as kernel/notifications/plugin.py grants them at provisioning.
GRANTS = tuple(
    [
        (r, "notifications", "read_duty")
        for r in ("tenant_admin", "property_staff", "technician", "grid_worker", "auditor")
    ]
    + [(r, "notifications", "manage_duty") for r in ("tenant_admin", "property_staff")]
)


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
    _grant_existing_firms()


_tenants = sa.table(
    "tenants", sa.column("id", sa.Uuid()), sa.column("policy_version", sa.Integer())
)
_rules = sa.table(
    "policy_rules",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("ptype", sa.String()),
    sa.column("v0", sa.String()),
    sa.column("v1", sa.String()),
    sa.column("v2", sa.String()),
    sa.column("source", sa.String()),
    sa.column("created_at", UTC),
)


def _each_firm(work: Any) -> None:
    """Run ``work(bind, tenant_id)`` per firm inside its row-level-security scope."""
    bind = op.get_bind()
    for tenant_id in bind.execute(sa.select(_tenants.c.id)).scalars().all():
        if bind.dialect.name == "postgresql":
            bind.execute(sa.select(sa.func.set_config(SETTING, str(tenant_id), True)))
        work(bind, tenant_id)
        bind.execute(
            sa.update(_tenants)
            .where(_tenants.c.id == tenant_id)
            .values(policy_version=_tenants.c.policy_version + 1)
        )


def _grant_existing_firms() -> None:
    now = kernel.db.base.utcnow()

    def grant(bind: Any, tenant_id: Any) -> None:
        held = {
            (r.v0, r.v1, r.v2)
            for r in bind.execute(
                sa.select(_rules.c.v0, _rules.c.v1, _rules.c.v2).where(
                    _rules.c.tenant_id == tenant_id,
                    _rules.c.ptype == "p",
                    _rules.c.source == SOURCE,
                )
            )
        }
        rows = [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "ptype": "p",
                "v0": f"role:{role}",
                "v1": obj,
                "v2": act,
                "source": SOURCE,
                "created_at": now,
            }
            for role, obj, act in GRANTS
            if (f"role:{role}", obj, act) not in held
        ]
        if rows:
            bind.execute(sa.insert(_rules), rows)

    _each_firm(grant)


def _revoke_from_firms() -> None:
    def revoke(bind: Any, tenant_id: Any) -> None:
        bind.execute(
            sa.delete(_rules).where(
                _rules.c.tenant_id == tenant_id,
                _rules.c.source == SOURCE,
                _rules.c.v1 == "notifications",
                _rules.c.v2.in_(("read_duty", "manage_duty")),
            )
        )

    _each_firm(revoke)


def downgrade() -> None:
    _revoke_from_firms()
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    for table in ("escalations", "escalation_policies", "duty_shifts"):
        op.drop_table(table)
