"""Assertions and builders shared by the contract tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import AsyncContract
from web3.logs import DISCARD

from kernel.chain import (
    ChainClient,
    ContractCatalog,
    ContractRevert,
    DeployedContracts,
    deploy_contracts,
    devchain,
)

# Proposal states, in the order of IOwnersGovernance.ProposalState.
PENDING, ACTIVE, NO_QUORUM, DEFEATED, SUCCEEDED, FINAL, EXECUTED, CANCELLED = range(8)
STATE_NAMES = ["Pending", "Active", "DefeatedNoQuorum", "Defeated", "Succeeded", "Final", "Executed", "Cancelled"]
# Art. 278 matters (item n is n - 1).
USE_FUND, RAISE_FUND, REBUILD, CHANGE_COMMON_USE, OTHER = 4, 5, 6, 7, 8
PROPERTY_FIRM = 3
OBJECTION = 600


def events(receipt: Any, contract: AsyncContract, name: str) -> list[dict[str, Any]]:
    """Arguments of every ``name`` event ``contract`` emitted in ``receipt``."""
    return [dict(e["args"]) for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)]


def one_event(receipt: Any, contract: AsyncContract, name: str) -> dict[str, Any]:
    found = events(receipt, contract, name)
    assert len(found) == 1, f"expected one {name}, got {found}"
    return found[0]


@contextlib.contextmanager
def reverts(name: str, *args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
    """Expect a :class:`ContractRevert` with the custom error ``name`` (and ``args`` when given)."""
    with pytest.raises(ContractRevert) as info:
        yield info
    assert info.value.error_name == name, f"expected {name}, got {info.value}"
    if args:
        assert tuple(_norm(a) for a in info.value.error_args) == tuple(_norm(a) for a in args)


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _lists(value: Any) -> Any:
    """Struct results come back as tuples: compare them as lists."""
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def new_accounts(n: int) -> list[LocalAccount]:
    return [Account.create() for _ in range(n)]


@dataclass
class World:
    """A deployed community plus its owners' keys."""

    client: ChainClient
    community: DeployedContracts
    owners: list[LocalAccount] = field(default_factory=list)

    @property
    def registry(self) -> AsyncContract:
        return self.community.registry

    @property
    def governance(self) -> AsyncContract:
        return self.community.governance

    @property
    def fund(self) -> AsyncContract:
        return self.community.fund

    async def tx(self, fn: Any) -> Any:
        return await self.client.transact(fn)

    async def call(self, fn: Any) -> Any:
        return _lists(await self.client.call(fn))

    async def now(self) -> int:
        return await devchain.latest_timestamp(self.client)

    async def propose(self, matter: int, *, scope: int = 0, delay: int = 10, length: int = 1000,
                      content: bytes = b"\x01" * 32) -> int:
        start = await self.now() + delay
        receipt = await self.tx(self.governance.functions.propose(matter, scope, start, start + length, content))
        return one_event(receipt, self.governance, "ProposalCreated")["proposalId"]

    async def open_voting(self, delay: int = 11) -> None:
        await devchain.increase_time(self.client, delay)

    async def close_voting(self, length: int = 1000) -> None:
        await devchain.increase_time(self.client, length + 1)

    async def state(self, proposal_id: int) -> int:
        return await self.call(self.governance.functions.state(proposal_id))


def builtin_catalog() -> ContractCatalog:
    """The contracts the kernel and the built-in plugins contribute (``register_contracts``)."""
    from kernel.plugins.host import PluginHost

    host = PluginHost()
    host.load(entry_points=False)
    return ContractCatalog.from_host(host)


async def deploy_community(client: ChainClient, *, objection_period: int) -> DeployedContracts:
    """One community's built-in contracts, wired, administered by the client's account."""
    return await deploy_contracts(client, builtin_catalog(), options={"objection_period": objection_period})


async def deploy_world(client: ChainClient, *, objection: int = OBJECTION) -> World:
    community = await deploy_community(client, objection_period=objection)
    return World(client, community)


async def register(world: World, owners: list[str], areas: list[int], buildings: list[int] | None = None) -> Any:
    buildings = buildings or [1] * len(owners)
    return await world.tx(world.registry.functions.registerUnits(owners, areas, buildings))


async def pass_proposal(world: World, matter: int, voters: list[LocalAccount], *, content: bytes = b"\x01" * 32,
                        finalize: bool = True) -> int:
    """Create a proposal, have ``voters`` vote For by signature, publish and (by default) finalize it."""
    from plugins.governance.ballots import FOR, sign_ballot

    pid = await world.propose(matter, content=content)
    await world.open_voting()
    ballots = [sign_ballot(v.key, world.client.chain_id, world.governance.address, pid, FOR).as_tuple() for v in voters]
    await world.tx(world.governance.functions.castVotesBySig(ballots))
    await world.close_voting()
    await world.tx(world.governance.functions.publishResult(pid))
    if finalize:
        await devchain.increase_time(world.client, OBJECTION)
        await world.tx(world.governance.functions.finalize(pid))
    return pid


@contextlib.asynccontextmanager
async def rolled_back(client: ChainClient) -> AsyncIterator[None]:
    """Undo everything done inside the block (used per hypothesis example)."""
    snap = await devchain.snapshot(client)
    try:
        yield
    finally:
        await devchain.revert(client, snap)
