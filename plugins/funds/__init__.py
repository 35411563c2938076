"""Maintenance fund (住宅专项维修资金) and public revenue (公共收益) for owners.

Deposits and a sub-ledger per unit, interest allocated by area, disbursements tied to an owners' vote with
the apportionment per unit previewed before the vote, emergency use by the committee with a disclosure,
sub-ledgers following units on sale, public revenue split by the owners' voted ratio, statements and the
public disclosure pages (公示), and reconciliation of the database against the ``MaintenanceFund`` contract.
See docs/funds.md.
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
    hookimpl,
)

if TYPE_CHECKING:
    from kernel.sdk.chain import ContractContribution
    from kernel.sdk.runtime import Runtime

MANIFEST = PluginManifest(
    name="funds",
    version="0.1.0",
    sdk_api=SDK_API_VERSION,
    description="Maintenance fund sub-ledgers, voted and emergency disbursements, public revenue, 公示 and "
    "reconciliation against the chain",
    default_enabled=True,
    # The fund's contract pays against the owners' governance contract, and a disbursement needs the
    # proposal's facts (the ``governance.proposal_facts`` service).
    requires=("governance",),
)

#: Seconds between two reconciliation runs of every community's fund.
RECONCILIATION_INTERVAL_SECONDS = 3600.0

PERMISSIONS = (
    Permission("funds", "manage", "Record deposits, interest and revenue; allocate; request and execute disbursements; transfer sub-ledgers"),
    Permission("funds", "emergency", "Emergency use of the fund by the owners' committee, with a disclosure"),
    Permission("funds", "read", "Read every fund statement of the tenant"),
    Permission("funds", "read_own", "Read one's own units' statements and one's community's fund disclosures (公示)"),
    Permission("funds", "reconcile", "Reconcile the fund against the chain on demand"),
)
GRANTS = (
    *(Grant(r, "funds", "manage") for r in ("tenant_admin", "property_staff")),
    Grant("committee_member", "funds", "emergency"),
    *(Grant(r, "funds", "read") for r in ("tenant_admin", "property_staff", "committee_member", "auditor")),
    *(Grant(r, "funds", "read_own") for r in ("tenant_admin", "property_staff", "committee_member", "auditor", "owner")),
    *(Grant(r, "funds", "reconcile") for r in ("tenant_admin", "committee_member", "auditor")),
)


@hookimpl
def register_models() -> list[type]:
    from plugins.funds.models import MODELS

    return list(MODELS)


@hookimpl
def register_migrations() -> str:
    return str(Path(__file__).resolve().parent / "migrations" / "versions")


@hookimpl
def register_graphql() -> GraphQLContribution:
    from plugins.funds.graphql import SCALARS, TYPES, FundsMutation, FundsQuery

    return GraphQLContribution(query=(FundsQuery,), mutation=(FundsMutation,), types=TYPES, scalar_map=SCALARS)


@hookimpl
def register_permissions() -> PermissionSet:
    return PermissionSet(permissions=PERMISSIONS, grants=GRANTS)


@hookimpl
def register_scheduled_jobs() -> list[ScheduledJob]:
    from plugins.funds.reconcile import reconcile_all

    async def run(runtime: Runtime) -> None:
        await reconcile_all(runtime)

    return [ScheduledJob("funds.reconcile", RECONCILIATION_INTERVAL_SECONDS, run)]


@hookimpl
def register_contracts() -> ContractContribution:
    from plugins.funds.contracts import funds_contracts

    return funds_contracts()


@hookimpl
def register_web_pages():  # type: ignore[no-untyped-def]
    from kernel.sdk import WebPage

    # the console ships these screens (module=None): web/console/pages/
    return [
        WebPage(key="funds", title={"zh-CN": "维修资金", "en": "Funds"}, permission="funds:read", order=46, icon="funds"),
    ]


@hookimpl
def register_regulator_kpis() -> list[Any]:
    from plugins.funds.kpis import KPIS

    return list(KPIS)
