"""Grid governance (网格化管理): grids of buildings with their grid workers and the residents'
committee, patrol routes with QR/NFC checkpoints and missed-checkpoint detection, incident
reports routed to a work order of the property firm or referred to the street office, and the
follow-up of vulnerable residents. See docs/grid.md."""

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
    name="grid",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Grid governance: patrols with checkpoints, incident reports, vulnerable residents' follow-up",
)

PATROL_JOB_INTERVAL_SECONDS = 300.0
STAFF = ("tenant_admin", "property_staff")
GRID_PEOPLE = ("grid_worker", "residents_committee")

PERMISSIONS = (
    Permission(
        "grid",
        "read",
        "See grids, routes, check-ins, missed checkpoints and incidents (members: their grids)",
    ),
    Permission("grid", "oversee", "See every grid of the firm without being a member (auditors)"),
    Permission(
        "grid",
        "manage",
        "Create grids, routes and checkpoints, name members, enrol vulnerable residents",
    ),
    Permission("grid", "patrol", "Check in at the checkpoints of one's grids"),
    Permission("grid", "report", "Report an incident and follow one's own reports"),
    Permission(
        "grid",
        "follow_up",
        "Route incidents to a work order or the street office, add notes, close them",
    ),
    Permission("grid", "care", "See followed-up residents of one's grids and record visits"),
)
GRANTS = (
    *(Grant(r, "grid", "read") for r in (*STAFF, *GRID_PEOPLE, "auditor")),
    Grant("auditor", "grid", "oversee"),
    *(Grant(r, "grid", "manage") for r in STAFF),
    Grant("grid_worker", "grid", "patrol"),
    *(Grant(r, "grid", "report") for r in (*STAFF, *GRID_PEOPLE, "owner", "resident")),
    *(Grant(r, "grid", "follow_up") for r in (*STAFF, *GRID_PEOPLE)),
    *(Grant(r, "grid", "care") for r in (*STAFF, *GRID_PEOPLE)),
)


@hookimpl
def register_models() -> list[type]:
    from plugins.grid import models as m

    return [
        m.Grid,
        m.GridBuilding,
        m.GridMember,
        m.PatrolRoute,
        m.Checkpoint,
        m.CheckIn,
        m.MissedCheckpoint,
        m.Incident,
        m.IncidentUpdate,
        m.VulnerableResident,
        m.Visit,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.grid.graphql import GridMutation, GridQuery

    return GraphQLContribution(query=(GridQuery,), mutation=(GridMutation,))


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_consent_purposes() -> list[Any]:
    from plugins.grid.consent import PURPOSES

    return list(PURPOSES)


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.grid.followup import OVERDUE_TEMPLATE
    from plugins.grid.incidents import UPDATE_TEMPLATE
    from plugins.grid.patrol import MISSED_TEMPLATE

    return [MISSED_TEMPLATE, UPDATE_TEMPLATE, OVERDUE_TEMPLATE]


async def _on_work_order(ctx: Any, event: Any) -> None:
    from plugins.grid.incidents import on_work_order_event

    payload = event.payload if isinstance(event.payload, dict) else {}
    await on_work_order_event(ctx.session, ctx.runtime.bus, event.type, payload)


async def _on_consent_revoked(ctx: Any, event: Any) -> None:
    from plugins.grid.followup import on_consent_changed

    await on_consent_changed(ctx.session, event.payload, granted=False)


async def _on_consent_granted(ctx: Any, event: Any) -> None:
    from plugins.grid.followup import on_consent_changed

    await on_consent_changed(ctx.session, event.payload, granted=True)


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.grid.incidents import WORK_ORDER_EVENTS

    return {
        **{f"workorder.{state}": _on_work_order for state in WORK_ORDER_EVENTS},
        "consent.revoked": _on_consent_revoked,
        "consent.granted": _on_consent_granted,
    }


async def patrol_all(runtime: Runtime, *, now: Any = None, only: set[Any] | None = None) -> int:
    """The scheduled job: missed checkpoints and overdue visits in every tenant that enabled the
    grid plugin. Returns how many were flagged."""
    from plugins.grid.followup import flag_overdue
    from plugins.grid.patrol import flag_missed

    async def run(session: Any, tenant: Any) -> int:
        missed = await flag_missed(session, runtime.bus, now=now)
        overdue = await flag_overdue(session, runtime.bus, now=now)
        return len(missed) + len(overdue)

    counts = await for_each_enabled_tenant(
        runtime, "grid", run, only=only, failure_event="grid_patrol_failed"
    )
    return sum(counts)


@hookimpl
def register_services() -> dict[str, Any]:
    from plugins.grid.grids import workers_for_place

    return {"grid.workers_for_place": workers_for_place}


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("grid.patrol", PATROL_JOB_INTERVAL_SECONDS, patrol_all)]


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="grid", title={"zh-CN": "网格", "en": "Grid"}, permission="grid:read", order=62, icon="grid"),
    ]
