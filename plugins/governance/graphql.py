"""GraphQL of owners' governance (see docs/governance.md, "For integrators (GraphQL)").

Permissions (declared in :mod:`plugins.governance.plugin`): ``governance:manage`` (committee, tenant admin)
runs the workflow; ``governance:read`` (staff, committee, auditors) lists proposals and live participation;
``governance:vote`` (owners) sees the proposals covering their units, votes and objects. Nobody's API shows
an individual's choice except the voter's own receipt.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from sqlalchemy import and_, or_, select
from strawberry import relay
from strawberry.types.scalar import ScalarDefinition

from kernel.sdk import (
    BadUserInput,
    Forbidden,
    NotFound,
    deployment_for,
    holder_address,
)
from kernel.sdk.estate import Building, Unit
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
    paginate,
    requested_page_size,
)
from kernel.sdk.regulator import read_across_tenants
from kernel.sdk.repository import Viewer
from plugins.governance import models as m
from plugins.governance import service
from plugins.governance.ballots import ballot_typed_data
from plugins.governance.repository import ProposalRepository, ProposalView, views

PLUGIN = "governance"

Matter = strawberry.enum(Enum("Matter", {name: name for name in m.MATTERS}), description="Art. 278 para. 1 items 1–9, in order")  # type: ignore[misc]
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
VoteChoice = strawberry.enum(Enum("VoteChoice", {"FOR": "FOR", "AGAINST": "AGAINST", "ABSTAIN": "ABSTAIN"}))  # type: ignore[misc]


def _gid(value: str) -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except Exception as exc:  # strawberry's GlobalIDValueError and base64 errors
        raise BadUserInput("malformed id") from exc


def _actor(info: strawberry.Info) -> service.Actor:
    ctx = info.context
    tenant_id = ctx.require_tenant()
    return service.Actor(label=ctx.actor.label, account_id=ctx.actor.account_id, tenant_id=tenant_id)


@strawberry.type
class ProposalDocument:
    name: str
    url: str
    sha256: str


@strawberry.type(description="Counted on chain (contract views). Choices stay null while voting runs.")
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


async def _receipt(info: strawberry.Info, row: m.Proposal, vote: m.Vote, *, just_cast: Any = None) -> VoteReceipt:
    """A vote's receipt; ``just_cast`` (the deployment, read before voting) skips the queries for a vote
    cast in this request: it is pending, and the tenant's audit lock is held until the commit."""
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


@strawberry.type(description="An objection to a preliminary result (异议). Who filed it is in the audit log, not here.")
class ProposalObjection:
    id: strawberry.ID
    text: str
    filed_at: datetime

    @staticmethod
    def from_row(row: m.Objection) -> ProposalObjection:
        return ProposalObjection(id=strawberry.ID(str(row.id)), text=row.text, filed_at=row.created_at)


