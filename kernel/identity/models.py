"""Tables for identity.

A login identity (:class:`Account`) belongs to one tenant: the property firm that created it
(by invitation or import) or that verified the person's claim. Usernames are unique per tenant
and a login names the tenant first. Tenant accounts, their sessions and refresh tokens are
tenant rows like any other (ORM scope + PostgreSQL row-level security), so the application's
database role cannot read another firm's password hashes.

Platform operators and street-office regulators are not members of a firm: they live in
:class:`PlatformAccount`, a global table whose secrets the application role reads only through a
narrow path (see :mod:`kernel.identity.platform` and docs/architecture.md "Identity model").
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, GlobalRecord, TenantRecord, TenantScoped, Timestamped
from kernel.db.catalogue import legal_hold, personal, secret


class Account(TenantRecord, Base):
    """A person's login inside one tenant. What it may do there is decided by the tenant's
    policies (``account:<id>`` subjects); ``disabled`` is set when the firm deactivates it."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "username"),
        {"info": legal_hold("an erased person's login is closed and kept as a pseudonym: the audit log names it")},
    )

    username: Mapped[str] = mapped_column(String(64), info=personal("identity"))
    display_name: Mapped[str] = mapped_column(String(100), info=personal("identity"))
    password_hash: Mapped[str] = mapped_column(String(200), info=secret("argon2id password hash"))
    disabled: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Contacts for notifications and password reset, encrypted with the tenant's key (from the
    #: invitation the person accepted); read by kernel.notifications.contacts.
    email_enc: Mapped[str | None] = mapped_column(String(400), default=None, info=personal("contact", "important", encrypted=True))
    phone_enc: Mapped[str | None] = mapped_column(String(400), default=None, info=personal("contact", "important", encrypted=True))
    #: The second factor (kernel.identity.second_factor): TOTP secret encrypted with the tenant's
    #: key, set at enrolment and in force once confirmed; SHA-256 digests of unused recovery codes.
    totp_secret_enc: Mapped[str | None] = mapped_column(String(400), default=None, info=secret("TOTP seed", encrypted=True))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list, info=secret("second-factor recovery code hashes"))


class Invitation(TenantRecord, Base):
    """A single-use invitation to join the tenant with roles, sent to a phone or an e-mail.

    Only the SHA-256 of the code is stored; the contact is encrypted (``contact_enc``), kept
    masked for lists, and as a keyed digest to find an open invitation to the same person.
    """

    __tablename__ = "invitations"
    #: The code is accepted inside the firm it was sent for (tenant-scoped lookup), so it is unique
    #: per tenant — the key Citus can enforce on a table distributed by tenant.
    __table_args__ = (UniqueConstraint("tenant_id", "code_hash"),)

    code_hash: Mapped[str] = mapped_column(String(64), info=secret("one-time code hash"))
    channel: Mapped[str] = mapped_column(String(8))  # phone | email
    contact_enc: Mapped[str] = mapped_column(String(400), info=personal("contact", "important", encrypted=True))
    contact_digest: Mapped[str] = mapped_column(String(64), index=True)
    contact_masked: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    expires_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordReset(TenantRecord, Base):
    """A password-reset code sent to the person's own contact: SHA-256 only, short-lived, a few
    tries, single use."""

    __tablename__ = "password_resets"

    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    code_hash: Mapped[str] = mapped_column(String(64), info=secret("one-time code hash"))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class PlatformAccount(GlobalRecord, Base):
    """A platform operator or a street office's (街道办) regulator: global, in no tenant.

    ``password_hash`` is not readable by the application's database role on PostgreSQL (column
    grants); login reads it through the ``linli_platform_login`` function, one username at a time.
    """

    __tablename__ = "platform_accounts"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200), deferred=True, deferred_raiseload=True, info=secret("argon2id password hash"))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    #: Set for a street office's regulator account: the street code of its jurisdiction.
    #: Such an account reads only what ``kernel.regulator`` exposes.
    regulator_street_code: Mapped[str | None] = mapped_column(String(32), default=None)
    disabled: Mapped[bool] = mapped_column(default=False)
    #: As on Account; the secrets are, like the password hash, not readable by the app role.
    totp_secret_enc: Mapped[str | None] = mapped_column(String(400), default=None, deferred=True, deferred_raiseload=True, info=secret("TOTP seed", encrypted=True))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list, deferred=True, deferred_raiseload=True, info=secret("second-factor recovery code hashes"))


class LoginSession(TenantRecord, Base):
    """One login: a refresh-token family. Access tokens carry its id (``sid``); revoking it stops
    them at once (checked through :mod:`kernel.identity.revocation`)."""

    __tablename__ = "login_sessions"

    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    #: The source address, masked at write time (last IPv4 octet / last 80 bits of IPv6 dropped).
    ip_masked: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RefreshToken(TenantRecord, Base):
    """A refresh token, stored as its SHA-256 digest; rotated on every use. The presented token
    is ``<tenant hex>.<secret>`` so the tenant is known before anything is looked up."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Unique per tenant: the presented token names its tenant (``<tenant hex>.<secret>``) and is
    #: looked up inside that tenant's scope.
    token_hash: Mapped[str] = mapped_column(String(64), info=secret("refresh token digest"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginAttempt(GlobalRecord, Base):
    """A login attempt, written and committed *before* the password is verified, so the throttle
    holds under concurrency. Keys are digests: no username or address is stored in clear."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_subject_created", "subject_key", "created_at"),
        Index("ix_login_attempts_source_created", "source_key", "created_at"),
        Index("ix_login_attempts_tenant_created", "tenant_id", "created_at"),
    )

    #: digest of (source address, tenant, username)
    subject_key: Mapped[str] = mapped_column(String(64))
    #: digest of the source address
    source_key: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    succeeded: Mapped[bool] = mapped_column(default=False)


class SecondFactorUse(Base):
    """An authenticator code accepted for an account: its 30-second step. The key makes each step
    single-use (RFC 6238 §5.2): a code seen over someone's shoulder, or replayed, is refused. Rows
    older than the verification window are useless and pruned when the account logs in again."""

    __tablename__ = "second_factor_uses"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    used_at: Mapped[datetime]


class ApiKey(TenantRecord, Base):
    """An integration key of a tenant. Shown once; stored as SHA-256 of the secret part."""

    __tablename__ = "api_keys"
    #: Unique per tenant (the presented key names its tenant): Citus distributes by tenant_id.
    __table_args__ = (UniqueConstraint("tenant_id", "prefix"),)

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), info=secret("API key digest"))
    #: The role the key acts as inside the tenant.
    role: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The account that created it: deactivating that person revokes their keys.
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


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
