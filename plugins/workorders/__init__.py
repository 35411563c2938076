"""Work orders (工单): repairs and complaints from residents, incidents from grid workers, device
alarms, inspections and owners' decisions, through the closed loop
sense → assess → dispatch → handle → feedback (感知—研判—分派—处置—反馈), with SLA escalation,
automatic dispatch and per-community statistics. See docs/workorders.md."""

from __future__ import annotations

import uuid
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
from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="workorders",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Repairs, complaints and incidents through the closed loop, with SLA escalation and automatic dispatch",
)

#: How often the SLA job looks for overdue orders.
ESCALATION_INTERVAL_SECONDS = 60.0


@hookimpl
def register_models() -> list[type]:
    from plugins.workorders import models

    return [models.Technician, models.WorkOrder, models.WorkOrderTransition]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_services() -> dict[str, Any]:
    """``workorders.open_from_alarm(session, runtime, payload, *, actor)``: open an alarm's work
    order in the caller's transaction (one outbox hop fewer than ``device.alarm_raised``)."""
    from plugins.workorders.handlers import open_from_alarm

    return {"workorders.open_from_alarm": open_from_alarm}


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.workorders.graphql import WorkOrderMutation, WorkOrderQuery, WorkOrderSubscription

    return GraphQLContribution(
        query=(WorkOrderQuery,),
        mutation=(WorkOrderMutation,),
        subscription=(WorkOrderSubscription,),
    )


PERMISSIONS = (
    Permission(
        "workorders",
        "report",
        "Report a repair, complaint or incident; see, close and rate one's own",
    ),
    Permission("workorders", "read", "See every work order and the technicians"),
    Permission(
        "workorders",
        "manage",
        "Assess, dispatch, close and cancel work orders; keep technician profiles",
    ),
    Permission("workorders", "handle", "Start and resolve the work orders assigned to oneself"),
    Permission("workorders", "stats", "See response time, closure rate and satisfaction"),
)
GRANTS = (
    *(
        Grant(r, "workorders", "report")
        for r in (
            "tenant_admin",
            "property_staff",
            "technician",
            "grid_worker",
            "owner",
            "resident",
        )
    ),
    *(
        Grant(r, "workorders", "read")
        for r in ("tenant_admin", "property_staff", "grid_worker", "auditor")
    ),
    *(Grant(r, "workorders", "manage") for r in ("tenant_admin", "property_staff")),
    *(Grant(r, "workorders", "handle") for r in ("tenant_admin", "property_staff", "technician")),
    *(
        Grant(r, "workorders", "stats")
        for r in ("tenant_admin", "property_staff", "committee_member", "auditor")
    ),
)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_routes() -> list[Any]:
    from plugins.workorders.photos import router

    return [router]


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.workorders import notifications
    from plugins.workorders.handlers import HANDLERS

    return {**HANDLERS, **notifications.HANDLERS}


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.workorders.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    from plugins.workorders.handlers import escalate_all

    return [ScheduledJob("workorders.escalate_overdue", ESCALATION_INTERVAL_SECONDS, escalate_all)]


@hookimpl
def register_web_pages() -> list[WebPage]:
    # the console ships this screen (module=None): the board by state, dispatch and close
    return [
        WebPage(
            key="workorders",
            title={"zh-CN": "工单", "en": "Work orders"},
            permission="workorders:read",
            order=30,
            icon="workorders",
        )
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.workorders.kpis import KPIS

    return list(KPIS)


@hookimpl
async def on_demo_seeded(runtime: Runtime, tenant_id: uuid.UUID) -> None:
    """``linli demo``: a few weeks of repairs in the demo communities (plugins/workorders/demo.py)."""
    from plugins.workorders.demo import seed_workorders_demo

    await seed_workorders_demo(runtime, tenant_id)
