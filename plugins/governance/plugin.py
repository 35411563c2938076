"""The governance plugin's hook implementations (public SDK only, like a third-party plugin)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.sdk import (
    SDK_API_VERSION,
    Grant,
    GraphQLContribution,
    Permission,
    PermissionSet,
    PluginManifest,
    hookimpl,
)

if TYPE_CHECKING:
    from kernel.sdk.chain import ContractContribution
    from kernel.sdk.events import Event, HandlerContext
    from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="governance",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Owners' joint decisions (业主共同决定) under Civil Code Art. 278: proposals, notices, "
    "votes recorded on chain, preliminary result, objections, final result, filing to the street office",
    default_enabled=True,
)

MANAGERS = ("tenant_admin", "committee_member")
READERS = ("tenant_admin", "property_staff", "committee_member", "auditor")


@hookimpl
def register_models() -> list[type]:
    from plugins.governance.models import Filing, Objection, Proposal, ProposalDocument, Vote

    return [Proposal, ProposalDocument, Vote, Objection, Filing]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.governance.filings import FilingInboxMutation
    from plugins.governance.graphql import SCALARS, GovernanceMutation, GovernanceQuery, Proposal

    return GraphQLContribution(
        query=(GovernanceQuery,), mutation=(GovernanceMutation, FilingInboxMutation), types=(Proposal,), scalar_map=SCALARS
    )


@hookimpl
def register_permissions() -> PermissionSet:
    permissions = (
        Permission("governance", "manage", "Draft, publish, open, close, finalize, file and cancel proposals"),
        Permission("governance", "read", "Read every proposal of the tenant and its live participation (never individual choices)"),
        Permission("governance", "vote", "Vote on, and object to, proposals covering one's own units"),
    )
    grants = [Grant(r, "governance", "manage") for r in MANAGERS]
    grants += [Grant(r, "governance", "read") for r in READERS]
    grants += [Grant("owner", "governance", "vote")]
    return PermissionSet(permissions=permissions, grants=tuple(grants))


async def _on_chain_done(ctx: HandlerContext, event: Event) -> None:
    from plugins.governance.service import on_chain_done

    await on_chain_done(ctx.runtime, ctx.session, str(event.payload.get("intent", "")))


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from plugins.governance import notifications

    return {"chain.transaction_done": _on_chain_done, **notifications.HANDLERS}


@hookimpl
def register_notification_templates() -> list[Any]:
    from plugins.governance.notifications import TEMPLATES

    return list(TEMPLATES)


@hookimpl
def register_scheduled_jobs() -> list[Any]:
    from kernel.sdk import ScheduledJob
    from plugins.governance.notifications import REMINDER_INTERVAL_SECONDS, remind_closing_all

    return [ScheduledJob("governance.remind_closing", REMINDER_INTERVAL_SECONDS, remind_closing_all)]


@hookimpl
def register_contracts() -> ContractContribution:
    from plugins.governance.contracts import governance_contracts

    return governance_contracts()


@hookimpl
def register_routes() -> list[Any]:
    from plugins.governance.routes import router

    return [router]


@hookimpl
def register_services() -> dict[str, Any]:
    from plugins.governance.facts import proposal_facts

    return {"governance.proposal_facts": proposal_facts}


@hookimpl
async def on_demo_seeded(runtime: Runtime, tenant_id: uuid.UUID) -> None:
    """``linli demo`` with a chain: a proposal open for voting (on an external chain it outlives
    the command; on the embedded EVM the serving process seeds it on start-up, see :func:`on_startup`)."""
    if not runtime.settings.chain_url:
        return
    from plugins.governance.demo import seed_filed_decision, seed_governance_demo

    await seed_governance_demo(runtime, tenant_id)
    await seed_filed_decision(runtime, tenant_id)


@hookimpl
async def on_startup(runtime: Runtime) -> None:
    """``linli demo`` on the embedded EVM: re-create the demo proposal on this process's fresh chain."""
    from plugins.governance.demo import reseed_on_embedded_chain

    await reseed_on_embedded_chain(runtime)


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="governance", title={"zh-CN": "业主共同决定", "en": "Governance"}, permission="governance:read", order=44, icon="governance"),
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.governance.kpis import KPIS

    return list(KPIS)
