"""Property fees (物业收费): fee items by area, fixed (parking) and meter (utilities), billing runs
per period, bills per unit, payments from a provider's signed webhook, arrears and reminders,
receipts and collection rates. Money in integer fen. See docs/fees.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    ScheduledJob,
    hookimpl,
)
from kernel.sdk.jobs import for_each_enabled_tenant
from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="fees",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Fee items, billing runs, bills per unit, provider payments by webhook, arrears and collection rates",
)

REMINDER_INTERVAL_SECONDS = 3600.0


@hookimpl
def register_models() -> list[type]:
    from plugins.fees import models as m

    return [
        m.FeeItem,
        m.FeeAssignment,
        m.MeterReading,
        m.BillingRun,
        m.Bill,
        m.Payment,
        m.FeeSettings,
        m.FeeProviderSettings,
        m.PaymentOrder,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.fees.graphql import SCALARS, FeeMutation, FeeQuery, FeeSubscription

    return GraphQLContribution(
        query=(FeeQuery,),
        mutation=(FeeMutation,),
        subscription=(FeeSubscription,),
        scalar_map=SCALARS,
    )


PERMISSIONS = (
    Permission("fees", "read", "See every fee item, bill, billing run and arrear"),
    Permission(
        "fees", "read_own", "See the bills and receipts of one's own units, and pay them online"
    ),
    Permission(
        "fees",
        "manage",
        "Define fee items, assign them, record meter readings, rotate the webhook secret",
    ),
    Permission("fees", "bill", "Run billing for a period"),
    Permission("fees", "collect", "Record money taken at the counter"),
    Permission("fees", "stats", "See collection rates"),
)
GRANTS = (
    *(Grant(r, "fees", "read") for r in ("tenant_admin", "property_staff", "auditor")),
    *(Grant(r, "fees", "read_own") for r in ("owner", "resident")),
    *(Grant(r, "fees", "manage") for r in ("tenant_admin",)),
    *(Grant(r, "fees", "bill") for r in ("tenant_admin", "property_staff")),
    *(Grant(r, "fees", "collect") for r in ("tenant_admin", "property_staff")),
    *(
        Grant(r, "fees", "stats")
        for r in ("tenant_admin", "property_staff", "committee_member", "auditor")
    ),
)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_hookspecs() -> Any:
    from plugins.fees import hookspecs

    return hookspecs


@hookimpl
def register_routes() -> list[Any]:
    from plugins.fees.webhook import router

    return [router]


@hookimpl
def register_commands(cli: Any) -> None:
    from plugins.fees.cli import fees_cli

    cli.add_typer(fees_cli, name="fees")


async def remind_all(runtime: Runtime, *, now: Any = None, only: set[Any] | None = None) -> int:
    """The reminder job: ``fee.reminder_due`` for overdue bills in every tenant that enabled fees."""
    from plugins.fees.service import remind_overdue

    async def remind(session: Any, tenant: Any) -> int:
        return await remind_overdue(session, runtime, tenant.id, now=now)

    counts = await for_each_enabled_tenant(runtime, "fees", remind, only=only, failure_event="fee_reminders_failed")
    return sum(counts)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("fees.remind_overdue", REMINDER_INTERVAL_SECONDS, remind_all)]


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.fees.notifications import HANDLERS

    return dict(HANDLERS)


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.fees.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="fees", title={"zh-CN": "物业费", "en": "Fees"}, permission="fees:read", order=40, icon="fees"),
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.fees.kpis import KPIS

    return list(KPIS)


@hookimpl
async def on_demo_seeded(runtime: Runtime, tenant_id: Any) -> None:
    """``linli demo``: the property fee billed for two months, most of it paid (plugins/fees/demo.py)."""
    from plugins.fees.demo import seed_fees_demo

    await seed_fees_demo(runtime, tenant_id)
