"""The street office's filings inbox (备案): the regulator acknowledges a filing or returns it with a
reason; the firm sees the answer on the proposal (``Proposal.filing``) and may file a returned
decision again. A filing outside the regulator's streets is NOT_FOUND, as an unknown one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry import relay

from kernel.sdk import BadUserInput, Conflict, utcnow
from kernel.sdk.graphql import IsRegulator
from kernel.sdk.regulator import act_in_tenant, regulator_streets
from plugins.governance import models as m

ACKNOWLEDGED, RETURNED, RECEIVED = "acknowledged", "returned", "received"
MAX_REASON = 500
TYPE = "StreetFiling"


def filing_gid(tenant_id: uuid.UUID, filing_id: uuid.UUID) -> strawberry.ID:
    """A filing's id names its firm too: the regulator has no tenant to look it up in."""
    return strawberry.ID(str(relay.GlobalID(TYPE, f"{tenant_id}.{filing_id}")))


def parse_filing_gid(value: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    try:
        gid = relay.GlobalID.from_id(value)
        tenant, filing = gid.node_id.split(".")
        return (uuid.UUID(tenant), uuid.UUID(filing)) if gid.type_name == TYPE else None
    except (ValueError, TypeError):
        return None


@strawberry.type(description="The street office's answer to a filing, as the firm sees it.")
class ProposalFiling:
    filed_at: datetime
    status: str = strawberry.field(description="received, acknowledged or returned")
    reason: str | None = strawberry.field(description="why the street office returned it")
    reviewed_at: datetime | None

    @classmethod
    def of(cls, row: m.Filing) -> ProposalFiling:
        return cls(filed_at=row.created_at, status=row.review_status, reason=row.review_reason, reviewed_at=row.reviewed_at)


async def filing_of(session: Any, proposal_id: uuid.UUID) -> m.Filing | None:
    return await session.scalar(select(m.Filing).where(m.Filing.proposal_id == proposal_id))


async def review(info: strawberry.Info, id: strawberry.ID, decision: str, reason: str | None) -> ProposalFiling:
    actor = info.context.actor
    runtime = info.context.runtime
    if decision == RETURNED:
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise BadUserInput(f"give the reason for returning the filing (1–{MAX_REASON} characters)", field="reason")
    ids = parse_filing_gid(str(id))
    if ids is None:
        raise BadUserInput("malformed filing id", field="id")
    tenant_id, filing_id = ids
    streets = await regulator_streets(runtime, actor.regulator_street)

    async def act(session: Any, tenant: Any) -> ProposalFiling | None:
        row = await session.scalar(
            select(m.Filing).where(m.Filing.id == filing_id, m.Filing.street_code.in_(streets)).with_for_update()
        )
        if row is None:
            return None
        if row.review_status != RECEIVED:
            raise Conflict(f"this filing was already {row.review_status}", reason=row.review_status)
        row.review_status, row.review_reason = decision, reason if decision == RETURNED else None
        row.reviewed_at, row.reviewed_by = utcnow(), actor.label
        await session.flush()
        return ProposalFiling.of(row)

    return await act_in_tenant(
        runtime, regulator=actor.label, tenant_id=tenant_id, action=f"regulator.filing_{decision}", target=str(filing_id),
        act=act, plugin="governance",
    )


@strawberry.type
class FilingInboxMutation:
    @strawberry.mutation(permission_classes=[IsRegulator], description="Street office: acknowledge a filing (备案已收悉). Audited in the firm.")
    async def acknowledge_filing(self, info: strawberry.Info, id: strawberry.ID) -> ProposalFiling:
        return await review(info, id, ACKNOWLEDGED, None)

    @strawberry.mutation(permission_classes=[IsRegulator], description="Street office: return a filing with a reason (退回); the firm may file it again. Audited in the firm.")
    async def return_filing(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> ProposalFiling:
        return await review(info, id, RETURNED, reason)
