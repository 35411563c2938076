"""accounts belong to a tenant; platform accounts global; login sessions; atomic login throttle

Revision ID: k0005
Revises: k0004
Create Date: 2026-12-07

Data: every old global account becomes one account per tenant it had a role in (or was the
default of). The first of those tenants — the default tenant if it had one — keeps the account id,
so ``account:<id>`` policy subjects and links such as ``persons.account_id`` stay valid; in each
further tenant the copy gets a new id and that tenant's references are rewritten. Platform
administrators and regulators move to ``platform_accounts`` with their ids. An account with no
tenant at all (it could not log in anywhere) is dropped. Refresh tokens are dropped: everyone logs
in again once.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kernel.db.base
from kernel.db.rls import enable_tenant_rls

revision: str = "k0005"
down_revision: str | Sequence[str] | None = "k0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DT = kernel.db.base.UTCDateTime(timezone=True)

#: The narrow path by which the application role reads a platform account's password hash: one
#: username at a time, never a listing (the role has no SELECT on the column itself).
PLATFORM_LOGIN_FUNCTION = """
CREATE OR REPLACE FUNCTION linli_platform_login(p_username text)
RETURNS TABLE (id uuid, password_hash varchar, is_platform_admin boolean,
               regulator_street_code varchar, disabled boolean,
               totp_secret_enc varchar, totp_confirmed_at timestamptz, recovery_hashes json)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT id, password_hash, is_platform_admin, regulator_street_code, disabled,
           totp_secret_enc, totp_confirmed_at, recovery_hashes
    FROM platform_accounts WHERE username = p_username
$$
"""

_old_accounts = sa.table(
    "accounts",
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("default_tenant_id", sa.Uuid()),
    sa.column("is_platform_admin", sa.Boolean()),
    sa.column("regulator_street_code", sa.String()),
    sa.column("disabled", sa.Boolean()),
    sa.column("created_at", UTC_DT),
)
_tenants = sa.table("tenants", sa.column("id", sa.Uuid()))
_rules = sa.table(
    "policy_rules", sa.column("tenant_id", sa.Uuid()), sa.column("ptype", sa.String()), sa.column("v0", sa.String())
)


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("updated_at", UTC_DT, nullable=True),
    ]


def _scope(bind: sa.engine.Connection, tenant_id: uuid.UUID | None) -> None:
    """Row-level security applies to a table owner too (FORCE): name the tenant on PostgreSQL."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(tenant_id) if tenant_id else ""})


