"""The funds plugin's side of the chain: the community's contracts and registered units, queueing
``MaintenanceFund`` calls, reading its views, and the facts of a governance proposal.

Everything chain-specific the plugin needs sits here, behind small functions, so that the service stays
plain database code. It uses only the SDK's chain API:

* :func:`ensure_registered` deploys the community's contracts the first time (``ensure_community_contracts``)
  and mirrors its units into the ``OwnersRegistry`` (``sync_units``, with the Art. 278 holder keys of
  ``tenants.estate.voting``); the registry's unit ids and areas (``ChainUnit``) fix the order and the weights of
  every split, exactly as the contract sees them;
* writes go through ``enqueue_chain_call`` (outbox + ``ChainTransaction`` in the caller's transaction; the
  relayer signs and sends after commit, in order);
* reads use the community's deployed contracts (``deployment_for``) and the runtime's chain client;
* a proposal's facts come from the governance plugin's ``governance.proposal_facts`` service (looked up
  through the SDK; the plugin ``requires`` governance), never from its tables.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import (
    ChainTransaction,
    ChainUnit,
    UnitToRegister,
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    service,
    sync_units,
)
from kernel.sdk.estate import Unit, voting_units
from kernel.sdk.runtime import Runtime


def sha256_hex(text: str) -> str:
    """0x-prefixed sha256 of ``text`` (UTF-8): the bytes32 written on chain for an off-chain reference."""
    return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RegisteredUnit:
    """A unit as the community's ``OwnersRegistry`` knows it."""

    chain_unit_id: int
    area: int


async def ensure_registered(runtime: Runtime, session: AsyncSession, community_id: uuid.UUID) -> dict[uuid.UUID, RegisteredUnit]:
    """Deploy the community's contracts if needed, register new units (and owner changes), and return the
    registry id and area of every registered unit. Units with no registered area are not on chain."""
    deployment = await ensure_community_contracts(runtime, session, community_id)
    buildings = dict((await session.execute(select(Unit.id, Unit.building_id).where(Unit.community_id == community_id))).all())
    units = [UnitToRegister(v.unit_id, buildings[v.unit_id], v.area, v.person_key) for v in await voting_units(session, community_id)]
    await sync_units(runtime, session, deployment, units)
    return await registered_units(session, community_id)


async def registered_units(session: AsyncSession, community_id: uuid.UUID) -> dict[uuid.UUID, RegisteredUnit]:
    """Registry id and area of the community's units already registered (no chain access)."""
    rows = await session.execute(select(ChainUnit.unit_id, ChainUnit.chain_unit_id, ChainUnit.area).where(ChainUnit.community_id == community_id))
    return {r[0]: RegisteredUnit(int(r[1]), int(r[2])) for r in rows.all()}


async def queue_fund_call(session: AsyncSession, *, community_id: uuid.UUID, function: str, args: list[Any], intent: str) -> None:
    """Queue ``MaintenanceFund.<function>(*args)`` in the caller's transaction (idempotent by ``intent``)."""
    await enqueue_chain_call(session, community_id=community_id, contract="fund", function=function, args=args, intent=intent)


# -- reading the contract ----------------------------------------------------------------------------------


class FundView(Protocol):
    """What reconciliation reads from a community's ``MaintenanceFund``."""

    async def totals(self) -> dict[str, int]:
        """``fundBalance``, ``subLedgerTotal``, ``unallocated``, ``welfareBalance``, ``revenueFundBps``."""

    async def balances_of(self, chain_unit_ids: list[int]) -> list[int]:
        """Sub-ledger balances of ``chain_unit_ids``, in order."""


@dataclass
class ContractFundView:
    """A :class:`FundView` over a deployed contract, through a ``kernel.chain.ChainClient``."""

    client: Any
    fund: Any

    async def totals(self) -> dict[str, int]:
        f = self.fund.functions
        return {
            name: int(await self.client.call(getattr(f, name)()))
            for name in ("fundBalance", "subLedgerTotal", "unallocated", "welfareBalance", "revenueFundBps")
        }

    async def balances_of(self, chain_unit_ids: list[int]) -> list[int]:
        out: list[int] = []
        for i in range(0, len(chain_unit_ids), 500):
            out += [int(b) for b in await self.client.call(self.fund.functions.balancesOf(chain_unit_ids[i : i + 500]))]
        return out


