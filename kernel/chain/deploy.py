"""Deploy the contracts of one community: every contribution's deployment step, in dependency order.

The kernel knows no scenario here: the steps come from the contract catalog (the kernel's own registry and
audit anchor, plus whatever plugins contribute through ``register_contracts``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web3.contract import AsyncContract

    from .catalog import ContractCatalog
    from .client import ChainClient

__all__ = ["DeployContext", "DeployedContracts", "deploy_contracts"]


@dataclass
class DeployContext:
    """What a contribution's deployment step gets.

    ``admin`` receives the administrative roles (by default the client's account, i.e. the relayer);
    ``addresses`` holds the roles already deployed for the community (those named in ``after`` among them);
    ``options`` are free settings passed by whoever deploys (e.g. a test's shorter objection period).
    """

    client: ChainClient
    catalog: ContractCatalog
    admin: str
    addresses: dict[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def admin_is_client(self) -> bool:
        """Whether this process's account administers the contracts (so a step may grant roles itself)."""
        return self.admin == self.client.address

    async def deploy(self, role: str, *args: Any) -> AsyncContract:
        """Deploy the catalog's artifact of ``role`` with constructor ``args``."""
        return await self.client.deploy(self.catalog.artifact(role), *args)

    def contract(self, role: str) -> AsyncContract:
        """A handle on the community's already deployed ``role``."""
        return self.client.contract(self.catalog.artifact(role), self.addresses[role])


class DeployedContracts(Mapping[str, "AsyncContract"]):
    """Contract handles of one deployment by role; ``deployed.registry`` reads like ``deployed["registry"]``."""

    def __init__(self, contracts: Mapping[str, AsyncContract]) -> None:
        self._contracts = dict(contracts)

    def __getitem__(self, role: str) -> AsyncContract:
        return self._contracts[role]

    def __iter__(self) -> Iterator[str]:
        return iter(self._contracts)

    def __len__(self) -> int:
        return len(self._contracts)

    def __getattr__(self, role: str) -> AsyncContract:
        try:
            return self.__dict__["_contracts"][role]
        except KeyError:
            raise AttributeError(role) from None

    def addresses(self) -> dict[str, str]:
        """Contract addresses by role."""
        return {role: c.address for role, c in self._contracts.items()}


async def deploy_contracts(
    client: ChainClient,
    catalog: ContractCatalog,
    *,
    admin: str | None = None,
    existing: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> DeployedContracts:
    """Run the deployment step of every contribution none of whose roles is in ``existing``, in dependency
    order; return handles on the roles deployed now (``existing`` ones are not repeated)."""
    ctx = DeployContext(client, catalog, admin or client.address, dict(existing or {}), dict(options or {}))
    deployed: dict[str, AsyncContract] = {}
    for plugin, contribution in catalog.ordered():
        if contribution.deploy is None or any(role in ctx.addresses for role in contribution.roles):
            continue
        addresses = dict(await contribution.deploy(ctx))
        if set(addresses) != set(contribution.roles):
            raise ValueError(f"plugin {plugin!r}: its deployment step returned {sorted(addresses)}, not its roles {sorted(contribution.roles)}")
        ctx.addresses.update(addresses)
        deployed.update({role: client.contract(catalog.artifact(role), address) for role, address in addresses.items()})
    return DeployedContracts(deployed)


