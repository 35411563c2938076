"""Inspections (巡检): routes of checkpoints, schedules, rounds and findings; a defect opens a
work order through the event bus (``inspection.finding_reported``). See docs/inspections.md."""

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
    hookimpl,
)
from kernel.sdk.jobs import for_each_enabled_tenant
from kernel.sdk.runtime import Runtime

if TYPE_CHECKING:  # the handler's types; importing them at load time would pull in the kernel
    from kernel.sdk import Event, HandlerContext

MANIFEST = PluginManifest(
    name="inspections",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Patrol routes, checkpoints, schedules and rounds; defects open work orders",
)

SCHEDULER_INTERVAL_SECONDS = 300.0


@hookimpl
def register_models() -> list[type]:
    from plugins.inspections import models as m

    return [m.InspectionRoute, m.Checkpoint, m.InspectionSchedule, m.InspectionRound, m.Finding]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.inspections.graphql import InspectionMutation, InspectionQuery

    return GraphQLContribution(query=(InspectionQuery,), mutation=(InspectionMutation,))


PERMISSIONS = (
    Permission("inspections", "read", "See routes, schedules, rounds and findings"),
    Permission("inspections", "manage", "Define routes, checkpoints and schedules"),
    Permission("inspections", "perform", "Walk rounds and record findings"),
)
GRANTS = (
    *(
        Grant(r, "inspections", "read")
        for r in (
            "tenant_admin",
            "property_staff",
            "technician",
            "grid_worker",
            "committee_member",
            "auditor",
        )
    ),
    *(Grant(r, "inspections", "manage") for r in ("tenant_admin", "property_staff")),
    *(
        Grant(r, "inspections", "perform")
        for r in ("tenant_admin", "property_staff", "technician", "grid_worker")
    ),
)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


async def _on_workorder_reported(ctx: HandlerContext, event: Event) -> None:
    from plugins.inspections.service import link_work_order

    if isinstance(event.payload, dict):
        await link_work_order(ctx.session, event.payload)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {"workorder.reported": _on_workorder_reported}


async def open_due_rounds_all(
    runtime: Runtime, *, now: Any = None, only: set[Any] | None = None
) -> int:
    """The scheduler job: open the rounds that fell due, in every tenant that enabled the plugin."""
    from plugins.inspections.service import open_due_rounds

    async def open_due(session: Any, tenant: Any) -> int:
        return len(await open_due_rounds(session, runtime, tenant.id, now=now))

    counts = await for_each_enabled_tenant(
        runtime, "inspections", open_due, only=only, failure_event="inspection_scheduler_failed"
    )
    return sum(counts)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [
        ScheduledJob("inspections.open_due_rounds", SCHEDULER_INTERVAL_SECONDS, open_due_rounds_all)
    ]


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="inspections", title={"zh-CN": "巡检", "en": "Inspections"}, permission="inspections:read", order=50, icon="inspections"),
    ]
