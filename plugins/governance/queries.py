"""The governance plugin's query root: the caller's proposals, one proposal, a community's
proposals (paged), receipt verification, ballot typed data, and the street office's filings across
firms. Reads write nothing (:mod:`plugins.governance.repository`)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import and_, or_

from kernel.sdk import BadUserInput, NotFound, deployment_for, holder_address
from kernel.sdk.graphql import (
    Allowed,
    Connection,
    Edge,
    IsRegulator,
    PageInfo,
    decode_cursor,
    decode_id,
    encode_cursor,
    page_size,
)
from kernel.sdk.regulator import read_across_tenants, regulator_streets
from kernel.sdk.repository import Viewer
from plugins.governance import models as m
from plugins.governance import service
from plugins.governance.ballots import ballot_typed_data
from plugins.governance.filings import filing_gid
from plugins.governance.repository import ProposalRepository, street_filings
from plugins.governance.types import (
    Proposal,
    ReceiptVerification,
    StreetFiling,
    VoteChoice,
    _gid,
    _load,
    _visible,
)


async def _street_filings(info: strawberry.Info, status: str | None = None) -> list[StreetFiling]:
    actor = info.context.actor
    street = actor.regulator_street
    streets = await regulator_streets(info.context.runtime, street)

    async def read(session: Any, tenant: Any) -> list[StreetFiling]:
        rows = await street_filings(session, streets, status)
        return [
            StreetFiling(
                id=filing_gid(tenant.id, f.id),
                firm=tenant.name,
                community=cname,
                title=p.title,
                matter=p.matter,
                outcome=p.outcome,
                filed_at=f.created_at,
                content_hash=p.content_hash,
                chain_proposal_id=p.chain_proposal_id,
                result=p.result,
                status=f.review_status,
                reason=f.review_reason,
                reviewed_at=f.reviewed_at,
            )
            for f, p, cname in rows
        ]

    return await read_across_tenants(
        info.context.runtime,
        regulator=actor.label,
        street_code=street,
        action="regulator.read_filings",
        read=read,
        plugin="governance",
    )


@strawberry.type
class GovernanceQuery:
    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: owners' decisions filed by every property firm in the jurisdiction — the filings "
        "inbox; status (received, acknowledged, returned) narrows it (audited in each firm).",
    )
    async def street_filings(self, info: strawberry.Info, status: str | None = None) -> list[StreetFiling]:
        if status is not None and status not in m.REVIEW_STATES:
            raise BadUserInput(f"status is one of {', '.join(m.REVIEW_STATES)}", field="status")
        return await _street_filings(info, status)

    @strawberry.field(
        permission_classes=[Allowed("governance", "vote")],
        description="Published proposals covering one of the caller's units, newest first.",
    )
    async def my_proposals(self, info: strawberry.Info) -> list[Proposal]:
        ctx = info.context
        return await Proposal.from_rows(
            info, await ProposalRepository(ctx.session).covering(Viewer.of(ctx))
        )

    @strawberry.field(description="One proposal, if the caller may see it (else null).")
    async def proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal | None:
        info.context.require_tenant()
        try:
            row = await _visible(info, decode_id(_gid(id), "Proposal"))
        except (ValueError, BadUserInput):
            return None
        return await Proposal.from_row(info, row) if row else None

    @strawberry.field(
        permission_classes=[Allowed("governance", "read")],
        description="A community's proposals, newest first.",
    )
    async def proposals(
        self,
        info: strawberry.Info,
        community_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal]:
        ctx = info.context
        cid = decode_id(_gid(community_id), "Community")
        s = ctx.runtime.settings
        n = page_size(first, default=s.default_page_size, maximum=s.max_page_size)
        stmt = (
            ProposalRepository(ctx.session)
            .readable_statement(Viewer.of(ctx))
            .where(m.Proposal.community_id == cid)
        )
        if after:
            at_raw, id_raw = decode_cursor(after, 2)
            try:
                at, pid = datetime.fromisoformat(at_raw), uuid.UUID(id_raw)
            except ValueError as exc:
                raise BadUserInput(
                    "the cursor is not valid; use a cursor from a previous page"
                ) from exc
            stmt = stmt.where(
                or_(
                    m.Proposal.created_at < at,
                    and_(m.Proposal.created_at == at, m.Proposal.id < pid),
                )
            )
        rows = (
            await ctx.session.scalars(
                stmt.order_by(m.Proposal.created_at.desc(), m.Proposal.id.desc()).limit(n + 1)
            )
        ).all()
        page = rows[:n]
        edges = [
            Edge(cursor=encode_cursor([r.created_at.isoformat(), r.id]), node=node)
            for r, node in zip(page, await Proposal.from_rows(info, page), strict=True)
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > n, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(
        permission_classes=[Allowed("governance", "vote")],
        description="Check the caller's vote against the contract.",
    )
    async def verify_vote_receipt(
        self, info: strawberry.Info, proposal_id: strawberry.ID
    ) -> ReceiptVerification:
        ctx = info.context
        row = await _load(info, _gid(proposal_id))
        votes = await service.my_votes(ctx.session, row, ctx.actor.account_id)
        if not votes:
            return ReceiptVerification(
                on_chain=False,
                matches_choice=False,
                block_number=None,
                message="you have not voted on this proposal",
            )
        r = await service.verify_receipt(ctx.runtime, ctx.session, row, votes[0])
        return ReceiptVerification(
            on_chain=r["on_chain"],
            matches_choice=r["matches_choice"],
            block_number=r["block_number"],
            message=r["message"],
        )

    @strawberry.field(
        permission_classes=[Allowed("governance", "vote")],
        description="EIP-712 typed data (JSON) of the caller's ballot, for signing with their own key.",
    )
    async def ballot_typed_data(
        self, info: strawberry.Info, proposal_id: strawberry.ID, choice: VoteChoice
    ) -> str:  # type: ignore[valid-type]
        ctx = info.context
        row = await _load(info, _gid(proposal_id))
        if not row.chain_proposal_id:
            raise NotFound("the proposal is not on chain yet")
        deployment = await deployment_for(ctx.session, row.community_id)
        keys = await service.my_scope_units(ctx.session, row, ctx.actor.account_id)
        if not keys or deployment is None:
            raise NotFound("you have no unit in this proposal's scope")
        voter = await holder_address(ctx.runtime, ctx.session, sorted(keys)[0])
        data = ballot_typed_data(
            deployment.chain_id,
            deployment.address_of("governance"),
            int(row.chain_proposal_id),
            m.CHOICES.index(choice.value),
            voter,
            0,
        )
        return json.dumps(data)
