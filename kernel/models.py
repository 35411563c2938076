"""Imports every kernel model so that ``Base.metadata`` is complete."""

from kernel.audit import AuditEntry, AuditHead
from kernel.identity.models import Account, ApiKey, LoginFailure, PolicyRule, RefreshToken
from kernel.outbox import OutboxMessage
from kernel.plugins.enablement import PluginEnablement
from kernel.tenancy import Tenant

__all__ = [
    "Account",
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "LoginFailure",
    "OutboxMessage",
    "PluginEnablement",
    "PolicyRule",
    "RefreshToken",
    "Tenant",
]
