"""Imports every kernel model so that ``Base.metadata`` is complete."""

from kernel.audit import AuditEntry, AuditHead
from kernel.chain.models import (
    ChainDeployment,
    ChainEvent,
    ChainKey,
    ChainScope,
    ChainTransaction,
    ChainUnit,
)
from kernel.consent.models import Consent, ConsentRecord
from kernel.consent.reads import PersonalDataRead
from kernel.devices.models import (
    AlarmPending,
    Device,
    DeviceAlarm,
    DeviceCredential,
    LatestTelemetry,
    RpcCall,
    TelemetryPoint,
)
from kernel.identity.models import (
    Account,
    ApiKey,
    Invitation,
    LoginAttempt,
    LoginSession,
    PasswordReset,
    PlatformAccount,
    PolicyRule,
    RefreshToken,
)
from kernel.keys import TenantDataKey
from kernel.notifications.models import (
    DutyShift,
    EscalationPolicy,
    EscalationRecord,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationSettings,
)
from kernel.outbox import OutboxMessage
from kernel.plugins.enablement import PluginEnablement
from kernel.supervision.models import Jurisdiction
from kernel.tenancy import Tenant

__all__ = [
    "TenantDataKey",
    "ChainDeployment",
    "ChainEvent",
    "ChainKey",
    "ChainScope",
    "ChainTransaction",
    "ChainUnit",
    "AlarmPending",
    "Device",
    "DeviceAlarm",
    "DutyShift",
    "EscalationPolicy",
    "EscalationRecord",
    "DeviceCredential",
    "LatestTelemetry",
    "RpcCall",
    "TelemetryPoint",
    "Account",
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "Consent",
    "ConsentRecord",
    "Invitation",
    "Jurisdiction",
    "LoginAttempt",
    "LoginSession",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "NotificationSettings",
    "PasswordReset",
    "PlatformAccount",
    "OutboxMessage",
    "PersonalDataRead",
    "PluginEnablement",
    "PolicyRule",
    "RefreshToken",
    "Tenant",
]