def upgrade() -> None:
    bind = op.get_bind()
    old = [dict(r) for r in bind.execute(sa.select(_old_accounts)).mappings()]
    tenant_ids = [r.id for r in bind.execute(sa.select(_tenants.c.id))]
    members: dict[uuid.UUID, list[uuid.UUID]] = {}
    for tid in sorted(tenant_ids):
        _scope(bind, tid)
        for (v0,) in bind.execute(sa.select(_rules.c.v0).where(_rules.c.tenant_id == tid, _rules.c.ptype == "g").distinct()):
            try:
                members.setdefault(uuid.UUID(str(v0).removeprefix("account:")), []).append(tid)
            except ValueError:
                continue
    _scope(bind, None)

    op.drop_table("refresh_tokens")
    op.drop_table("accounts")
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_index("ix_login_failures_username_created")
    op.drop_table("login_failures")

    op.create_table(
        "platform_accounts",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_platform_admin", sa.Boolean(), nullable=False),
        sa.Column("regulator_street_code", sa.String(length=32), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("totp_secret_enc", sa.String(length=400), nullable=True),
        sa.Column("totp_confirmed_at", UTC_DT, nullable=True),
        sa.Column("recovery_hashes", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_platform_accounts_username")),
    )
    op.create_table(
        "accounts",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", UTC_DT, nullable=True),
        sa.Column("email_enc", sa.String(length=400), nullable=True),
        sa.Column("phone_enc", sa.String(length=400), nullable=True),
        sa.Column("totp_secret_enc", sa.String(length=400), nullable=True),
        sa.Column("totp_confirmed_at", UTC_DT, nullable=True),
        sa.Column("recovery_hashes", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_accounts_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "username", name=op.f("uq_accounts_tenant_id_username")),
    )
    op.create_index(op.f("ix_accounts_tenant_id"), "accounts", ["tenant_id"])
    op.create_table(
        "invitations",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact_enc", sa.String(length=400), nullable=False),
        sa.Column("contact_digest", sa.String(length=64), nullable=False),
        sa.Column("contact_masked", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("accepted_at", UTC_DT, nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_invitations_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("tenant_id", "code_hash", name=op.f("uq_invitations_tenant_id")),
    )
    op.create_index(op.f("ix_invitations_tenant_id"), "invitations", ["tenant_id"])
    op.create_index(op.f("ix_invitations_contact_digest"), "invitations", ["contact_digest"])
    op.create_table(
        "password_resets",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", UTC_DT, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_password_resets_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_password_resets")),
    )
    op.create_index(op.f("ix_password_resets_tenant_id"), "password_resets", ["tenant_id"])
    op.create_index(op.f("ix_password_resets_account_id"), "password_resets", ["account_id"])
    op.create_table(
        "login_sessions",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("last_used_at", UTC_DT, nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("ip_masked", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_login_sessions_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_login_sessions")),
    )
    op.create_index(op.f("ix_login_sessions_tenant_id"), "login_sessions", ["tenant_id"])
    op.create_index(op.f("ix_login_sessions_account_id"), "login_sessions", ["account_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_refresh_tokens_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "tenant_id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("tenant_id", "token_hash", name=op.f("uq_refresh_tokens_tenant_id")),
    )
    op.create_index(op.f("ix_refresh_tokens_tenant_id"), "refresh_tokens", ["tenant_id"])
    op.create_index(op.f("ix_refresh_tokens_account_id"), "refresh_tokens", ["account_id"])
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])
    op.create_table(
        "login_attempts",
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_subject_created", "login_attempts", ["subject_key", "created_at"])
    op.create_index("ix_login_attempts_source_created", "login_attempts", ["source_key", "created_at"])
    op.create_index("ix_login_attempts_tenant_created", "login_attempts", ["tenant_id", "created_at"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("created_by", sa.Uuid(), nullable=True))
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("auth_version", sa.Integer(), nullable=False, server_default="0"))

    _move_accounts(bind, old, members, set(tenant_ids))

    for table in ("accounts", "invitations", "login_sessions", "password_resets", "refresh_tokens"):
        enable_tenant_rls(table)
    if bind.dialect.name == "postgresql":
        op.execute(PLATFORM_LOGIN_FUNCTION)
        op.execute("REVOKE ALL ON FUNCTION linli_platform_login(text) FROM PUBLIC")


def _move_accounts(
    bind: sa.engine.Connection, old: list[dict], members: dict[uuid.UUID, list[uuid.UUID]], tenants: set[uuid.UUID]  # type: ignore[type-arg]
) -> None:
    platform = sa.table(
        "platform_accounts",
        *(sa.column(c, t) for c, t in (
            ("id", sa.Uuid()), ("username", sa.String()), ("display_name", sa.String()), ("password_hash", sa.String()),
            ("is_platform_admin", sa.Boolean()), ("regulator_street_code", sa.String()), ("disabled", sa.Boolean()),
            ("created_at", UTC_DT),
        )),
    )
    accounts = sa.table(
        "accounts",
        *(sa.column(c, t) for c, t in (
            ("id", sa.Uuid()), ("tenant_id", sa.Uuid()), ("username", sa.String()), ("display_name", sa.String()),
            ("password_hash", sa.String()), ("disabled", sa.Boolean()), ("created_at", UTC_DT),
        )),
    )
    references = _account_references(bind)
    for a in old:
        if a["is_platform_admin"] or a["regulator_street_code"]:
            bind.execute(platform.insert().values(**{k: a[k] for k in (
                "id", "username", "display_name", "password_hash", "is_platform_admin", "regulator_street_code", "disabled", "created_at"
            )}))
            continue
        homes = list(members.get(a["id"], []))
        default = a["default_tenant_id"]
        if default in tenants:
            homes = [default, *(t for t in homes if t != default)]
        for i, tid in enumerate(homes):
            new_id = a["id"] if i == 0 else uuid.uuid4()
            bind.execute(accounts.insert().values(
                id=new_id, tenant_id=tid, username=a["username"], display_name=a["display_name"],
                password_hash=a["password_hash"], disabled=a["disabled"], created_at=a["created_at"],
            ))
            if new_id != a["id"]:
                _scope(bind, tid)
                bind.execute(
                    sa.update(_rules).where(_rules.c.tenant_id == tid, _rules.c.v0 == f"account:{a['id']}").values(v0=f"account:{new_id}")
                )
                for table, column in references:
                    t = sa.table(table, sa.column("tenant_id", sa.Uuid()), sa.column(column, sa.Uuid()))
                    bind.execute(sa.update(t).where(t.c.tenant_id == tid, t.c[column] == a["id"]).values({column: new_id}))
                _scope(bind, None)


def _account_references(bind: sa.engine.Connection) -> list[tuple[str, str]]:
    """Tenant tables of any component holding an account id (columns named ``*account_id``)."""
    inspector = sa.inspect(bind)
    found = []
    for table in inspector.get_table_names():
        if table in ("accounts", "invitations", "password_resets", "refresh_tokens", "login_sessions", "alembic_version"):
            continue
        columns = {c["name"] for c in inspector.get_columns(table)}
        if "tenant_id" not in columns:
            continue
        found += [(table, c) for c in sorted(columns) if c.endswith("account_id")]
    return found


def downgrade() -> None:
    raise NotImplementedError("k0005 splits global accounts per tenant; restore the backup taken before upgrading to go back")