async def fund_view_for(runtime: Runtime, session: AsyncSession, community_id: uuid.UUID) -> FundView | None:
    """The community's deployed fund, or None when it has no deployment (nothing on chain to compare)."""
    deployment = await deployment_for(session, community_id)
    if deployment is None:
        return None
    client = await chain_client(runtime)
    return ContractFundView(client, client.contract("MaintenanceFund", deployment.address_of("fund")))


async def pending_fund_calls(session: AsyncSession, community_id: uuid.UUID) -> int:
    """Transactions of the community queued but not yet settled (the mirror leads the chain until they are)."""
    rows = await session.scalars(
        select(ChainTransaction.id).where(ChainTransaction.community_id == community_id, ChainTransaction.status.in_(("pending", "sent")))
    )
    return len(rows.all())


async def failed_fund_calls(session: AsyncSession, community_id: uuid.UUID) -> list[ChainTransaction]:
    """Fund transactions the chain refused: the mirror recorded something the contract did not."""
    return list(
        (await session.scalars(
            select(ChainTransaction).where(ChainTransaction.community_id == community_id, ChainTransaction.contract == "fund", ChainTransaction.status == "reverted")
        )).all()
    )


# -- governance proposals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalFacts:
    """What the fund needs to know of a governance proposal."""

    id: uuid.UUID
    community_id: uuid.UUID
    #: Art. 278 matter, lower case (``use_fund``, ``other``, ...).
    matter: str
    #: Governance status (``draft`` ... ``final``, ``executed``, ...).
    status: str
    chain_proposal_id: str | None
    content_hash: str | None = None


def _norm(value: Any) -> str:
    value = getattr(value, "value", value)
    return str(value).strip().lower().replace("-", "_") if value is not None else ""


async def proposal_facts(runtime: Runtime, session: AsyncSession, proposal_id: uuid.UUID) -> ProposalFacts | None:
    """Facts of a governance proposal (None if unknown in this tenant, or when no plugin offers them).

    Asks the ``governance.proposal_facts`` service (``async (session, proposal_id) -> facts | None``, the
    facts having ``id``, ``community_id``, ``matter``, ``status``, ``chain_proposal_id``, ``content_hash``);
    whoever sets ``runtime.services["governance.proposal_facts"]`` replaces it (another governance plugin,
    a test's stand-in). Read in the caller's transaction, so a check sees the proposal as it is now.
    """
    lookup = service(runtime, "governance.proposal_facts")
    if lookup is None:
        return None
    row = await lookup(session, proposal_id)
    if row is None:
        return None
    chain_pid = getattr(row, "chain_proposal_id", None)
    return ProposalFacts(
        id=row.id,
        community_id=row.community_id,
        matter=_norm(row.matter),
        status=_norm(row.status),
        chain_proposal_id=str(chain_pid) if chain_pid is not None else None,
        content_hash=getattr(row, "content_hash", None),
    )


async def planned_units(session: AsyncSession, community_id: uuid.UUID) -> dict[uuid.UUID, RegisteredUnit]:
    """Registry ids and areas, including the ids units not yet registered *will* get (for previews, which
    must not write): ``sync_units`` numbers new units from the highest id, ordered by building then unit id."""
    known = await registered_units(session, community_id)
    rows = (await session.execute(select(Unit.id, Unit.building_id, Unit.registered_area).where(Unit.community_id == community_id))).all()
    next_id = max((r.chain_unit_id for r in known.values()), default=0) + 1
    planned = dict(known)
    for unit_id, _building_id, area in sorted((r for r in rows if r[0] not in known and r[2] > 0), key=lambda r: (str(r[1]), str(r[0]))):
        planned[unit_id] = RegisteredUnit(next_id, int(area))
        next_id += 1
    return planned
