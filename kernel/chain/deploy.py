"""Deploy one community's contracts and wire their roles."""

from __future__ import annotations

from dataclasses import dataclass

from web3.contract import AsyncContract

from .client import ChainClient

__all__ = ["Community", "deploy_community"]

#: Default objection period after the preliminary result: 7 days.
DEFAULT_OBJECTION_PERIOD = 7 * 24 * 3600


@dataclass(frozen=True)
class Community:
    """The contracts of one community."""

    registry: AsyncContract
    governance: AsyncContract
    fund: AsyncContract
    audit: AsyncContract

    def addresses(self) -> dict[str, str]:
        """Contract addresses by role, for configuration and the indexer."""
        return {
            "registry": self.registry.address,
            "governance": self.governance.address,
            "fund": self.fund.address,
            "audit": self.audit.address,
        }


async def deploy_community(
    client: ChainClient,
    *,
    admin: str | None = None,
    objection_period: int = DEFAULT_OBJECTION_PERIOD,
    committee: str | None = None,
) -> Community:
    """Deploy registry, governance, fund and audit anchor; grant the fund what it needs.

    ``admin`` (default: the client's account) receives every administrative role; ``committee`` (default:
    ``admin``) the fund's COMMITTEE_ROLE (emergency use, welfare spending).
    """
    admin = admin or client.address
    registry = await client.deploy("OwnersRegistry", admin)
    governance = await client.deploy("OwnersGovernance", admin, registry.address, objection_period)
    fund = await client.deploy("MaintenanceFund", admin, registry.address, governance.address)
    audit = await client.deploy("AuditAnchor", admin)
    if admin == client.address:
        executor = await client.call(governance.functions.EXECUTOR_ROLE())
        locker = await client.call(registry.functions.AREA_LOCKER_ROLE())
        committee_role = await client.call(fund.functions.COMMITTEE_ROLE())
        await client.transact(governance.functions.grantRole(executor, fund.address))
        await client.transact(registry.functions.grantRole(locker, fund.address))
        await client.transact(fund.functions.grantRole(committee_role, committee or admin))
    return Community(registry, governance, fund, audit)
