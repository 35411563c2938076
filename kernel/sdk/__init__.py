"""The public plugin SDK. Plugins — built-in and third-party — import only from ``kernel.sdk``
and its submodules; everything exported is documented in docs/plugins/sdk.md.

A plugin is a module with a ``MANIFEST`` and ``@hookimpl`` functions::

    from kernel.sdk import PluginManifest, hookimpl, SDK_API_VERSION
    from kernel.sdk.graphql import GraphQLContribution

    MANIFEST = PluginManifest(name="parcels", version="1.0.0", sdk_api=SDK_API_VERSION)

    @hookimpl
    def register_graphql():
        return GraphQLContribution(query=(ParcelQuery,))

registered under the ``linli.plugins`` entry-point group of its distribution.

The submodules, one per concern: :mod:`~kernel.sdk.graphql`, :mod:`~kernel.sdk.db`,
:mod:`~kernel.sdk.jobs`, :mod:`~kernel.sdk.estate`, :mod:`~kernel.sdk.events`,
:mod:`~kernel.sdk.errors`, :mod:`~kernel.sdk.auditlog`, :mod:`~kernel.sdk.devices`,
:mod:`~kernel.sdk.chain`, :mod:`~kernel.sdk.live`, :mod:`~kernel.sdk.privacy`, :mod:`~kernel.sdk.erasure`,
:mod:`~kernel.sdk.regulator`, :mod:`~kernel.sdk.tenants`, :mod:`~kernel.sdk.runtime`,
:mod:`~kernel.sdk.repository`, :mod:`~kernel.sdk.inputs`, :mod:`~kernel.sdk.vocabulary`,
:mod:`~kernel.sdk.notifications`, :mod:`~kernel.sdk.consent`, :mod:`~kernel.sdk.members`.

Importing ``kernel.sdk`` for :data:`hookimpl` and :class:`PluginManifest` is light: the names
below that need SQLAlchemy, strawberry, casbin, web3 or the device layer are re-exported lazily
(PEP 562 module ``__getattr__``) and load their submodule on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pluggy

from kernel.plugins.contributions import (
    CallBatch,
    CallVerdict,
    ContractContribution,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
    WebPage,
)
from kernel.sdk_version import SDK_API_VERSION

#: Marks a plugin's hook implementations (``@hookimpl``, ``@hookimpl(tryfirst=True)``, ...).
hookimpl = pluggy.HookimplMarker("linli")
#: Marks the specs of hooks a plugin declares for other plugins (see ``register_hookspecs``).
hookspec = pluggy.HookspecMarker("linli")


def plugin_hooks(runtime: Any) -> Any:
    """The hook relay (``pluggy.HookRelay``) to call hooks plugins declared through
    ``register_hookspecs``: ``await`` each awaitable in ``plugin_hooks(runtime).<name>(**kw)``."""
    return runtime.host.pm.hook

#: Name → submodule of ``kernel.sdk`` that defines it, loaded on first attribute access.
_LAZY: dict[str, str] = {
    # audit
    "audit": "auditlog",
    "audit_queued": "auditlog",
    # chain
    "CallOutcome": "chain",
    "CommunityContracts": "chain",
    "DeployContext": "chain",
    "ProjectionContext": "chain",
    "ReconcileContext": "chain",
    "TypedStruct": "chain",
    "devchain": "devchain",
    "forget_chain_state": "chain",
    "ChainDeployment": "chain",
    "ChainEvent": "chain",
    "ChainTransaction": "chain",
    "ChainUnit": "chain",
    "ContractRevert": "chain",
    "UnitToRegister": "chain",
    "chain_client": "chain",
    "deployment_for": "chain",
    "enqueue_chain_call": "chain",
    "ensure_community_contracts": "chain",
    "ensure_scope": "chain",
    "holder_account": "chain",
    "holder_address": "chain",
    "register_self_custody": "chain",
    "sync_units": "chain",
    "transaction_for": "chain",
    "voter_account": "chain",
    # tenants
    "tenant_id_by_slug": "tenants",
    # services
    "service": "services",
    # db
    "Base": "db",
    "GlobalRecord": "db",
    "TenantRecord": "db",
    "TenantScoped": "db",
    "Timestamped": "db",
    "UTCDateTime": "db",
    "tenant_fk": "db",
    "utcnow": "db",
    # devices
    "AlarmRule": "devices",
    "CommandParam": "devices",
    "DeviceCommand": "devices",
    "DeviceProfile": "devices",
    "TelemetryKey": "devices",
    "devices": "devices",
    # errors
    "BadUserInput": "errors",
    "ChainUnavailable": "errors",
    "Conflict": "errors",
    "Forbidden": "errors",
    "LinliError": "errors",
    "NotFound": "errors",
    "PluginDisabled": "errors",
    "QuotaExceeded": "errors",
    "RateLimited": "errors",
    "Unauthenticated": "errors",
    # events
    "Event": "events",
    "HandlerContext": "events",
    "enqueue_outbox": "events",
    # inputs
    "parse_input": "inputs",
    # jobs
    "enabled_plugins": "jobs",
    "for_each_enabled_tenant": "jobs",
    # live
    "NotificationTooLarge": "live",
    "Notifier": "live",
    "TenantHub": "live",
    "notifier": "live",
    "tenant_hub": "live",
    # consent
    "ConsentPurpose": "consent",
    "grant_consent": "consent",
    "require_consent": "consent",
    "revoke_consent": "consent",
    # notifications
    "ChannelUnavailable": "notifications",
    "DeliveryRejected": "notifications",
    "NotificationChannel": "notifications",
    "NotificationTemplate": "notifications",
    "OutgoingMessage": "notifications",
    "Recipient": "notifications",
    "Urgency": "notifications",
    "notify": "notifications",
    "accounts_with_roles": "notifications",
    # members
    "require_member": "members",
    "roles_of": "members",
    # privacy
    "mask_id_number": "privacy",
    "mask_name": "privacy",
    "mask_phone": "privacy",
    # repository
    "Repository": "repository",
    "Viewer": "repository",
    # vocabulary
    "AlarmSeverity": "vocabulary",
    "AlarmStatus": "vocabulary",
    "FacilityCategory": "vocabulary",
    # runtime
    "Runtime": "runtime",
    "build_runtime": "runtime",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    submodule = importlib.import_module(f"{__name__}.{module}")
    # ``devices`` is the submodule itself (it is also the device service's namespace)
    value = submodule if name == module else getattr(submodule, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from kernel.sdk import devchain, devices
    from kernel.sdk.auditlog import audit, audit_queued
    from kernel.sdk.chain import (
        CallOutcome,
        ChainDeployment,
        ChainEvent,
        ChainTransaction,
        ChainUnit,
        CommunityContracts,
        ContractRevert,
        DeployContext,
        ProjectionContext,
        ReconcileContext,
        TypedStruct,
        UnitToRegister,
        chain_client,
        deployment_for,
        enqueue_chain_call,
        ensure_community_contracts,
        ensure_scope,
        forget_chain_state,
        holder_account,
        holder_address,
        register_self_custody,
        sync_units,
        transaction_for,
        voter_account,
    )
    from kernel.sdk.consent import ConsentPurpose, grant_consent, require_consent, revoke_consent
    from kernel.sdk.db import (
        Base,
        GlobalRecord,
        TenantRecord,
        TenantScoped,
        Timestamped,
        UTCDateTime,
        tenant_fk,
        utcnow,
    )
    from kernel.sdk.devices import (
        AlarmRule,
        CommandParam,
        DeviceCommand,
        DeviceProfile,
        TelemetryKey,
    )
    from kernel.sdk.errors import (
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
    from kernel.sdk.events import Event, HandlerContext, enqueue_outbox
    from kernel.sdk.inputs import parse_input
    from kernel.sdk.jobs import enabled_plugins, for_each_enabled_tenant
    from kernel.sdk.live import NotificationTooLarge, Notifier, TenantHub, notifier, tenant_hub
    from kernel.sdk.members import require_member, roles_of
    from kernel.sdk.notifications import (
        ChannelUnavailable,
        DeliveryRejected,
        NotificationChannel,
        NotificationTemplate,
        OutgoingMessage,
        Recipient,
        Urgency,
        accounts_with_roles,
        notify,
    )
    from kernel.sdk.privacy import mask_id_number, mask_name, mask_phone
    from kernel.sdk.repository import Repository, Viewer
    from kernel.sdk.runtime import Runtime, build_runtime
    from kernel.sdk.services import service
    from kernel.sdk.tenants import tenant_id_by_slug
    from kernel.sdk.vocabulary import AlarmSeverity, AlarmStatus, FacilityCategory

__all__ = [
    "AlarmRule",
    "AlarmSeverity",
    "AlarmStatus",
    "CallBatch",
    "CallOutcome",
    "CallVerdict",
    "CommunityContracts",
    "ContractContribution",
    "DeployContext",
    "ProjectionContext",
    "ReconcileContext",
    "TypedStruct",
    "devchain",
    "forget_chain_state",
    "service",
    "tenant_id_by_slug",
    "audit",
    "audit_queued",
    "BadUserInput",
    "Base",
    "build_runtime",
    "chain_client",
    "ChainDeployment",
    "ChainEvent",
    "ChainTransaction",
    "ChainUnavailable",
    "ChainUnit",
    "CommandParam",
    "Conflict",
    "ContractRevert",
    "deployment_for",
    "DeviceCommand",
    "DeviceProfile",
    "devices",
    "enabled_plugins",
    "enqueue_chain_call",
    "enqueue_outbox",
    "ensure_community_contracts",
    "ensure_scope",
    "Event",
    "FacilityCategory",
    "for_each_enabled_tenant",
    "Forbidden",
    "GlobalRecord",
    "Grant",
    "GraphQLContribution",
    "HandlerContext",
    "holder_account",
    "holder_address",
    "hookimpl",
    "hookspec",
    "plugin_hooks",
    "ChannelUnavailable",
    "ConsentPurpose",
    "grant_consent",
    "require_consent",
    "revoke_consent",
    "DeliveryRejected",
    "NotificationChannel",
    "NotificationTemplate",
    "OutgoingMessage",
    "Recipient",
    "Urgency",
    "accounts_with_roles",
    "notify",
    "LinliError",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "NotFound",
    "NotificationTooLarge",
    "Notifier",
    "notifier",
    "Permission",
    "PermissionSet",
    "PluginDisabled",
    "PluginManifest",
    "parse_input",
    "QuotaExceeded",
    "RateLimited",
    "register_self_custody",
    "Repository",
    "Runtime",
    "ScheduledJob",
    "SDK_API_VERSION",
    "sync_units",
    "TelemetryKey",
    "tenant_fk",
    "tenant_hub",
    "TenantHub",
    "TenantRecord",
    "TenantScoped",
    "Timestamped",
    "transaction_for",
    "Unauthenticated",
    "UnitToRegister",
    "UTCDateTime",
    "WebPage",
    "utcnow",
    "Viewer",
    "voter_account",
    # notifications, consent, members
    "require_member",
    "roles_of",
]
