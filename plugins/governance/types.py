"""The governance plugin's GraphQL types: proposals (a relay node), their tally, documents, the
caller's units and vote receipt, objections and the street office's view of a filing; the enums and
the ``ChainId`` scalar; and the helpers the query and mutation roots share (``_gid``, ``_actor``,
``_visible``, ``_load``). Who sees which proposal is decided in :mod:`plugins.governance.repository`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from strawberry import relay
from strawberry.types.scalar import ScalarDefinition

from kernel.sdk import BadUserInput, Forbidden, NotFound, deployment_for
from kernel.sdk.graphql import Connection, decode_id, paginate, requested_page_size
from kernel.sdk.repository import Viewer
from plugins.governance import models as m
from plugins.governance import service
from plugins.governance.filings import ProposalFiling, filing_of
from plugins.governance.repository import (
    ProposalRepository,
    ProposalView,
    scope_unit_rows,
    views,
)
from plugins.governance.vocabulary import ProposalStatus

PLUGIN = "governance"

Matter = strawberry.enum(
    Enum("Matter", {name: name for name in m.MATTERS}),
    description="Art. 278 para. 1 items 1–9, in order",
)  # type: ignore[misc]
ChainId = NewType("ChainId", int)
#: Contributed through ``GraphQLContribution.scalar_map`` (see :mod:`plugins.governance.plugin`).
SCALARS: dict[object, ScalarDefinition] = {
    ChainId: strawberry.scalar(
        name="ChainId",
        serialize=int,
        parse_value=int,
        description="An EVM chain id as a JSON number (the embedded EVM's id, 131277322940537, exceeds GraphQL's 32-bit Int)",
    )
}
VoteChoice = strawberry.enum(
    Enum("VoteChoice", {"FOR": "FOR", "AGAINST": "AGAINST", "ABSTAIN": "ABSTAIN"})
)  # type: ignore[misc]


def _gid(value: str) -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except Exception as exc:  # strawberry's GlobalIDValueError and base64 errors
        raise BadUserInput("malformed id") from exc


def _actor(info: strawberry.Info) -> service.Actor:
    ctx = info.context
    tenant_id = ctx.require_tenant()
    return service.Actor(
        label=ctx.actor.label, account_id=ctx.actor.account_id, tenant_id=tenant_id
    )


@strawberry.type
class ProposalDocument:
    name: str
    url: str
    sha256: str


@strawberry.type(
    description="Counted on chain (contract views). Choices stay null while voting runs."
)
class ProposalTally:
    total_persons: int
    total_area: int = strawberry.field(description="hundredths of m²")
    participating_persons: int
    participating_area: int
    for_persons: int | None
    for_area: int | None
    against_persons: int | None
    against_area: int | None
    abstain_persons: int | None
    abstain_area: int | None
    participation_reached: bool
    passed: bool | None


@strawberry.type
class MyUnitShare:
    unit_number: str
    building_name: str
    area: int
    share_bp: int = strawberry.field(description="share of the proposal's scope area, basis points")
    estimated_cost_fen: int | None


@strawberry.type
class VoteReceipt:
    proposal_id: strawberry.ID
    choice: VoteChoice  # type: ignore[valid-type]
    voter_address: str
    tx_hash: str | None
    block_number: int | None
    status: str = strawberry.field(description="pending | confirmed (| rejected)")
    governance_address: str
    chain_id: ChainId
    chain_proposal_id: str


@strawberry.type
class ReceiptVerification:
    on_chain: bool
    matches_choice: bool
    block_number: int | None
    message: str


async def _receipt(
    info: strawberry.Info, row: m.Proposal, vote: m.Vote, *, just_cast: Any = None
) -> VoteReceipt:
    """A vote's receipt; ``just_cast`` (the deployment, read before voting) skips the queries for a vote
    cast in this request: it is pending (its intent and its queued audit entry commit with the request)."""
    session = info.context.session
    if just_cast is not None:
        status, tx_hash, block, deployment = "pending", None, None, just_cast
    else:
        status, tx_hash, block = await service.vote_status(session, vote)
        deployment = await deployment_for(session, row.community_id)
    return VoteReceipt(
        proposal_id=strawberry.ID(str(relay.GlobalID("Proposal", str(row.id)))),
        choice=VoteChoice(vote.choice),
        voter_address=vote.voter_address,
        tx_hash=tx_hash,
        block_number=block,
        status=status,
        governance_address=deployment.address_of("governance") if deployment else "",
        chain_id=deployment.chain_id if deployment else 0,
        chain_proposal_id=row.chain_proposal_id or "",
    )


@strawberry.type(
    description="An objection to a preliminary result (异议). Who filed it is in the audit log, not here."
)
class ProposalObjection:
    id: strawberry.ID
    text: str
    filed_at: datetime

    @staticmethod
    def from_row(row: m.Objection) -> ProposalObjection:
        return ProposalObjection(
            id=strawberry.ID(str(row.id)), text=row.text, filed_at=row.created_at
        )


@strawberry.type(description="An owners' proposal (业主大会表决事项).")
class Proposal(relay.Node):
    id: relay.NodeID[str]
    title: str
    body: str
    matter: Matter  # type: ignore[valid-type]
    status: ProposalStatus
    voting_starts_at: datetime | None
    voting_ends_at: datetime | None
    objection_ends_at: datetime | None
    scope_buildings: list[str] = strawberry.field(
        description="Names of the buildings in scope (empty: the whole community)"
    )
    total_persons: int
    total_area: int
    content_hash: str
    chain_proposal_id: str | None
    governance_address: str | None
    chain_id: ChainId | None
    community_id: strawberry.ID
    row: strawberry.Private[m.Proposal]

    @strawberry.field
    async def documents(self, info: strawberry.Info) -> list[ProposalDocument]:
        rows = await service.documents_of(info.context.session, self.row.id)
        return [ProposalDocument(name=d.name, url=d.url, sha256=d.sha256) for d in rows]

    @strawberry.field(
        description="Participation always; for/against/abstain once voting has ended. From the chain."
    )
    async def tally(self, info: strawberry.Info) -> ProposalTally | None:
        t = await service.tally(info.context.runtime, info.context.session, self.row)
        return ProposalTally(**t) if t else None

    @strawberry.field(description="The caller's units in scope and the share each would bear")
    async def my_units(self, info: strawberry.Info) -> list[MyUnitShare]:
        ctx = info.context
        keys = await service.my_scope_units(ctx.session, self.row, ctx.actor.account_id)
        ids = [u.unit_id for units in keys.values() for u in units]
        if not ids:
            return []
        rows = await scope_unit_rows(ctx.session, ids)
        total = self.row.total_area or 1
        out = []
        for _, number, area, building in sorted(rows, key=lambda r: (r[3], r[0])):
            cost = None
            if self.row.matter in service.FUND_MATTERS and self.row.estimated_cost_fen is not None:
                cost = self.row.estimated_cost_fen * area // total
            out.append(
                MyUnitShare(
                    unit_number=number,
                    building_name=building,
                    area=area,
                    share_bp=area * 10000 // total,
                    estimated_cost_fen=cost,
                )
            )
        return out

    @strawberry.field(description="How many objections were filed (everyone who sees the proposal)")
    async def objection_count(self, info: strawberry.Info) -> int:
        return await service.objection_count(info.context.session, self.row)

    @strawberry.field(description="The caller's own objections, oldest first")
    async def my_objections(self, info: strawberry.Info) -> list[ProposalObjection]:
        stmt = service.objections_query(self.row, info.context.actor.account_id).order_by(
            m.Objection.created_at, m.Objection.id
        )
        return [ProposalObjection.from_row(r) for r in await info.context.session.scalars(stmt)]

    @strawberry.field(
        description="Every objection, for the committee and the firm's staff (governance:read or :manage); FORBIDDEN to others"
    )
    async def objections(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ProposalObjection]:
        ctx = info.context
        if not (ctx.allowed("governance", "read") or ctx.allowed("governance", "manage")):
            raise Forbidden(
                "only the committee and the firm's staff read every objection",
                permission="governance:read",
            )
        return await paginate(
            ctx.session,
            service.objections_query(self.row),
            order_by=[m.Objection.id],
            first=requested_page_size(info, first),
            after=after,
            to_node=ProposalObjection.from_row,
            key_types=[uuid.UUID],
        )

    @strawberry.field(description="The filing with the street office (备案) and its answer; null until filed.")
    async def filing(self, info: strawberry.Info) -> ProposalFiling | None:
        row = await filing_of(info.context.session, self.row.id)
        return ProposalFiling.of(row) if row else None

    @strawberry.field(description="The caller's own vote, if any")
    async def my_vote(self, info: strawberry.Info) -> VoteReceipt | None:
        votes = await service.my_votes(
            info.context.session, self.row, info.context.actor.account_id
        )
        return await _receipt(info, self.row, votes[0]) if votes else None

    @classmethod
    async def from_row(cls, info: strawberry.Info, row: m.Proposal) -> Proposal:
        return (await cls.from_rows(info, [row]))[0]

    @classmethod
    async def from_rows(cls, info: strawberry.Info, rows: Sequence[m.Proposal]) -> list[Proposal]:
        """The types of ``rows``, loaded together (:func:`plugins.governance.repository.views`)."""
        return [cls.from_view(v) for v in await views(info.context.session, rows)]

    @classmethod
    def from_view(cls, view: ProposalView) -> Proposal:
        row, state, deployment = view.row, view.state, view.deployment
        return cls(
            id=str(row.id),
            title=row.title,
            body=row.body,
            matter=Matter(row.matter),
            status=ProposalStatus(state.status),
            voting_starts_at=row.voting_starts_at,
            voting_ends_at=row.voting_ends_at,
            objection_ends_at=state.objection_ends_at,
            scope_buildings=view.scope_buildings,
            total_persons=row.total_persons,
            total_area=row.total_area,
            content_hash=row.content_hash,
            chain_proposal_id=state.chain_proposal_id,
            governance_address=deployment.address_of("governance") if deployment else None,
            chain_id=deployment.chain_id if deployment else None,
            community_id=strawberry.ID(str(relay.GlobalID("Community", str(row.community_id)))),
            row=row,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ):  # type: ignore[no-untyped-def,override]
        info.context.require_plugin(PLUGIN)
        rows: list[m.Proposal | None] = []
        for n in node_ids:
            try:
                rows.append(await _visible(info, uuid.UUID(n)))
            except ValueError:
                rows.append(None)
        found = iter(await cls.from_rows(info, [r for r in rows if r is not None]))
        return [next(found) if r is not None else None for r in rows]


async def _visible(info: strawberry.Info, proposal_id: uuid.UUID) -> m.Proposal | None:
    """The proposal if the caller may see it (:meth:`ProposalRepository.readable_statement`); the
    read writes nothing."""
    ctx = info.context
    ctx.require_tenant()
    return await ProposalRepository(ctx.session).visible(proposal_id, Viewer.of(ctx))


async def _load(info: strawberry.Info, gid: relay.GlobalID) -> m.Proposal:
    row = await _visible(info, decode_id(gid, "Proposal"))
    if row is None:
        raise NotFound("no such proposal")
    return row


@strawberry.type(
    description="A decision filed with the street office (备案), as the regulator sees it: aggregates only."
)
class StreetFiling:
    id: strawberry.ID = strawberry.field(description="for acknowledgeFiling / returnFiling")
    firm: str
    community: str
    title: str
    matter: str
    outcome: str | None
    filed_at: datetime
    content_hash: str
    chain_proposal_id: str | None
    result: strawberry.scalars.JSON | None
    status: str = strawberry.field(description="received, acknowledged or returned")
    reason: str | None = strawberry.field(description="why it was returned")
    reviewed_at: datetime | None


@strawberry.input
class DocumentInput:
    name: str
    url: str
    sha256: str = strawberry.field(description="hex sha256 of the document's bytes")


ProposalConnection = Connection[Proposal]
