"""The funds plugin's contract: ``MaintenanceFund``, contributed to every community's deployment through
``register_contracts``.

It is deployed after the registry (the kernel's) and the owners' governance (the governance plugin's, which
this plugin ``requires``): the fund pays only against a proposal the governance contract says is final, locks
the registry's areas while it apportions, and marks proposals executed. When this process administers the
contracts (the relayer account), the step grants those roles itself, and the committee role (emergency use,
welfare spending) to the ``committee`` option or the administrator.
"""

from __future__ import annotations

from collections.abc import Mapping

from kernel.sdk import ContractContribution, DeployContext

__all__ = ["funds_contracts"]

ROLE = "fund"


async def _deploy(ctx: DeployContext) -> Mapping[str, str]:
    registry, governance = ctx.contract("registry"), ctx.contract("governance")
    fund = await ctx.deploy(ROLE, ctx.admin, registry.address, governance.address)
    if ctx.admin_is_client:
        client = ctx.client
        executor = await client.call(governance.functions.EXECUTOR_ROLE())
        locker = await client.call(registry.functions.AREA_LOCKER_ROLE())
        committee = await client.call(fund.functions.COMMITTEE_ROLE())
        await client.transact(governance.functions.grantRole(executor, fund.address))
        await client.transact(registry.functions.grantRole(locker, fund.address))
        await client.transact(fund.functions.grantRole(committee, ctx.options.get("committee") or ctx.admin))
    return {ROLE: fund.address}


def funds_contracts() -> ContractContribution:
    return ContractContribution(artifacts={ROLE: "MaintenanceFund"}, deploy=_deploy, after=("registry", "governance"))
