"""The tenants (property firms) of the platform, as plugins may see them: for CLI commands and
platform-wide jobs. Scheduled work per enabled tenant goes through :mod:`kernel.sdk.jobs`."""

from __future__ import annotations

from kernel.tenancy import Tenant, TenantStatus, all_tenants, tenant_by_slug

__all__ = ["Tenant", "TenantStatus", "all_tenants", "tenant_by_slug"]
