"""The public plugin SDK. Plugins — built-in and third-party — import only from here
(and from ``tenants``' public API). Everything exported is documented in docs/plugins/.

A plugin is a module with a ``MANIFEST`` and ``@hookimpl`` functions::

    from kernel.sdk import PluginManifest, hookimpl, SDK_API_VERSION

    MANIFEST = PluginManifest(name="parcels", version="1.0.0", sdk_api=SDK_API_VERSION)

    @hookimpl
    def register_graphql():
        return GraphQLContribution(query=(ParcelQuery,))

registered under the ``linli.plugins`` entry-point group of its distribution.
"""

from __future__ import annotations

import pluggy

from kernel.audit import record as audit
from kernel.crypto import mask_id_number, mask_name, mask_phone
from kernel.db.base import Base, GlobalRecord, TenantRecord, TenantScoped, Timestamped, tenant_fk, utcnow
from kernel.errors import (
    BadUserInput,
    ChainUnavailable,
    Conflict,
    Forbidden,
    LinliError,
    NotFound,
    PluginDisabled,
    QuotaExceeded,
    RateLimited,
    Unauthenticated,
)
from kernel.events import Event, HandlerContext
from kernel.identity.authz import Grant
from kernel.outbox import enqueue as enqueue_outbox
from kernel.plugins.contributions import (
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
)
from kernel.sdk_version import SDK_API_VERSION

hookimpl = pluggy.HookimplMarker("linli")

__all__ = [
    "SDK_API_VERSION",
    "BadUserInput",
    "Base",
    "ChainUnavailable",
    "Conflict",
    "Event",
    "Forbidden",
    "GlobalRecord",
    "Grant",
    "GraphQLContribution",
    "HandlerContext",
    "LinliError",
    "NotFound",
    "Permission",
    "PermissionSet",
    "PluginDisabled",
    "PluginManifest",
    "QuotaExceeded",
    "RateLimited",
    "ScheduledJob",
    "TenantRecord",
    "TenantScoped",
    "Timestamped",
    "Unauthenticated",
    "audit",
    "enqueue_outbox",
    "hookimpl",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "tenant_fk",
    "utcnow",
]
