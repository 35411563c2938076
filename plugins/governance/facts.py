"""The service other plugins ask about a proposal (``governance.proposal_facts``, offered through
``register_services``): the funds plugin pays only against a final proposal of the right matter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.governance import models as m

__all__ = ["ProposalFacts", "proposal_facts"]


@dataclass(frozen=True)
class ProposalFacts:
    """What another plugin may know of a proposal (no text, no votes)."""

    id: uuid.UUID
    community_id: uuid.UUID
    #: Art. 278 matter, lower case (``use_fund``, ``other``, ...).
    matter: str
    #: Workflow status (``draft`` ... ``final``, ``executed``, ``cancelled``).
    status: str
    chain_proposal_id: str | None
    content_hash: str | None


async def proposal_facts(session: AsyncSession, proposal_id: uuid.UUID) -> ProposalFacts | None:
    """Facts of a proposal of the session's tenant (``None`` when unknown here: a foreign tenant's id too)."""
    row = await session.scalar(select(m.Proposal).where(m.Proposal.id == proposal_id))
    if row is None:
        return None
    return ProposalFacts(
        id=row.id,
        community_id=row.community_id,
        matter=row.matter.lower(),
        status=row.status,
        chain_proposal_id=row.chain_proposal_id,
        content_hash=row.content_hash or None,
    )
