"""Forget a tenant's chain records: for development chains that start empty with every process (the
embedded EVM), where the records would point at contracts that no longer exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import OutboxMessage

from .models import ChainDeployment, ChainEvent, ChainKey, ChainScope, ChainTransaction, ChainUnit

__all__ = ["chain_records_stale", "forget_chain_state"]


async def forget_chain_state(session: AsyncSession) -> None:
    """Delete the session's tenant's deployments, intents (and their queued outbox messages), indexed events,
    registered units and scopes, and custodial keys. Only for development chains: on a real chain these
    records are the only link to what is there."""
    for model in (ChainEvent, ChainTransaction, ChainUnit, ChainScope, ChainDeployment, ChainKey):
        await session.execute(delete(model))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.topic == "chain"))


async def chain_records_stale(runtime: Any, session: AsyncSession) -> bool:
    """Whether any contract the session's tenant recorded as deployed has no code on the chain the runtime
    is connected to now (a development chain that started empty). ``False`` when nothing was deployed, and
    on a chain that kept its state (a node, or the embedded EVM kept in ``embedded_chain_dir``)."""
    from .relay import chain_client

    addresses = list(await session.scalars(select(ChainDeployment.address)))
    if not addresses:
        return False
    client = await chain_client(runtime)
    for address in addresses:
        if not await client.w3.eth.get_code(client.w3.to_checksum_address(address)):
            return True
    return False
