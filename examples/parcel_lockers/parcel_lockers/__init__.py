"""Smart parcel lockers (智能快递柜): a third-party Linli plugin built on ``kernel.sdk`` alone.

A courier's deposit, reported by the locker's telemetry, becomes a parcel with a pickup code for
the people of the recipient unit; the code picks it up through GraphQL, which opens the
compartment with the locker's RPC; parcels left past the free storage time are reminded every
day and their storage days billed through the fees plugin's ``fees_billing_lines`` hook.
See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
    WebPage,
    hookimpl,
)

if TYPE_CHECKING:
    from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="parcel_lockers",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Smart parcel lockers (智能快递柜): pickup codes, pickup through the locker's RPC, "
    "overdue reminders, overdue storage billed through fees",
)

PERMISSIONS = (
    Permission("parcels", "read", "See every parcel in the tenant's lockers (without pickup codes)"),
    Permission("parcels", "read_own", "See the parcels of one's own units, with their pickup codes"),
    Permission("parcels", "collect", "Pick a parcel up with its pickup code (opens the compartment)"),
)
GRANTS = (
    *(Grant(r, "parcels", "read") for r in ("tenant_admin", "property_staff")),
    *(Grant(r, "parcels", "read_own") for r in ("owner", "resident")),
    *(Grant(r, "parcels", "collect") for r in ("owner", "resident", "property_staff")),
)
REMINDER_INTERVAL_SECONDS = 3600.0


@hookimpl
def register_models() -> list[type]:
    from parcel_lockers.models import Parcel

    return [Parcel]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from parcel_lockers.graphql import ParcelMutation, ParcelNode, ParcelQuery

    return GraphQLContribution(query=(ParcelQuery,), mutation=(ParcelMutation,), types=(ParcelNode,))


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_device_profiles() -> list[Any]:
    from parcel_lockers.profile import PARCEL_LOCKER

    return [PARCEL_LOCKER]


@hookimpl
def register_notification_templates() -> list[Any]:
    from parcel_lockers.notifications import TEMPLATES

    return list(TEMPLATES)


async def on_telemetry_event(ctx: Any, event: Any) -> None:
    """A locker's deposit message → a parcel (other devices' events are not ours)."""
    from parcel_lockers.service import record_arrival

    await record_arrival(ctx.runtime, ctx.session, ctx.tenant_id, event.payload)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {"device.telemetry_event": on_telemetry_event}


async def remind_all(runtime: Runtime) -> int:
    """The reminder job: overdue parcels in every tenant that enabled the plugin."""
    from kernel.sdk.jobs import for_each_enabled_tenant
    from parcel_lockers.service import remind_overdue

    counts = await for_each_enabled_tenant(
        runtime, MANIFEST.name, lambda session, tenant: remind_overdue(runtime, session, tenant.id)
    )
    return sum(counts)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("parcel_lockers.overdue_reminders", REMINDER_INTERVAL_SECONDS, remind_all)]


@hookimpl(optionalhook=True)
async def fees_billing_lines(session: Any, tenant_id: Any, period: str, community_id: Any) -> list[dict[str, Any]]:
    """Overdue storage days of the period's collected parcels, billed at the firm's
    ``PARCEL_STORAGE`` fee item (fen per day). Optional: loads without the fees plugin."""
    from kernel.sdk.jobs import enabled_plugins
    from parcel_lockers.service import STORAGE_ITEM_CODE, storage_lines

    if MANIFEST.name not in await enabled_plugins(session):
        return []
    return [
        {"unit_id": line.unit_id, "item_code": STORAGE_ITEM_CODE, "quantity": line.days}
        for line in await storage_lines(session, period)
    ]


@hookimpl
def register_web_pages() -> list[WebPage]:
    # a plain ES module, no build step: the gateway serves parcel_lockers/web/ under
    # /web-plugins/parcel_lockers/; the console mounts parcels.js, the resident app my-parcels.js
    return [
        WebPage(
            key="parcels",
            title={"zh-CN": "快递柜包裹", "en": "Parcel lockers"},
            permission="parcels:read",
            module=str(Path(__file__).resolve().parent / "web" / "parcels.js"),
            order=60,
            icon="parcels",
        ),
        # the resident app's page: my units' parcels with their pickup codes
        WebPage(
            key="my-parcels",
            title={"zh-CN": "我的快递", "en": "My parcels"},
            client="app",
            permission="parcels:read_own",
            module=str(Path(__file__).resolve().parent / "web" / "my-parcels.js"),
            order=50,
            icon="parcels",
        ),
    ]
