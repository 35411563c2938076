"""Database bases for plugin models and the helpers plugin migrations need.

Models derive from :class:`Base` plus :class:`TenantRecord` (a tenant-owned row, primary key
``(tenant_id, id)``) or :class:`GlobalRecord`; foreign keys between tenant tables use
:func:`tenant_fk`. A migration creating a tenant table calls :func:`enable_tenant_rls` for it
(and :func:`disable_tenant_rls` on downgrade) and types its timestamp columns :class:`UTCDateTime`.
"""

from __future__ import annotations

from kernel.db.base import (
    Base,
    GlobalRecord,
    TenantRecord,
    TenantScoped,
    Timestamped,
    UTCDateTime,
    tenant_fk,
    utcnow,
)
from kernel.db.rls import disable_tenant_rls, enable_tenant_rls

__all__ = [
    "Base",
    "GlobalRecord",
    "TenantRecord",
    "TenantScoped",
    "Timestamped",
    "UTCDateTime",
    "disable_tenant_rls",
    "enable_tenant_rls",
    "tenant_fk",
    "utcnow",
]
