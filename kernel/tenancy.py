"""The tenant row: a property-management firm (物业公司) or regional operator.

Lifecycle operations (provision, suspend, export, delete) live in ``tenants.lifecycle``; the
kernel only needs the table every tenant-owned row points at.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, GlobalRecord


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(GlobalRecord, Base):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE)
    plan: Mapped[str] = mapped_column(String(32), default="standard")
    #: Bumped whenever the tenant's policies change, so cached enforcers reload.
    policy_version: Mapped[int] = mapped_column(default=0)
    #: Bumped whenever a login session is revoked or an account (de)activated, so the cached
    #: revocation sets (kernel.identity.revocation) reload.
    auth_version: Mapped[int] = mapped_column(default=0)
    suspended_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


def new_tenant_id() -> uuid.UUID:
    return uuid.uuid4()


async def _find_by_slug(runtime: Any, slug: str) -> Tenant | None:
    async with runtime.db.platform() as s:
        return await s.scalar(select(Tenant).where(Tenant.slug == slug))  # type: ignore[no-any-return]


async def tenant_id_by_slug(runtime: Any, slug: str) -> uuid.UUID | None:
    """The id of the tenant called ``slug`` (``None`` when there is none), e.g. the demo tenant's."""
    tenant = await _find_by_slug(runtime, slug)
    return tenant.id if tenant is not None else None


async def all_tenants(runtime: Any) -> list[Tenant]:
    """Every tenant, active or suspended, ordered by slug (a platform read, no tenant scope)."""
    async with runtime.db.platform() as s:
        return list((await s.scalars(select(Tenant).order_by(Tenant.slug))).all())


async def tenant_by_slug(runtime: Any, slug: str) -> Tenant:
    """The tenant named ``slug``; NOT_FOUND otherwise."""
    from kernel.errors import NotFound

    tenant = await _find_by_slug(runtime, slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}; see `linli tenant list`")
    return tenant
