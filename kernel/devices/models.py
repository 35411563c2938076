"""Device tables.

* ``devices`` — the registry (tenant table): a device of a profile type at a place.
* ``device_credentials`` — a **global** table mapping the SHA-256 digest of a device token to
  its tenant and device. A ThingsBoard-style token is opaque (no tenant inside), so it must be
  resolved before any tenant is known; this small table holds nothing but digests and ids, so
  every tenant table keeps row-level security on and the lookup is one primary-key read.
* ``telemetry`` — the time series, one row per (device, key, ts); ``ts`` in epoch milliseconds
  as ThingsBoard sends it, which also makes per-interval aggregation portable (integer division).
* ``telemetry_latest`` — the latest value per (device, key), for fast reads.
* ``device_alarms``, ``device_alarm_pending`` — alarms and the "condition holds since" state of
  duration rules.
* ``device_rpc_calls`` — commands sent to devices and their responses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, TenantScoped, tenant_fk, utcnow

PLACE_KINDS = ("community", "building", "unit")


class Device(TenantRecord, Base):
    """A machine identity of a tenant at a place (community, building or unit)."""

    __tablename__ = "devices"
    __table_args__ = (
        Index("ix_devices_tenant_type", "tenant_id", "type"),
        Index("ix_devices_tenant_place", "tenant_id", "place_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    #: The profile type (``barrier_gate``); the profile itself lives in code, contributed by a plugin.
    type: Mapped[str] = mapped_column(String(64))
    place_kind: Mapped[str] = mapped_column(String(12))
    place_id: Mapped[uuid.UUID]
    #: The community the place lies in (denormalised for filters), when known.
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    serial: Mapped[str] = mapped_column(String(64), default="")
    #: First characters of the current token, to tell tokens apart; never enough to use one.
    token_hint: Mapped[str | None] = mapped_column(String(12), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    online: Mapped[bool] = mapped_column(default=False)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Overrides the profile's inactivity timeout for this device.
    inactivity_timeout_seconds: Mapped[int | None] = mapped_column(default=None)
    #: Client-side attributes the device reported (firmware version, model, ...).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeviceCredential(Base):
    """Global: token digest → (tenant, device). Deleting the row revokes the token at once."""

    __tablename__ = "device_credentials"
    __table_args__ = (Index("ix_device_credentials_tenant_device", "tenant_id", "device_id"),)

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelemetryPoint(TenantScoped, Base):
    """One reading. ``num`` holds numbers and booleans (1/0), ``text`` strings.

    The hot table of ingestion, shaped like ThingsBoard's ``ts_kv``: no foreign keys (measured:
    the per-row checks of a ``devices`` and a ``tenants`` key cost more than the insert itself;
    the device id always comes from a credential lookup, and tenant deletion deletes every
    tenant-scoped table's rows explicitly) and no separate ``tenant_id`` index (the primary key
    leads with it). Row-level security applies as on every tenant table.
    """

    __tablename__ = "telemetry"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "device_id", "key", "ts", name="pk_telemetry"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Epoch milliseconds (UTC).
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    num: Mapped[float | None] = mapped_column(Float, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class LatestTelemetry(TenantScoped, Base):
    """The latest reading per device and key.

    Rewritten for every (device, key) of each MQTT batch, so kept to one index (the primary key,
    which leads with ``tenant_id``: no separate ``tenant_id`` index) and, on PostgreSQL, with
    free space in each page (``fillfactor`` 50, migration k0015) so that an update stays on its
    page and writes no index entry (a heap-only tuple)."""

    __tablename__ = "telemetry_latest"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "device_id", "key", name="pk_telemetry_latest"),
        tenant_fk("device_id", "devices"),
        {"postgresql_with": {"fillfactor": "50"}},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    num: Mapped[float | None] = mapped_column(Float, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class DeviceAlarm(TenantRecord, Base):
    """An alarm: raised → acknowledged → cleared. One open alarm per (device, rule): a repeat
    raises its ``count`` instead of a new alarm."""

    __tablename__ = "device_alarms"
    __table_args__ = (
        tenant_fk("device_id", "devices"),
        Index(
            "uq_device_alarms_open",
            "tenant_id",
            "device_id",
            "rule",
            unique=True,
            sqlite_where=text("status != 'cleared'"),
            postgresql_where=text("status != 'cleared'"),
        ),
        Index("ix_device_alarms_tenant_status", "tenant_id", "status"),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rule: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), default="raised")
    count: Mapped[int] = mapped_column(default=1)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by: Mapped[str | None] = mapped_column(String(100), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlarmPending(TenantScoped, Base):
    """Since when a duration rule's condition has held for a device (no row: it does not)."""

    __tablename__ = "device_alarm_pending"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "device_id", "rule", name="pk_device_alarm_pending"),
        tenant_fk("device_id", "devices"),
    )

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(80), primary_key=True)
    since_ts: Mapped[int] = mapped_column(BigInteger)


class RpcCall(TenantRecord, Base):
    """A command sent to a device: queued → sent → answered | timed_out."""

    __tablename__ = "device_rpc_calls"
    __table_args__ = (
        tenant_fk("device_id", "devices"),
        Index("ix_device_rpc_calls_device_status", "tenant_id", "device_id", "status"),
        # two commands queued at once cannot share a request id (the second fails and is retried)
        UniqueConstraint("tenant_id", "device_id", "request_id"),
    )

    device_id: Mapped[uuid.UUID]
    #: The request id in ``v1/devices/me/rpc/request/{request_id}`` (per device, increasing).
    request_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    requested_by: Mapped[str] = mapped_column(String(100), default="system")


MODELS: tuple[type, ...] = (Device, DeviceCredential, TelemetryPoint, LatestTelemetry, DeviceAlarm, AlarmPending, RpcCall)
TENANT_TABLES: tuple[str, ...] = ("devices", "telemetry", "telemetry_latest", "device_alarms", "device_alarm_pending", "device_rpc_calls")
