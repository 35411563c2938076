"""Forget a tenant's chain records: for development chains that start empty with every process (the
embedded EVM), where the records would point at contracts that no longer exist."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.outbox import OutboxMessage

from .models import ChainDeployment, ChainEvent, ChainKey, ChainScope, ChainTransaction, ChainUnit

__all__ = ["forget_chain_state"]


async def forget_chain_state(session: AsyncSession) -> None:
    """Delete the session's tenant's deployments, intents (and their queued outbox messages), indexed events,
    registered units and scopes, and custodial keys. Only for development chains: on a real chain these
    records are the only link to what is there."""
    for model in (ChainEvent, ChainTransaction, ChainUnit, ChainScope, ChainDeployment, ChainKey):
        await session.execute(delete(model))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.topic == "chain"))
