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
from kernel.chain import ContractRevert, ballot_typed_data, recover_ballot_signer, sign_ballot
from kernel.chain.custody import (
    holder_account,
    holder_address,
    register_self_custody,
    voter_account,
)
from kernel.chain.models import ChainDeployment, ChainEvent, ChainTransaction, ChainUnit
from kernel.chain.relay import (
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    transaction_for,
)
from kernel.chain.units import UnitToRegister, ensure_scope, sync_units
from kernel.consent import ConsentPurpose, grant_consent, require_consent, revoke_consent
from kernel.crypto import mask_id_number, mask_name, mask_phone
from kernel.db.base import (
    Base,
    GlobalRecord,
    TenantRecord,
    TenantScoped,
    Timestamped,
    tenant_fk,
    utcnow,
)
from kernel.devices import service as devices
from kernel.devices.profiles import (
    AlarmRule,
    CommandParam,
    DeviceCommand,
    DeviceProfile,
    TelemetryKey,
)
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
from kernel.identity import members
from kernel.identity.authz import Grant
from kernel.identity.members import require_member
from kernel.notifications import (
    ChannelUnavailable,
    DeliveryRejected,
    NotificationChannel,
    NotificationTemplate,
    OutgoingMessage,
    Recipient,
    Urgency,
    notify,
)
from kernel.notify import NotificationTooLarge, Notifier, TenantHub, notifier, tenant_hub
from kernel.outbox import enqueue as enqueue_outbox
from kernel.plugins.contributions import (
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
)
from kernel.plugins.enablement import enabled_plugins
from kernel.sdk_version import SDK_API_VERSION

hookimpl = pluggy.HookimplMarker("linli")


def build_runtime(settings=None):  # type: ignore[no-untyped-def]
    """Build the process runtime from the environment (``LINLI_*``), for plugin CLI commands.

    Call ``await runtime.db.dispose()`` when done. Imported lazily: the runtime imports the host.
    """
    from kernel.runtime import Runtime

    return Runtime.build(settings)

__all__ = [
    "members",
    "require_member",
    "ChainDeployment",
    "ChainEvent",
    "ChainTransaction",
    "ChainUnit",
    "ContractRevert",
    "UnitToRegister",
    "ballot_typed_data",
    "chain_client",
    "deployment_for",
    "enqueue_chain_call",
    "ensure_community_contracts",
    "ensure_scope",
    "holder_account",
    "holder_address",
    "recover_ballot_signer",
    "register_self_custody",
    "sign_ballot",
    "sync_units",
    "transaction_for",
    "voter_account",
    "SDK_API_VERSION",
    "AlarmRule",
    "CommandParam",
    "DeviceCommand",
    "DeviceProfile",
    "TelemetryKey",
    "devices",
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
    "NotificationTooLarge",
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
    "notify",
    "Notifier",
    "Permission",
    "PermissionSet",
    "PluginDisabled",
    "PluginManifest",
    "QuotaExceeded",
    "RateLimited",
    "ScheduledJob",
    "TenantRecord",
    "TenantHub",
    "TenantScoped",
    "Timestamped",
    "Unauthenticated",
    "audit",
    "build_runtime",
    "enabled_plugins",
    "enqueue_outbox",
    "hookimpl",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "notifier",
    "tenant_fk",
    "tenant_hub",
    "utcnow",
]
