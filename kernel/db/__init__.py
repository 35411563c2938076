"""Storage: typed declarative bases, the tenant scope, engines and sessions, migrations."""

from kernel.db.base import Base, GlobalRecord, TenantRecord, TenantScoped, tenant_fk, utcnow
from kernel.db.engine import Database
from kernel.db.scope import TenancyError, tenant_session, unscoped_session

__all__ = [
    "Base",
    "Database",
    "GlobalRecord",
    "TenancyError",
    "TenantRecord",
    "TenantScoped",
    "tenant_fk",
    "tenant_session",
    "unscoped_session",
    "utcnow",
]
