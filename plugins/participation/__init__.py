"""Deliberation hall (议事厅) and surveys: owners open topics, co-sign them (联名) up to the
community's threshold, the owners' committee must answer in time — a formal Art. 278 proposal or a
reply with reasons, disclosed (公示); comments moderated by the committee; surveys (满意度 and
others) answered once per household or person, results only in groups of at least five, the
street office reading property-service satisfaction in aggregate. See docs/participation.md."""

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
    name="participation",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Deliberation hall (议事厅: topics, co-signatures, the committee's answer, moderated "
    "comments) and surveys (满意度) with anonymous results",
)

DEADLINE_INTERVAL_SECONDS = 3600.0
STAFF = ("tenant_admin", "property_staff")
COMMITTEE = "committee_member"

PERMISSIONS = (
    Permission(
        "participation", "read", "See the topics, comments and surveys of one's own communities"
    ),
    Permission("participation", "read_all", "See every community's topics, comments and surveys"),
    Permission(
        "participation", "take_part", "An owner: open, co-sign and comment on topics (议题, 联名)"
    ),
    Permission("participation", "answer_survey", "Answer a survey (once per household or person)"),
    Permission(
        "participation",
        "respond",
        "The owners' committee: answer or convert topics, moderate comments",
    ),
    Permission(
        "participation", "manage_surveys", "Draft, open and close surveys; see live results"
    ),
    Permission(
        "participation", "configure", "Set the co-signature threshold and the answer period"
    ),
)
GRANTS = (
    *(
        Grant(r, "participation", "read")
        for r in ("owner", "resident", COMMITTEE, *STAFF, "auditor")
    ),
    *(Grant(r, "participation", "read_all") for r in (COMMITTEE, *STAFF, "auditor")),
    Grant("owner", "participation", "take_part"),
    *(Grant(r, "participation", "answer_survey") for r in ("owner", "resident")),
    Grant(COMMITTEE, "participation", "respond"),
    *(Grant(r, "participation", "manage_surveys") for r in (COMMITTEE, *STAFF)),
    *(Grant(r, "participation", "configure") for r in (COMMITTEE, "tenant_admin")),
)


@hookimpl
def register_models() -> list[type]:
    from plugins.participation import models as m

    return [
        m.ParticipationSettings,
        m.DeliberationTopic,
        m.TopicCoSignature,
        m.TopicComment,
        m.Survey,
        m.SurveyResponse,
    ]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.participation.graphql import ParticipationMutation, ParticipationQuery

    return GraphQLContribution(query=(ParticipationQuery,), mutation=(ParticipationMutation,))


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.participation.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_services() -> dict[str, Any]:
    from plugins.participation.facts import topic_of_proposal

    return {"participation.topic_of_proposal": topic_of_proposal}


async def check_deadlines(
    runtime: Runtime, *, now: Any = None, only: set[Any] | None = None
) -> int:
    """The scheduled job: flag due topics whose answer is overdue (the committee is told once)
    and close surveys past their closing time, in every tenant that enabled participation.
    Returns how many topics were flagged."""
    from plugins.participation.surveys import close_expired
    from plugins.participation.topics import flag_overdue

    async def check(session: Any, tenant: Any) -> int:
        flagged = await flag_overdue(session, runtime.bus, now=now)
        await close_expired(session, runtime.bus, now=now)
        return len(flagged)

    counts = await for_each_enabled_tenant(
        runtime,
        "participation",
        check,
        only=only,
        failure_event="participation_deadlines_failed",
    )
    return sum(counts)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("participation.deadlines", DEADLINE_INTERVAL_SECONDS, check_deadlines)]


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="participation", title={"zh-CN": "议事与调查", "en": "Participation"}, permission="participation:read", order=64, icon="participation"),
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.participation.kpis import KPIS

    return list(KPIS)
