"""The estate registry as a core plugin: it uses the same hooks as any plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="estate",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Communities, compounds, buildings, units with registered areas, owners and residents",
    core=True,
    default_enabled=True,
)


@hookimpl
def register_models() -> list[type]:
    from tenants.erasure_requests import ErasureRequest
    from tenants.estate import models
    from tenants.retention import RetentionPeriod

    return [models.Community, models.Compound, models.Building, models.Unit, models.Person, models.Ownership, models.Residency, models.VoterDesignation, models.OwnerClaim, ErasureRequest, RetentionPeriod]


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql():  # type: ignore[no-untyped-def]
    from kernel.plugins.contributions import GraphQLContribution
    from tenants.erasure_graphql import ErasureMutation, ErasureQuery
    from tenants.estate.claims_graphql import ClaimMutation, ClaimQuery
    from tenants.estate.graphql import EstateMutation, EstateQuery
    from tenants.estate.household_graphql import HouseholdMutation, HouseholdQuery
    from tenants.operations_graphql import TenantOperationsMutation
    from tenants.personal_graphql import PersonalDataMutation, PersonalDataQuery
    from tenants.retention_graphql import RetentionMutation, RetentionQuery

    return GraphQLContribution(
        query=(EstateQuery, HouseholdQuery, ClaimQuery, PersonalDataQuery, ErasureQuery, RetentionQuery),
        mutation=(EstateMutation, HouseholdMutation, ClaimMutation, TenantOperationsMutation, PersonalDataMutation, ErasureMutation, RetentionMutation),
    )


@hookimpl
def register_permissions():  # type: ignore[no-untyped-def]
    from kernel.sdk import Grant, Permission, PermissionSet

    perms = (
        Permission("estate", "read", "See communities, buildings and units"),
        Permission("estate", "write", "Create and change communities, buildings and units"),
        Permission("persons", "read", "See owners and residents (masked)"),
        Permission("persons", "write", "Register owners and residents"),
        Permission("household", "read", "See one's own units and household"),
        Permission("household", "manage", "Manage one's own units: the household living there, the co-owners' designated voter"),
        Permission("privacy", "manage", "Data protection officer: review and execute erasure requests, set retention periods"),
    )
    grants = [Grant(r, "estate", "read") for r in ("tenant_admin", "property_staff", "technician", "grid_worker", "committee_member", "auditor")]
    grants += [Grant(r, "estate", "write") for r in ("tenant_admin", "property_staff")]
    grants += [Grant(r, "persons", "read") for r in ("tenant_admin", "property_staff", "committee_member")]
    grants += [Grant(r, "persons", "write") for r in ("tenant_admin", "property_staff")]
    # A renter (resident) sees their home but never manages it: no owner rights.
    grants += [Grant(r, "household", "read") for r in ("owner", "resident")]
    grants += [Grant("owner", "household", "manage")]
    grants += [Grant("tenant_admin", "privacy", "manage")]  # the firm's admin is its DPO until it grants another role
    return PermissionSet(permissions=perms, grants=tuple(grants))


@hookimpl
def register_scheduled_jobs():  # type: ignore[no-untyped-def]
    from kernel.sdk import ScheduledJob
    from tenants.retention import INTERVAL_SECONDS, enforce_all

    return [ScheduledJob("privacy.retention", INTERVAL_SECONDS, enforce_all)]


@hookimpl(tryfirst=True)
def on_startup(runtime: Any) -> None:
    """Plugins read the estate through ``kernel.sdk.estate``; this room is its implementation.
    (Before start-up, e.g. in a script, the SDK finds it through the ``linli.estate`` entry point.)"""
    from kernel.sdk.estate import register_estate
    from tenants.estate.reader import ESTATE

    register_estate(ESTATE)


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships this screen (module=None): communities → buildings → units
    return [WebPage(key="estate", title={"zh-CN": "房产", "en": "Estate"}, permission="estate:read", order=10, icon="estate")]
