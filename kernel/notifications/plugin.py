"""The notification service's own hook implementations: a core plugin, like the estate.

It contributes the built-in channels (inbox, e-mail, webhook) and the kernel's templates
through the same hooks a third-party plugin uses, plus the inbox/preferences/delivery-log
GraphQL and the ``notifications:read_log`` permission, the duty roster and escalation GraphQL
(``notifications:read_duty``, ``notifications:manage_duty``) with the job that escalates
unacknowledged alerts, and the consent GraphQL (``consents:read`` for staff).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from kernel.plugins.contributions import (
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
)
from kernel.sdk_version import SDK_API_VERSION

if TYPE_CHECKING:  # the service (SQLAlchemy, casbin) loads when a hook is called, not on `linli --help`
    from kernel.notifications.channels import NotificationChannel
    from kernel.notifications.templates import NotificationTemplate

MANIFEST = PluginManifest(
    name="notifications",
    version="0.2.0",
    sdk_api=SDK_API_VERSION,
    description="Notifications (inbox, e-mail, signed webhook) and consent records",
    core=True,
    default_enabled=True,
)

hookimpl = pluggy.HookimplMarker("linli")

LOG_READERS = ("tenant_admin", "property_staff")
CONSENT_READERS = ("tenant_admin", "property_staff", "auditor")
#: How often the worker escalates the alerts nobody acknowledged in time.
ESCALATION_INTERVAL_SECONDS = 15.0
DUTY_MANAGERS = ("tenant_admin", "property_staff")
DUTY_READERS = ("tenant_admin", "property_staff", "technician", "grid_worker", "auditor")


@hookimpl
def register_notification_channels() -> list[NotificationChannel]:
    from kernel.notifications.channels import INBOX
    from kernel.notifications.email import EMAIL
    from kernel.notifications.webhook import WEBHOOK

    return [INBOX, EMAIL, WEBHOOK]


@hookimpl
def register_notification_templates() -> list[NotificationTemplate]:
    from kernel.notifications.templates import KERNEL_TEMPLATES

    return list(KERNEL_TEMPLATES)


@hookimpl
def register_graphql() -> GraphQLContribution:
    from kernel.consent.graphql import ConsentMutation, ConsentQuery
    from kernel.notifications.duty_graphql import DutyMutation, DutyQuery
    from kernel.notifications.graphql import (
        NotificationsMutation,
        NotificationsQuery,
        NotificationsSubscription,
    )
    from kernel.supervision.graphql import SupervisionQuery

    return GraphQLContribution(
        query=(NotificationsQuery, ConsentQuery, DutyQuery, SupervisionQuery),
        mutation=(NotificationsMutation, ConsentMutation, DutyMutation),
        subscription=(NotificationsSubscription,),
    )


@hookimpl
def register_permissions() -> PermissionSet:
    permissions = (
        Permission("notifications", "read_log", "See the notification delivery log (status, attempts, errors)"),
        Permission("consents", "read", "See a register person's consents and their history"),
        Permission("notifications", "read_duty", "See the duty roster, who is on duty and the escalation times"),
        Permission("notifications", "manage_duty", "Set up the duty roster and the escalation times"),
    )
    grants = [Grant(r, "notifications", "read_log") for r in LOG_READERS]
    grants += [Grant(r, "notifications", "read_duty") for r in DUTY_READERS]
    grants += [Grant(r, "notifications", "manage_duty") for r in DUTY_MANAGERS]
    grants += [Grant(r, "consents", "read") for r in CONSENT_READERS]
    return PermissionSet(permissions=permissions, grants=tuple(grants))


async def _escalate_due(runtime: Any) -> int:
    from kernel.notifications.escalation import escalate_due_all

    return await escalate_due_all(runtime)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("notifications.escalate_due", ESCALATION_INTERVAL_SECONDS, _escalate_due)]


@hookimpl
async def on_shutdown(runtime: Any) -> None:
    from kernel.notifications import email, webhook

    await email.sender(runtime).close()
    await webhook.close(runtime)
