"""The governance plugin's mutation root: decode ids, load the proposal the caller may see, call the
workflow in :mod:`plugins.governance.service` (which checks the status, audits and publishes)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kernel.sdk import deployment_for
from kernel.sdk.graphql import Allowed, decode_id
from plugins.governance import service
from plugins.governance.types import (
    DocumentInput,
    Matter,
    Proposal,
    VoteChoice,
    VoteReceipt,
    _actor,
    _gid,
    _load,
    _receipt,
)


@strawberry.type
class GovernanceMutation:
    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Draft a proposal (committee or tenant admin).",
    )
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
            "building_ids": [decode_id(_gid(b), "Building") for b in building_ids]
            if building_ids
            else building_ids,
            "voting_starts_at": voting_starts_at,
            "voting_ends_at": voting_ends_at,
            "objection_days": objection_days,
            "estimated_cost_fen": estimated_cost_fen,
            "documents": [{"name": d.name, "url": d.url, "sha256": d.sha256} for d in documents]
            if documents
            else documents,
        }
        changes = {k: v for k, v in given.items() if v is not strawberry.UNSET}
        await service.update_draft(info.context.session, _actor(info), row, changes)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Publish the notice: scope, Art. 278 totals, units on chain.",
    )
    async def publish_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.publish(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Open voting: the proposal goes on chain.",
    )
    async def open_voting(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.open_voting(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "vote")],
        description="Vote with the platform-held key of each person you vote for.",
    )
    async def cast_vote(
        self, info: strawberry.Info, proposal_id: strawberry.ID, choice: VoteChoice
    ) -> VoteReceipt:  # type: ignore[valid-type]
        row = await _load(info, _gid(proposal_id))
        deployment = await deployment_for(info.context.session, row.community_id)
        vote = await service.cast_vote(
            info.context.runtime, info.context.session, _actor(info), row, choice.value
        )
        return await _receipt(info, row, vote, just_cast=deployment)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "vote")],
        description="Relay a ballot signed with your own key (see ballotTypedData).",
    )
    async def cast_signed_vote(
        self,
        info: strawberry.Info,
        proposal_id: strawberry.ID,
        choice: VoteChoice,
        voter_address: str,
        signature: str,  # type: ignore[valid-type]
    ) -> VoteReceipt:
        row = await _load(info, _gid(proposal_id))
        deployment = await deployment_for(info.context.session, row.community_id)
        vote = await service.cast_signed_vote(
            info.context.runtime,
            info.context.session,
            _actor(info),
            row,
            choice.value,
            voter_address,
            signature,
        )
        return await _receipt(info, row, vote, just_cast=deployment)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "vote")],
        description="Self custody: vote with your own address from now on (sign ballots with ballotTypedData); returns it.",
    )
    async def register_voting_address(self, info: strawberry.Info, address: str) -> str:
        await service.register_voting_address(
            info.context.runtime, info.context.session, _actor(info), address
        )
        return address

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Close voting: publish the preliminary result on chain.",
    )
    async def close_voting(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.close_voting(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "vote")],
        description="Object to a preliminary result (owners in scope).",
    )
    async def file_objection(
        self, info: strawberry.Info, proposal_id: strawberry.ID, text: str
    ) -> Proposal:
        row = await _load(info, _gid(proposal_id))
        await service.file_objection(
            info.context.runtime, info.context.session, _actor(info), row, text
        )
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Make the result final after the objection period.",
    )
    async def finalize_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.finalize(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="File the decided proposal with the street office (备案).",
    )
    async def file_to_regulator(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.file_to_regulator(
            info.context.runtime, info.context.session, _actor(info), row
        )
        return await Proposal.from_row(info, row)

    @strawberry.mutation(
        permission_classes=[Allowed("governance", "manage")],
        description="Cancel a proposal that is not final.",
    )
    async def cancel_proposal(self, info: strawberry.Info, id: strawberry.ID) -> Proposal:
        row = await _load(info, _gid(id))
        await service.cancel(info.context.runtime, info.context.session, _actor(info), row)
        return await Proposal.from_row(info, row)
