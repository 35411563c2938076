"""Home elderly care (居家养老): care recipients with consent, emergency contacts with their own
limited login, the care plan (daily check-ins, visits and services), care devices, no-activity
detection against each person's baseline, and an alert flow escalated through the kernel's duty
roster. See docs/care.md."""

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
    WebPage,
    hookimpl,
)
from kernel.sdk.jobs import for_each_enabled_tenant
from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="care",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Home elderly care: check-ins, care devices, no-activity detection, escalated alerts",
)

MONITOR_INTERVAL_SECONDS = 60.0
STAFF = ("tenant_admin", "property_staff")

PERMISSIONS = (
    Permission(
        "care", "read", "See care recipients (masked), alerts, check-ins, services and statistics"
    ),
    Permission(
        "care", "read_own", "An emergency contact: see only their relative's status and alerts"
    ),
    Permission(
        "care", "manage", "Enrol recipients, manage contacts, devices and plans; read health notes"
    ),
    Permission(
        "care", "respond", "Take, attend and resolve alerts; log check-in calls and services"
    ),
    Permission("care", "check_in", "A recipient's own daily check-in (I'm fine)"),
)
GRANTS = (
    *(Grant(r, "care", "read") for r in (*STAFF, "grid_worker", "auditor")),
    Grant("care_contact", "care", "read_own"),
    *(Grant(r, "care", "manage") for r in STAFF),
    *(Grant(r, "care", "respond") for r in (*STAFF, "grid_worker")),
    *(Grant(r, "care", "check_in") for r in ("owner", "resident")),
)


@hookimpl
def register_models() -> list[type]:
    from plugins.care import models as m

    return [
        m.CareRecipient,
        m.CareContact,
        m.CareDevice,
        m.CareActivity,
        m.CareCheckIn,
        m.CareService,
        m.CareAlert,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.care.graphql import CareMutation, CareQuery, CareRecipient

    return GraphQLContribution(query=(CareQuery,), mutation=(CareMutation,), types=(CareRecipient,))


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_device_profiles() -> list[Any]:
    from plugins.care.profiles import PROFILES

    return list(PROFILES)


@hookimpl
def register_consent_purposes() -> list[Any]:
    from plugins.care.consent import HEALTH_MONITORING

    return [HEALTH_MONITORING]


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.care.alerts import ALERT_TEMPLATE

    return [ALERT_TEMPLATE]


async def _on_alarm(ctx: Any, event: Any) -> None:
    from plugins.care.monitoring import on_device_alarm

    await on_device_alarm(ctx.session, ctx.runtime, event.payload)


async def _on_telemetry(ctx: Any, event: Any) -> None:
    from plugins.care.monitoring import on_telemetry_event

    await on_telemetry_event(ctx.session, event.payload)


async def _on_consent_revoked(ctx: Any, event: Any) -> None:
    from plugins.care.service import on_consent_changed

    await on_consent_changed(ctx.session, event.payload, granted=False)


async def _on_consent_granted(ctx: Any, event: Any) -> None:
    from plugins.care.service import on_consent_changed

    await on_consent_changed(ctx.session, event.payload, granted=True)


async def _on_member_joined(ctx: Any, event: Any) -> None:
    from plugins.care.service import link_joined_member

    await link_joined_member(ctx.session, event.payload)


async def _on_escalated(ctx: Any, event: Any) -> None:
    from plugins.care.alerts import on_escalated

    await on_escalated(ctx.session, ctx.runtime, event.payload)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {
        "device.alarm_raised": _on_alarm,
        "device.telemetry_event": _on_telemetry,
        "consent.revoked": _on_consent_revoked,
        "consent.granted": _on_consent_granted,
        "member.joined": _on_member_joined,
        "escalation.escalated": _on_escalated,
    }


async def monitor_all(runtime: Runtime, *, now: Any = None, only: set[Any] | None = None) -> int:
    """The scheduled job: missed check-ins and no-activity in every tenant that enabled care;
    the activity trail past its retention is deleted. Returns how many alerts were raised."""
    from plugins.care.monitoring import (
        check_missed_check_ins,
        check_no_activity,
        purge_old_activity,
    )

    async def monitor(session: Any, tenant: Any) -> int:
        raised = await check_missed_check_ins(session, runtime, now=now)
        raised += await check_no_activity(session, runtime, now=now)
        await purge_old_activity(session, now=now)
        return len(raised)

    counts = await for_each_enabled_tenant(
        runtime, "care", monitor, only=only, failure_event="care_monitor_failed"
    )
    return sum(counts)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("care.monitor", MONITOR_INTERVAL_SECONDS, monitor_all)]


@hookimpl
def register_web_pages() -> list[WebPage]:
    # the console's screen ships with the console (module=None): web/console/pages/; the resident
    # app's pages are plain ES modules in web/, served under /web-plugins/care/: the recipient's
    # "I'm fine" and an emergency contact's view of their relative
    web = Path(__file__).resolve().parent / "web"
    return [
        WebPage(key="care", title={"zh-CN": "居家关爱", "en": "Care"}, permission="care:read", order=58, icon="care"),
        WebPage(
            key="checkin",
            title={"zh-CN": "报平安", "en": "I'm fine"},
            client="app",
            permission="care:check_in",
            module=str(web / "checkin.js"),
            order=45,
            icon="care",
        ),
        WebPage(
            key="family",
            title={"zh-CN": "家人关爱", "en": "Family care"},
            client="app",
            permission="care:read_own",
            module=str(web / "family.js"),
            order=46,
            icon="care",
        ),
    ]


@hookimpl
async def on_personal_data_erasure(session: Any, tenant_id: Any, account_id: Any, person_ids: list[Any]) -> list[Any]:
    """Erasure of a care recipient: their check-ins, activities, services, alerts and contacts hang
    off the recipient record, not the person, so the catalogue-driven pass would not find them."""
    from sqlalchemy import select

    from kernel.sdk.erasure import remove_rows
    from plugins.care.models import (
        CareActivity,
        CareAlert,
        CareCheckIn,
        CareContact,
        CareRecipient,
        CareService,
    )

    if not person_ids:
        return []
    recipients = select(CareRecipient.id).where(CareRecipient.person_id.in_(person_ids))
    reason = "the person's elderly-care record"
    steps = []
    for model in (CareCheckIn, CareActivity, CareService, CareAlert, CareContact):
        steps += await remove_rows(session, model, model.recipient_id.in_(recipients), reason=reason)
    return steps


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.care.kpis import KPIS

    return list(KPIS)
