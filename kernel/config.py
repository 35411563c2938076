"""Configuration from the environment (``LINLI_`` prefix) via pydantic-settings.

The embedded default needs no configuration at all: SQLite in ``./.linli``, the in-process EVM,
no MQTT broker. Secrets for the embedded default are generated once and kept in the data dir.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".linli")
    #: The application's connection. On PostgreSQL this role must not own the tables and must
    #: not have BYPASSRLS: row-level security is one of the three tenancy locks.
    database_url: str = ""
    #: The owner's connection used for migrations (and role setup). Defaults to database_url.
    database_admin_url: str = ""
    #: The application's connection pool (PostgreSQL): connections kept, extra ones allowed,
    #: seconds a request waits for one.
    database_pool_size: int = 10
    database_max_overflow: int = 20
    database_pool_timeout: float = 30.0
    chain_url: str | None = None
    #: Where the embedded EVM keeps its chain across restarts (kernel/chain/embedded.py). Unset: the
    #: embedded default (no database URL given) uses ``<data_dir>/chain``; otherwise the embedded EVM
    #: lives in memory only (tests).
    embedded_chain_dir: Path | None = None
    mqtt_url: str | None = None
    #: Rate-limit buckets shared by all processes (``redis://host:6379/0``). Empty: each process
    #: keeps its own (behind N gateways the budget is then N ×); see :mod:`kernel.ratelimit`.
    redis_url: str = ""
    secret_key: str = ""
    #: Base64 32-byte key-encryption key for per-tenant data keys.
    master_key: str = ""
    #: Cipher for personal data at rest (kernel/crypto.py, docs/security.md): ``aes-256-gcm`` or
    #: ``sm4`` (SM4-GCM where the OpenSSL build offers it, else SM4-CBC + HMAC-SM3); ``sm4-gcm`` and
    #: ``sm4-cbc-hmac-sm3`` name one exactly. Applies to tenants that never rotated and to new key
    #: versions; one tenant switches with ``linli tenant rotate-key SLUG --cipher sm4``.
    personal_data_cipher: str = "aes-256-gcm"
    #: Hash of new audit-chain entries: ``sha256`` or ``sm3``. Each entry records its algorithm, so a
    #: chain that changes algorithm keeps verifying.
    audit_hash: Literal["sha256", "sm3"] = "sha256"
    #: Seconds a process keeps a tenant's data-key ring before reading it again; a rotation waits
    #: this long before its new key encrypts, and again before it retires the old one.
    key_ring_ttl_seconds: float = Field(default=30.0, ge=0)
    #: Rows the key-rotation job re-encrypts per transaction (each batch commits its checkpoint).
    key_rotation_batch_size: int = Field(default=500, ge=1)
    access_token_ttl_seconds: int = 900
    #: How often an open WebSocket's credential is re-checked (revoked session, deactivated login,
    #: revoked API key, suspended tenant, expired token): the connection is closed within this time.
    ws_recheck_seconds: float = 5.0
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    #: Failed logins allowed per window for one (source address, tenant, username)…
    login_max_failures: int = 5
    #: …per source address (any usernames, any tenants)…
    login_max_failures_per_source: int = 50
    #: …and per tenant (any sources): the cap on password spraying.
    login_max_failures_per_tenant: int = 500
    login_window_seconds: int = 300
    #: Roles that must log in with a second factor (TOTP); comma-separated in the environment.
    second_factor_roles: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["tenant_admin", "platform_admin", "regulator"])
    #: How long an invitation code is valid.
    invitation_ttl_hours: int = 72
    #: Where people reach this installation (``https://linli.example.com``): links in invitations.
    public_url: str = ""
    #: Plugins kept out of the process: ``LINLI_DISABLE_PLUGINS=notices,fees``.
    disable_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    environment: str = "development"
    #: GraphiQL at ``GET /graphql`` (bundled, served locally): on in development unless false,
    #: in production only when true (``LINLI_GRAPHIQL=true``).
    graphiql: bool | None = None

    # Gateway limits
    max_query_depth: int = 10
    max_query_cost: int = 25_000
    #: Bounds on the document itself, checked before validation (docs/security.md).
    max_query_tokens: int = 2_000
    max_query_fields: int = 1_000
    max_query_aliases: int = 100
    #: How often one response name may occur in one selection set (fragments merged).
    max_query_repeats: int = 10
    #: Long waits (``sendDeviceCommand(wait: true)``) one tenant may have at once, per gateway
    #: process; beyond it RATE_LIMITED. A wait holds no database connection.
    max_waits_per_tenant: int = 8
    max_page_size: int = 100
    default_page_size: int = 50
    max_body_bytes: int = 1_000_000
    rate_limit_cost_per_minute: int = 1_000_000

    # Notifications: the e-mail channel's SMTP server (empty host: e-mail deliveries fail
    # as "not configured", visible in the delivery log) and the signed webhook behind which an
    # SMS/WeChat gateway sits (empty URL: likewise).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Linli <noreply@linli.local>"
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    notify_webhook_url: str = ""
    notify_webhook_secret: str = ""
    notify_webhook_timeout_seconds: float = 10.0
    #: Notification deliveries sent at once by one worker (PostgreSQL; SQLite sends one at a
    #: time), and so the SMTP connections kept open per process.
    notify_delivery_concurrency: int = 8
    #: Per-tenant state a process keeps at most, least recently used first out: casbin enforcers
    #: (~50 KB each), data-encryption keys and revoked-session sets. Size it to the tenants active at once.
    tenant_cache_size: int = Field(default=1_000, ge=1)
    #: In-process rate-limit buckets kept at most (tenants, devices, anonymous clients; ~200 B
    #: each). An evicted bucket starts full again; with LINLI_REDIS_URL the buckets live in Redis.
    rate_bucket_cache_size: int = Field(default=100_000, ge=1)

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("personal_data_cipher")
    @classmethod
    def _known_cipher(cls, value: str) -> str:
        from kernel.crypto import cipher_id

        cipher_id(value)  # ValueError names the choices
        return value.strip().lower()

    @field_validator("disable_plugins", "second_factor_roles", mode="before")
    @classmethod
    def _split_plugins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):  # a JSON list is accepted too
                import json

                return json.loads(value)
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    def resolved(self) -> Settings:
        """Fill embedded defaults (SQLite path, generated secrets kept in the data dir)."""
        data = self.data_dir
        updates: dict[str, object] = {}
        if not self.database_url:
            data.mkdir(parents=True, exist_ok=True)
            updates["database_url"] = f"sqlite+aiosqlite:///{(data / 'linli.db').resolve()}"
            if not self.chain_url and self.embedded_chain_dir is None:
                updates["embedded_chain_dir"] = (data / "chain").resolve()
        for name, nbytes in (("secret_key", 32), ("master_key", 32)):
            if not getattr(self, name):
                updates[name] = _persisted_secret(data, name, nbytes)
        settings = self.model_copy(update=updates)
        if not settings.database_admin_url:
            settings = settings.model_copy(update={"database_admin_url": settings.database_url})
        return settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _persisted_secret(data_dir: Path, name: str, nbytes: int) -> str:
    import base64

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name}.secret"
    if path.exists():
        return path.read_text().strip()
    value = base64.b64encode(secrets.token_bytes(nbytes)).decode()
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings().resolved()
