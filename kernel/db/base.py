"""Declarative bases shared by kernel, tenants and plugins.

* ``Base`` — metadata with a naming convention (stable constraint names for Alembic).
* ``GlobalRecord`` — UUID key + timestamps, for the few global tables (tenants, accounts).
* ``TenantRecord`` — a tenant-owned row. Its primary key is ``(tenant_id, id)`` and every foreign
  key to another tenant table includes ``tenant_id`` (see :func:`tenant_fk`): the database itself
  refuses a row pointing into another tenant, and the schema is ready for Citus distribution by
  ``tenant_id``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, MetaData, TypeDecorator, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Linli stores aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=None, onupdate=utcnow)


class GlobalRecord(Timestamped):
    """A row that belongs to the platform, not to one tenant."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TenantScoped:
    """Marker + column for tenant-owned rows. The tenant scope filters and stamps these."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(
            ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True
        )


class TenantRecord(TenantScoped, Timestamped):
    """A tenant-owned row with a UUID id; primary key ``(tenant_id, id)``."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def tenant_fk(column: str, target_table: str, *, ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    """A foreign key to another tenant table that carries ``tenant_id`` along with the id."""
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target_table}.tenant_id", f"{target_table}.id"],
        ondelete=ondelete,
    )