@strawberry.type(description="An owners' proposal (业主大会表决事项).")
class Proposal(relay.Node):
    id: relay.NodeID[str]
    title: str
    body: str
    matter: Matter  # type: ignore[valid-type]
    status: str
    voting_starts_at: datetime | None
    voting_ends_at: datetime | None
    objection_ends_at: datetime | None
    scope_buildings: list[str] = strawberry.field(description="Names of the buildings in scope (empty: the whole community)")
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

    @strawberry.field(description="Participation always; for/against/abstain once voting has ended. From the chain.")
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
        rows = (await ctx.session.execute(select(Unit.number_key, Unit.number, Unit.registered_area, Building.name).join(Building, and_(Building.id == Unit.building_id, Building.tenant_id == Unit.tenant_id)).where(Unit.id.in_(ids)))).all()
        total = self.row.total_area or 1
        out = []
        for _, number, area, building in sorted(rows, key=lambda r: (r[3], r[0])):
            cost = None
            if self.row.matter in service.FUND_MATTERS and self.row.estimated_cost_fen is not None:
                cost = self.row.estimated_cost_fen * area // total
            out.append(MyUnitShare(unit_number=number, building_name=building, area=area, share_bp=area * 10000 // total, estimated_cost_fen=cost))
        return out

    @strawberry.field(description="How many objections were filed (everyone who sees the proposal)")
    async def objection_count(self, info: strawberry.Info) -> int:
        return await service.objection_count(info.context.session, self.row)

    @strawberry.field(description="The caller's own objections, oldest first")
    async def my_objections(self, info: strawberry.Info) -> list[ProposalObjection]:
        stmt = service.objections_query(self.row, info.context.actor.account_id).order_by(m.Objection.created_at, m.Objection.id)
        return [ProposalObjection.from_row(r) for r in await info.context.session.scalars(stmt)]

    @strawberry.field(description="Every objection, for the committee and the firm's staff (governance:read or :manage); FORBIDDEN to others")
    async def objections(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[ProposalObjection]:
        ctx = info.context
        if not (ctx.allowed("governance", "read") or ctx.allowed("governance", "manage")):
            raise Forbidden("only the committee and the firm's staff read every objection", permission="governance:read")
        return await paginate(
            ctx.session,
            service.objections_query(self.row),
            order_by=[m.Objection.id],
            first=requested_page_size(info, first),
            after=after,
            to_node=ProposalObjection.from_row,
            key_types=[uuid.UUID],
        )

    @strawberry.field(description="The caller's own vote, if any")
    async def my_vote(self, info: strawberry.Info) -> VoteReceipt | None:
        votes = await service.my_votes(info.context.session, self.row, info.context.actor.account_id)
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
            status=state.status,
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
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
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


@strawberry.type(description="A decision filed with the street office (备案), as the regulator sees it: aggregates only.")
class StreetFiling:
    firm: str
    community: str
    title: str
    matter: str
    outcome: str | None
    filed_at: datetime
    content_hash: str
    chain_proposal_id: str | None
    result: strawberry.scalars.JSON | None


async def _street_filings(info: strawberry.Info) -> list[StreetFiling]:
    from kernel.sdk.estate import Community

    actor = info.context.actor
    street = actor.regulator_street

    async def read(session: Any, tenant: Any) -> list[StreetFiling]:
        rows = await session.execute(
            select(m.Filing, m.Proposal, Community.name)
            .join(m.Proposal, and_(m.Proposal.id == m.Filing.proposal_id, m.Proposal.tenant_id == m.Filing.tenant_id))
            .join(Community, and_(Community.id == m.Proposal.community_id, Community.tenant_id == m.Proposal.tenant_id))
            .where(m.Filing.street_code == street)
            .order_by(m.Filing.created_at)
        )
        return [
            StreetFiling(
                firm=tenant.name, community=cname, title=p.title, matter=p.matter, outcome=p.outcome,
                filed_at=f.created_at, content_hash=p.content_hash, chain_proposal_id=p.chain_proposal_id, result=p.result,
            )
            for f, p, cname in rows
        ]

    return await read_across_tenants(
        info.context.runtime, regulator=actor.label, street_code=street, action="regulator.read_filings", read=read, plugin="governance"
    )


@strawberry.type
class GovernanceQuery:
    @strawberry.field(
        permission_classes=[IsRegulator],
        description="Street office: owners' decisions filed by every property firm in the jurisdiction (audited in each firm).",
    )
    async def street_filings(self, info: strawberry.Info) -> list[StreetFiling]:
        return await _street_filings(info)

    @strawberry.field(permission_classes=[Allowed("governance", "vote")], description="Published proposals covering one of the caller's units, newest first.")
    async def my_proposals(self, info: strawberry.Info) -> list[Proposal]:
        ctx = info.context
        return await Proposal.from_rows(info, await ProposalRepository(ctx.session).covering(Viewer.of(ctx)))

    @strawberry.field(description="One proposal, if the caller may see it (else null).")
    async def proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal | None:
        info.context.require_tenant()
        try:
            row = await _visible(info, decode_id(_gid(id), "Proposal"))
        except (ValueError, BadUserInput):
            return None
        return await Proposal.from_row(info, row) if row else None

    @strawberry.field(permission_classes=[Allowed("governance", "read")], description="A community's proposals, newest first.")
    async def proposals(self, info: strawberry.Info, community_id: strawberry.ID, first: int | None = None, after: str | None = None) -> Connection[Proposal]:
        ctx = info.context
        cid = decode_id(_gid(community_id), "Community")
        s = ctx.runtime.settings
        n = page_size(first, default=s.default_page_size, maximum=s.max_page_size)
        stmt = ProposalRepository(ctx.session).readable_statement(Viewer.of(ctx)).where(m.Proposal.community_id == cid)
        if after:
            at_raw, id_raw = decode_cursor(after, 2)
            try:
                at, pid = datetime.fromisoformat(at_raw), uuid.UUID(id_raw)
            except ValueError as exc:
                raise BadUserInput("the cursor is not valid; use a cursor from a previous page") from exc
            stmt = stmt.where(or_(m.Proposal.created_at < at, and_(m.Proposal.created_at == at, m.Proposal.id < pid)))
        rows = (await ctx.session.scalars(stmt.order_by(m.Proposal.created_at.desc(), m.Proposal.id.desc()).limit(n + 1))).all()
        page = rows[:n]
        edges = [Edge(cursor=encode_cursor([r.created_at.isoformat(), r.id]), node=node) for r, node in zip(page, await Proposal.from_rows(info, page), strict=True)]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > n, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(permission_classes=[Allowed("governance", "vote")], description="Check the caller's vote against the contract.")
    async def verify_vote_receipt(self, info: strawberry.Info, proposal_id: strawberry.ID) -> ReceiptVerification:
        ctx = info.context
        row = await _load(info, _gid(proposal_id))
        votes = await service.my_votes(ctx.session, row, ctx.actor.account_id)
        if not votes:
            return ReceiptVerification(on_chain=False, matches_choice=False, block_number=None, message="you have not voted on this proposal")
        r = await service.verify_receipt(ctx.runtime, ctx.session, row, votes[0])
        return ReceiptVerification(on_chain=r["on_chain"], matches_choice=r["matches_choice"], block_number=r["block_number"], message=r["message"])

    @strawberry.field(permission_classes=[Allowed("governance", "vote")], description="EIP-712 typed data (JSON) of the caller's ballot, for signing with their own key.")
    async def ballot_typed_data(self, info: strawberry.Info, proposal_id: strawberry.ID, choice: VoteChoice) -> str:  # type: ignore[valid-type]
        ctx = info.context
        row = await _load(info, _gid(proposal_id))
        if not row.chain_proposal_id:
            raise NotFound("the proposal is not on chain yet")
        deployment = await deployment_for(ctx.session, row.community_id)
        keys = await service.my_scope_units(ctx.session, row, ctx.actor.account_id)
        if not keys or deployment is None:
            raise NotFound("you have no unit in this proposal's scope")
        voter = await holder_address(ctx.runtime, ctx.session, sorted(keys)[0])
        data = ballot_typed_data(deployment.chain_id, deployment.address_of("governance"), int(row.chain_proposal_id), m.CHOICES.index(choice.value), voter, 0)
        return json.dumps(data)


@strawberry.input
class DocumentInput:
    name: str
    url: str
    sha256: str = strawberry.field(description="hex sha256 of the document's bytes")


@strawberry.type
class GovernanceMutation:
    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Draft a proposal (committee or tenant admin).")
    async def draft_proposal(
        self,
        info: strawberry.Info,
        community_id: strawberry.ID,
        matter: Matter,  # type: ignore[valid-type]
        title: str,
        body: str,
        building_ids: list[strawberry.ID] | None = None,
        voting_starts_at: datetime | None = None,
        voting_ends_at: datetime | None = None,
        objection_days: int | None = None,
        estimated_cost_fen: int | None = None,
        documents: list[DocumentInput] | None = None,
    ) -> Proposal:
        actor = _actor(info)
        row = await service.draft(
            info.context.session,
            actor,
            community_id=decode_id(_gid(community_id), "Community"),
            matter=matter.value,
            title=title,
            body=body,
            building_ids=[decode_id(_gid(b), "Building") for b in building_ids or []],
            voting_starts_at=voting_starts_at,
            voting_ends_at=voting_ends_at,
            objection_days=objection_days,
            estimated_cost_fen=estimated_cost_fen,
            documents=[{"name": d.name, "url": d.url, "sha256": d.sha256} for d in documents or []],
        )
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Edit a draft until it is published: an argument left out stays as it is; null clears the voting window "
        "or the estimated cost; documents, when given, replace the draft's. The same rules as draftProposal (BAD_USER_INPUT naming "
        "the field); CONFLICT once published.",
    )
    async def update_draft_proposal(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        matter: Matter | None = strawberry.UNSET,  # type: ignore[valid-type]
        title: str | None = strawberry.UNSET,
        body: str | None = strawberry.UNSET,
        building_ids: list[strawberry.ID] | None = strawberry.UNSET,
        voting_starts_at: datetime | None = strawberry.UNSET,
        voting_ends_at: datetime | None = strawberry.UNSET,
        objection_days: int | None = strawberry.UNSET,
        estimated_cost_fen: int | None = strawberry.UNSET,
        documents: list[DocumentInput] | None = strawberry.UNSET,
    ) -> Proposal:
        row = await _load(info, _gid(id))
        given = {
            "matter": matter.value if matter else matter,
            "title": title,
            "body": body,
            "building_ids": [decode_id(_gid(b), "Building") for b in building_ids] if building_ids else building_ids,
            "voting_starts_at": voting_starts_at,
            "voting_ends_at": voting_ends_at,
            "objection_days": objection_days,
            "estimated_cost_fen": estimated_cost_fen,
            "documents": [{"name": d.name, "url": d.url, "sha256": d.sha256} for d in documents] if documents else documents,
        }
        changes = {k: v for k, v in given.items() if v is not strawberry.UNSET}
        await service.update_draft(info.context.session, _actor(info), row, changes)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Publish the notice: scope, Art. 278 totals, units on chain.")
    async def publish_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.publish(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Open voting: the proposal goes on chain.")
    async def open_voting(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.open_voting(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "vote")], description="Vote with the platform-held key of each person you vote for.")
    async def cast_vote(self, info: strawberry.Info, proposal_id: strawberry.ID, choice: VoteChoice) -> VoteReceipt:  # type: ignore[valid-type]
        row = await _load(info, _gid(proposal_id))
        deployment = await deployment_for(info.context.session, row.community_id)
        vote = await service.cast_vote(info.context.runtime, info.context.session, _actor(info), row, choice.value)
        return await _receipt(info, row, vote, just_cast=deployment)

    @strawberry.mutation(permission_classes=[Allowed("governance", "vote")], description="Relay a ballot signed with your own key (see ballotTypedData).")
    async def cast_signed_vote(
        self, info: strawberry.Info, proposal_id: strawberry.ID, choice: VoteChoice, voter_address: str, signature: str  # type: ignore[valid-type]
    ) -> VoteReceipt:
        row = await _load(info, _gid(proposal_id))
        deployment = await deployment_for(info.context.session, row.community_id)
        vote = await service.cast_signed_vote(info.context.runtime, info.context.session, _actor(info), row, choice.value, voter_address, signature)
        return await _receipt(info, row, vote, just_cast=deployment)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "vote")],
        description="Self custody: vote with your own address from now on (sign ballots with ballotTypedData); returns it.",
    )
    async def register_voting_address(self, info: strawberry.Info, address: str) -> str:
        await service.register_voting_address(info.context.runtime, info.context.session, _actor(info), address)
        return address

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Close voting: publish the preliminary result on chain.")
    async def close_voting(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.close_voting(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "vote")], description="Object to a preliminary result (owners in scope).")
    async def file_objection(self, info: strawberry.Info, proposal_id: strawberry.ID, text: str) -> Proposal:
        row = await _load(info, _gid(proposal_id))
        await service.file_objection(info.context.runtime, info.context.session, _actor(info), row, text)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Make the result final after the objection period.")
    async def finalize_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.finalize(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="File the decided proposal with the street office (备案).")
    async def file_to_regulator(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.file_to_regulator(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(permission_classes=[Allowed("governance", "manage")], description="Cancel a proposal that is not final.")
    async def cancel_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.cancel(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)


ProposalConnection = Connection[Proposal]
