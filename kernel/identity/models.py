"""Tables for identity. Accounts are global (one person may deal with several property firms);
what an account may do inside a tenant is decided by that tenant's policies."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, GlobalRecord, TenantRecord, TenantScoped, Timestamped


class Account(GlobalRecord, Base):
    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Tenant chosen at login when none is given.
    default_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), default=None
    )
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    #: Set for a street office's (街道办) regulator account: the street code of its jurisdiction.
    #: Such an account belongs to no tenant and reads only what ``kernel.regulator`` exposes.
    regulator_street_code: Mapped[str | None] = mapped_column(String(32), default=None)
    disabled: Mapped[bool] = mapped_column(default=False)


class RefreshToken(GlobalRecord, Base):
    """A refresh token, stored as its SHA-256 digest; rotated on every use."""

    __tablename__ = "refresh_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginFailure(GlobalRecord, Base):
    """Failed logins, counted over a sliding window for throttling (works across processes)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_created", "username", "created_at"),)

    username: Mapped[str] = mapped_column(String(64))


class ApiKey(TenantRecord, Base):
    """An integration key of a tenant. Shown once; stored as SHA-256 of the secret part."""

    __tablename__ = "api_keys"
    #: Unique per tenant (the presented key names its tenant): Citus distributes by tenant_id.
    __table_args__ = (UniqueConstraint("tenant_id", "prefix"),)

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: The role the key acts as inside the tenant.
    role: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PolicyRule(TenantScoped, Timestamped, Base):
    """A casbin rule in the tenant's domain.

    ``ptype`` ``p``: (role, object, action); ``g``: (account, role). ``source`` says who added it —
    ``kernel``, ``tenant`` (an admin) or ``plugin:<name>`` — so disabling a plugin revokes exactly
    what enabling it granted.
    """

    __tablename__ = "policy_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ptype: Mapped[str] = mapped_column(String(2))
    v0: Mapped[str] = mapped_column(String(100))
    v1: Mapped[str] = mapped_column(String(100))
    v2: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(80), default="kernel")
