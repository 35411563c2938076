"""The owners' governance workflow: draft → publish (notice with scope and Art. 278 totals, units on chain)
→ open voting (proposal on chain) → votes (relayed signed ballots) → close (preliminary result published on
chain) → objections → finalize (after the objection period) → filing to the street office.

Rules enforced here (the contract enforces the counting):

* only owners of units in the proposal's scope vote, once per person key (Art. 278 counting: a buyer of
  several units votes once, co-owners vote once through the one they designated (any of them while none
  is), the developer's unsold units count as one person, voted by its linked representative); renters,
  family members and staff have no person key in scope → FORBIDDEN;
* a second vote for the same person key → CONFLICT "you have already voted"; a co-owner whose unit was
  voted by another co-owner, or who is not the designated one, gets CONFLICT naming who voted / who is
  designated (``voted_by`` / ``designated`` in the error's extensions);
* the committee sees participation (persons and area, with ratios) while voting runs, never an individual
  choice; for/against/abstain figures appear once voting has ended;
* every action is audited; chain writes are intents delivered by the relayer (``kernel.chain.relay``).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import (
    BadUserInput,
    CommunityContracts,
    Conflict,
    Event,
    Forbidden,
    NotFound,
    UnitToRegister,
    audit,
    audit_queued,
    chain_client,
    deployment_for,
    enqueue_chain_call,
    ensure_community_contracts,
    ensure_scope,
    holder_account,
    holder_address,
    sync_units,
    transaction_for,
    utcnow,
)
from kernel.sdk.db import transaction_memo
from kernel.sdk.estate import (
    Building,
    Community,
    Holding,
    Ownership,
    Person,
    Unit,
    VotingUnit,
    holdings_of,
    person_key_for,
    totals,
    voting_units,
)
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.governance import models as m
from plugins.governance.ballots import SignedBallot, recover_ballot_signer, sign_ballot
from plugins.governance.inputs import EDITABLE, DraftChanges, DraftProposal, check_voting_window

#: Seconds between opening the vote and the first second votes count on chain (the propose transaction
#: must be mined before ``voteStart``).
START_DELAY = 2
FUND_MATTERS = {"USE_FUND", "RAISE_FUND"}
OUTCOMES = {2: "DefeatedNoQuorum", 3: "Defeated", 4: "Succeeded"}
STATUS_OF_OUTCOME = {"DefeatedNoQuorum": "defeated_no_quorum", "Defeated": "defeated", "Succeeded": "objection"}


@dataclass
class Actor:
    """Who acts: the audit label and, for people, their account."""

    label: str
    account_id: uuid.UUID | None
    tenant_id: uuid.UUID


def intent(kind: str, proposal: m.Proposal, suffix: str = "") -> str:
    """The relayer intent of a proposal's chain call (``gov:propose:<id>``, ``vote:<id>:<person key>``...)."""
    if kind == "vote":
        return f"vote:{proposal.id}:{suffix}"
    return f"gov:{kind}:{proposal.id}" + (f":{suffix}" if suffix else "")


def poke_after_commit(runtime: Runtime, session: AsyncSession) -> None:
    """Wake the relayer as soon as the caller's transaction commits (not half a second later)."""
    sync = session.sync_session
    if sync.info.get("gov_poke"):
        return
    sync.info["gov_poke"] = True

    def _after_commit(_: Any) -> None:
        sync.info.pop("gov_poke", None)
        runtime.poke_workers()

    sa_event.listen(sync, "after_commit", _after_commit, once=True)


# ---------------------------------------------------------------------------------------------- reading


async def get_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> m.Proposal:
    row = await session.get(m.Proposal, {"tenant_id": session.info["tenant_id"], "id": proposal_id})
    if row is None:
        raise NotFound("no such proposal")
    return row


async def documents_of(session: AsyncSession, proposal_id: uuid.UUID) -> list[m.ProposalDocument]:
    rows = await session.scalars(select(m.ProposalDocument).where(m.ProposalDocument.proposal_id == proposal_id).order_by(m.ProposalDocument.created_at))
    return list(rows.all())


def content_hash(proposal: m.Proposal, documents: list[m.ProposalDocument]) -> str:
    """sha256 of the proposal's text and documents (canonical JSON), as stored in the chain's ``contentHash``."""
    body = json.dumps(
        {
            "id": str(proposal.id),
            "matter": proposal.matter,
            "title": proposal.title,
            "body": proposal.body,
            "documents": [{"name": d.name, "url": d.url, "sha256": d.sha256} for d in documents],
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "0x" + hashlib.sha256(body.encode()).hexdigest()


async def scope_units(session: AsyncSession, proposal: m.Proposal) -> list[VotingUnit]:
    """The voting units of the proposal's scope (Art. 278 person keys)."""
    buildings = [uuid.UUID(b) for b in proposal.building_ids] or None
    return await voting_units(session, proposal.community_id, buildings)


async def persons_of_account(session: AsyncSession, account_id: uuid.UUID | None) -> set[str]:
    if account_id is None:
        return set()
    rows = await session.scalars(select(Person.id).where(Person.account_id == account_id))
    return {str(p) for p in rows.all()}


async def holdings(session: AsyncSession, proposal: m.Proposal, account_id: uuid.UUID | None) -> dict[str, Holding]:
    """The person keys in the proposal's scope the caller holds (owner, co-owner, developer's representative).

    Kept for the transaction until it writes (``castVote`` asks twice: its result type's visibility
    check and the vote itself); callers only read the answer."""
    memo = transaction_memo(session)
    key = ("governance.holdings", proposal.community_id, tuple(proposal.building_ids or ()), account_id)
    found: dict[str, Holding] | None = memo.get(key)
    if found is None:
        persons = {uuid.UUID(p) for p in await persons_of_account(session, account_id)}
        buildings = [uuid.UUID(b) for b in proposal.building_ids] or None
        found = memo[key] = await holdings_of(session, persons, proposal.community_id, buildings)
    return found


async def my_scope_units(session: AsyncSession, proposal: m.Proposal, account_id: uuid.UUID | None) -> dict[str, list[VotingUnit]]:
    """The caller's person keys in the proposal's scope and their units."""
    return {k: list(h.units) for k, h in (await holdings(session, proposal, account_id)).items()}


async def covers_account(session: AsyncSession, proposal: m.Proposal, account_id: uuid.UUID | None) -> bool:
    """Whether one of the account's units (or, for the developer's representative, unsold units) is in scope."""
    return bool(await holdings(session, proposal, account_id))


# ---------------------------------------------------------------------------------------------- drafting


async def draft(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    matter: str,
    title: str,
    body: str,
    building_ids: list[uuid.UUID] | None = None,
    voting_starts_at: datetime | None = None,
    voting_ends_at: datetime | None = None,
    objection_days: int | None = None,
    estimated_cost_fen: int | None = None,
    documents: list[dict[str, str]] | None = None,
) -> m.Proposal:
    """Write a draft proposal (committee or tenant admin); the input is validated first
    (:class:`plugins.governance.inputs.DraftProposal`), so a bad one writes nothing."""
    spec = parse_input(
        DraftProposal,
        community_id=community_id,
        matter=matter,
        title=title,
        body=body,
        building_ids=building_ids or [],
        voting_starts_at=voting_starts_at,
        voting_ends_at=voting_ends_at,
        objection_days=objection_days,
        estimated_cost_fen=estimated_cost_fen,
        documents=documents or [],
    )
    check_voting_window(spec.voting_starts_at, spec.voting_ends_at, utcnow())
    if await session.get(Community, {"tenant_id": actor.tenant_id, "id": spec.community_id}) is None:
        raise NotFound("no such community")
    buildings = spec.building_ids
    await _check_buildings(session, spec.community_id, buildings)
    row = m.Proposal(
        community_id=spec.community_id,
        matter=spec.matter,
        title=spec.title,
        body=spec.body,
        status="draft",
        building_ids=[str(b) for b in buildings],
        voting_starts_at=spec.voting_starts_at,
        voting_ends_at=spec.voting_ends_at,
        objection_days=spec.objection_days or 7,
        estimated_cost_fen=spec.estimated_cost_fen,
        created_by=actor.label,
    )
    session.add(row)
    await session.flush()
    for d in spec.documents:
        session.add(m.ProposalDocument(proposal_id=row.id, name=d.name[:200], url=d.url[:1000], sha256=d.sha256))
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.drafted", target=str(row.id), detail={"matter": spec.matter})
    return row


async def _check_buildings(session: AsyncSession, community_id: uuid.UUID, buildings: list[uuid.UUID]) -> None:
    if buildings:
        found = set((await session.scalars(select(Building.id).where(Building.id.in_(buildings), Building.community_id == community_id))).all())
        if len(found) != len(buildings):
            raise NotFound("a building of the scope does not exist in this community")


def _draft_fields(proposal: m.Proposal, documents: list[m.ProposalDocument]) -> dict[str, Any]:
    """A stored draft as :class:`DraftProposal` input (what an edit is merged into)."""
    return {
        "community_id": proposal.community_id,
        "matter": proposal.matter,
        "title": proposal.title,
        "body": proposal.body,
        "building_ids": [uuid.UUID(b) for b in proposal.building_ids or []],
        "voting_starts_at": proposal.voting_starts_at,
        "voting_ends_at": proposal.voting_ends_at,
        "objection_days": proposal.objection_days,
        "estimated_cost_fen": proposal.estimated_cost_fen,
        "documents": [{"name": d.name, "url": d.url, "sha256": d.sha256} for d in documents],
    }


async def update_draft(session: AsyncSession, actor: Actor, proposal: m.Proposal, changes: dict[str, Any]) -> m.Proposal:
    """Edit a draft until it is published (committee or tenant admin): the fields in ``changes``
    (:data:`plugins.governance.inputs.EDITABLE`) change, the others stay; the edited draft obeys the
    rules of a new one (:class:`DraftProposal`, a voting window still ahead), else nothing is written.
    Documents, when given, replace the draft's documents."""
    _require(proposal, "update")
    patch = parse_input(DraftChanges, changes)
    documents = await documents_of(session, proposal.id)
    spec = parse_input(DraftProposal, patch.merged_into(_draft_fields(proposal, documents)))
    check_voting_window(spec.voting_starts_at, spec.voting_ends_at, utcnow())
    await _check_buildings(session, proposal.community_id, spec.building_ids)
    proposal.matter, proposal.title, proposal.body = spec.matter, spec.title, spec.body
    proposal.building_ids = [str(b) for b in spec.building_ids]
    proposal.voting_starts_at, proposal.voting_ends_at = spec.voting_starts_at, spec.voting_ends_at
    proposal.objection_days = spec.objection_days or 7
    proposal.estimated_cost_fen = spec.estimated_cost_fen
    if "documents" in patch.model_fields_set:
        for d in documents:
            await session.delete(d)
        await session.flush()
        for doc in spec.documents:
            session.add(m.ProposalDocument(proposal_id=proposal.id, name=doc.name[:200], url=doc.url[:1000], sha256=doc.sha256))
    await session.flush()
    changed = sorted(f for f in EDITABLE if f in patch.model_fields_set)
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.draft_updated", target=str(proposal.id), detail={"fields": changed})
    return proposal


#: What a proposal in each status is, as the second half of "This proposal is ...".
STATUS_PHRASES = {
    "draft": "still a draft",
    "published": "published, but voting has not been opened",
    "voting": "open for voting",
    "preliminary": "closed, and its preliminary result is being published",
    "objection": "in its objection period",
    "final": "final",
    "executed": "final and carried out",
    "defeated": "not passed",
    "defeated_no_quorum": "not passed: too few owners took part",
    "cancelled": "cancelled",
}
#: Each workflow step: the statuses it takes, and the rule an owner or the committee reads when refused.
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "update": (("draft",), "only a draft can be edited"),
    "publish": (("draft",), "only a draft can be published"),
    "open": (("published",), "voting can be opened only on a published proposal"),
    "vote": (("voting",), "votes are taken only while voting is open"),
    "close": (("voting",), "only a proposal open for voting can be closed"),
    "object": (("preliminary", "objection"), "objections are taken only while the preliminary result is on notice"),
    "finalize": (("objection",), "only a passed proposal in its objection period can be made final"),
    "file": (("final", "executed", "defeated", "defeated_no_quorum"), "only a decided proposal (final, carried out or not passed) can be filed"),
    "cancel": (("draft", "published", "voting", "preliminary", "objection"), "a decided or cancelled proposal cannot be cancelled"),
}


def state_conflict(status: str, step: str) -> Conflict:
    """CONFLICT as a sentence ("This proposal is open for voting; objections are taken only while the
    preliminary result is on notice."), with ``status`` and ``step`` in the extensions so that a client
    words it in its own language."""
    rule = STEPS[step][1]
    return Conflict(f"This proposal is {STATUS_PHRASES.get(status, status)}; {rule}.", status=status, step=step)


def _require(proposal: m.Proposal, step: str) -> None:
    """CONFLICT unless the proposal's status allows ``step`` (:data:`STEPS`)."""
    if proposal.status not in STEPS[step][0]:
        raise state_conflict(proposal.status, step)


async def publish(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Proposal:
    """Publish the notice: freeze scope, Art. 278 totals and content hash; register the units on chain."""
    _require(proposal, "publish")
    check_voting_window(proposal.voting_starts_at, proposal.voting_ends_at, utcnow())
    units = await scope_units(session, proposal)
    t = totals([u for u in units if u.area > 0])
    if t.persons == 0:
        raise BadUserInput("no owned unit in the proposal's scope", field="buildingIds")
    deployment = await ensure_community_contracts(runtime, session, proposal.community_id)
    community_units = await voting_units(session, proposal.community_id)
    building_of = dict((await session.execute(select(Unit.id, Unit.building_id).where(Unit.community_id == proposal.community_id))).all())
    await sync_units(
        runtime,
        session,
        deployment,
        [UnitToRegister(u.unit_id, building_of[u.unit_id], u.area, u.person_key) for u in community_units],
    )
    proposal.chain_scope = await ensure_scope(session, deployment, [uuid.UUID(b) for b in proposal.building_ids])
    proposal.total_persons, proposal.total_area = t.persons, t.area
    proposal.content_hash = content_hash(proposal, await documents_of(session, proposal.id))
    proposal.published_at = utcnow()
    proposal.status = "published"
    await session.flush()
    await audit(
        session,
        tenant_id=actor.tenant_id,
        actor=actor.label,
        action="governance.published",
        target=str(proposal.id),
        detail={"persons": t.persons, "area": t.area, "content_hash": proposal.content_hash, "scope": proposal.chain_scope},
    )
    await runtime.bus.publish(session, Event("governance.published", actor.tenant_id, _event_payload(proposal), actor=actor.label))
    poke_after_commit(runtime, session)
    return proposal


async def chain_now(runtime: Runtime) -> int:
    """The chain's idea of now: the later of the latest block's timestamp and the wall clock."""
    client = await chain_client(runtime)
    latest = int((await client.w3.eth.get_block("latest"))["timestamp"])
    return max(latest, int(time.time()))


async def open_voting(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Proposal:
    """Open the vote: the proposal goes on chain with its matter, scope, window and content hash."""
    _require(proposal, "open")
    now = await chain_now(runtime)
    start = now + START_DELAY
    if proposal.voting_starts_at is not None:
        start = max(start, int(proposal.voting_starts_at.timestamp()))
    end = int(proposal.voting_ends_at.timestamp()) if proposal.voting_ends_at else start + 14 * 24 * 3600
    if end <= start:
        raise BadUserInput("the voting window is over already; draft a new proposal", field="votingEndsAt")
    proposal.voting_starts_at = datetime.fromtimestamp(start, UTC)
    proposal.voting_ends_at = datetime.fromtimestamp(end, UTC)
    await enqueue_chain_call(
        session,
        community_id=proposal.community_id,
        contract="governance",
        function="propose",
        args=[m.MATTERS.index(proposal.matter), proposal.chain_scope or 0, start, end, proposal.content_hash],
        intent=intent("propose", proposal),
        guard={"event": "ProposalCreated", "field": "contentHash", "equals": proposal.content_hash},
    )
    proposal.status = "voting"
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.voting_opened", target=str(proposal.id), detail={"start": start, "end": end})
    await runtime.bus.publish(session, Event("governance.voting_opened", actor.tenant_id, _event_payload(proposal), actor=actor.label))
    poke_after_commit(runtime, session)
    return proposal


# ------------------------------------------------------------------------------------------------ voting


async def _voting_keys(session: AsyncSession, proposal: m.Proposal, account_id: uuid.UUID | None) -> dict[str, list[VotingUnit]]:
    """The person keys the caller casts a ballot for now; CONFLICT says who voted or who is designated."""
    if proposal.status != "voting":
        raise state_conflict(proposal.status, "vote")
    held = await holdings(session, proposal, account_id)
    if not held:
        raise Forbidden("only owners of units in the proposal's scope vote", permission="governance:vote")
    if proposal.voting_ends_at and utcnow() > proposal.voting_ends_at:
        raise Conflict("Voting on this proposal has ended; it can no longer be voted on.", step="vote", reason="voting_ended")
    if not proposal.chain_proposal_id:
        raise Conflict("Voting is being opened on chain; please try again in a few seconds.", step="vote", reason="not_on_chain")
    votes = {v.holder_key: v for v in await session.scalars(select(m.Vote).where(m.Vote.proposal_id == proposal.id, m.Vote.holder_key.in_(list(held))))}
    remaining = {k: list(h.units) for k, h in held.items() if k not in votes and h.may_vote}
    if remaining:
        return remaining
    if all(v.account_id == account_id for v in votes.values()) and len(votes) == len(held):
        raise Conflict("You have already voted on this proposal.", step="vote", reason="already_voted")
    raise await _not_yours(session, held, votes, account_id)


async def _not_yours(session: AsyncSession, held: dict[str, Holding], votes: dict[str, m.Vote], account_id: uuid.UUID | None) -> Conflict:
    """Why a co-owner cannot vote: who voted for the unit, or whom the co-owners designated (CONFLICT)."""
    owners = {p for h in held.values() for p in h.owners}
    names: dict[uuid.UUID, str] = {}
    by_account: dict[uuid.UUID, str] = {}
    for pid, name, acc in await session.execute(select(Person.id, Person.name, Person.account_id).where(Person.id.in_(list(owners)))):
        names[pid] = name
        if acc is not None:
            by_account.setdefault(acc, name)
    numbers = dict((await session.execute(select(Unit.id, Unit.number).where(Unit.id.in_([u.unit_id for h in held.values() for u in h.units])))).all())
    voted_by: list[dict[str, str]] = []
    designated: list[dict[str, str]] = []
    for key, h in sorted(held.items()):
        units = ", ".join(sorted(numbers.get(u.unit_id, "?") for u in h.units))
        vote = votes.get(key)
        if vote is not None:
            mine = vote.account_id == account_id
            who = "you" if mine else by_account.get(vote.account_id, "another co-owner")
            voted_by.append({"units": units, "name": who, "at": vote.created_at.isoformat(), "mine": mine})
        elif h.designated is not None:
            designated.append({"units": units, "name": names.get(h.designated, "another co-owner")})
    parts = [f"{d['name']} already voted for {d['units']}" for d in voted_by if d["name"] != "you"]
    parts += [f"the co-owners designated {d['name']} to vote for {d['units']}" for d in designated]
    text = "; ".join(parts)
    message = f"{text[:1].upper()}{text[1:]}." if text else "You have already voted on this proposal."
    reason = "co_owner" if text else "already_voted"
    return Conflict(message, step="vote", reason=reason, voted_by=voted_by, designated=designated)


async def cast_vote(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal, choice: str) -> m.Vote:
    """Vote with the custodial keys of every person key the caller votes through; returns the first vote."""
    if choice not in m.CHOICES:
        raise BadUserInput(f"choice is one of {', '.join(m.CHOICES)}", field="choice")
    await refresh(runtime, session, proposal)
    keys = await _voting_keys(session, proposal, actor.account_id)
    deployment = await _deployment(session, proposal)
    first: m.Vote | None = None
    for key in sorted(keys):
        address, private_key = await holder_account(runtime, session, key)
        if private_key is None:
            raise BadUserInput("you vote with your own key: sign the ballot (castSignedVote)", field="choice")
        ballot = sign_ballot(private_key, deployment.chain_id, deployment.address_of("governance"), int(proposal.chain_proposal_id or 0), m.CHOICES.index(choice))
        vote = await _record_vote(runtime, session, actor, proposal, key, address, choice, "0x" + ballot.signature.hex(), self_signed=False)
        first = first or vote
    assert first is not None
    return first


async def cast_signed_vote(
    runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal, choice: str, voter_address: str, signature: str
) -> m.Vote:
    """Relay a ballot the owner signed with their own key (EIP-712, ``ballotTypedData``)."""
    if choice not in m.CHOICES:
        raise BadUserInput(f"choice is one of {', '.join(m.CHOICES)}", field="choice")
    await refresh(runtime, session, proposal)
    keys = await _voting_keys(session, proposal, actor.account_id)
    deployment = await _deployment(session, proposal)
    addresses = {(await holder_address(runtime, session, k)).lower(): k for k in keys}
    key = addresses.get(voter_address.lower())
    if key is None:
        raise Forbidden("this address does not vote for any of your units in scope", permission="governance:vote")
    try:
        sig = bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
    except ValueError as exc:
        raise BadUserInput("the signature is not hex", field="signature") from exc
    ballot = SignedBallot(int(proposal.chain_proposal_id or 0), m.CHOICES.index(choice), voter_address, 0, sig)
    try:
        signer = recover_ballot_signer(ballot, deployment.chain_id, deployment.address_of("governance"))
    except Exception as exc:  # malformed signature bytes
        raise BadUserInput("the signature does not verify", field="signature") from exc
    if signer.lower() != voter_address.lower():
        raise BadUserInput("the signature is not this address's ballot for this proposal and choice", field="signature")
    return await _record_vote(runtime, session, actor, proposal, key, signer, choice, "0x" + sig.hex(), self_signed=True)


async def _record_vote(
    runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal, key: str, address: str, choice: str, signature: str, *, self_signed: bool
) -> m.Vote:
    vote_intent = intent("vote", proposal, key)
    vote = m.Vote(
        proposal_id=proposal.id,
        holder_key=key,
        account_id=actor.account_id,
        voter_address=address,
        choice=choice,
        intent=vote_intent,
        self_signed=self_signed,
    )
    session.add(vote)
    try:
        async with session.begin_nested():
            await session.flush()
    except Exception as exc:  # a concurrent request voted for the same person key
        raise Conflict("You have already voted on this proposal.", step="vote", reason="already_voted") from exc
    await enqueue_chain_call(
        session,
        community_id=proposal.community_id,
        contract="governance",
        function="castVotesBySig",
        args=[[[proposal.chain_proposal_id, m.CHOICES.index(choice), address, 0, signature]]],
        intent=vote_intent,
    )
    # Neither the choice nor the voting address is audited: the audit log is readable by staff, who must
    # not see individual choices (the address would link the account to its ballot on the public chain).
    # Queued, not appended here: every owner votes at once, and an append would hold the tenant's
    # audit head locked until this request commits (issue 17); the outbox worker chains it in a batch.
    await audit_queued(
        session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.vote_cast", target=str(proposal.id), key=vote_intent
    )
    poke_after_commit(runtime, session)
    return vote


async def register_voting_address(runtime: Runtime, session: AsyncSession, actor: Actor, address: str) -> list[str]:
    """Self custody: the caller's person keys vote with ``address`` from now on (custodial keys destroyed).

    Units already on chain move to the new address by a registry transfer. A proposal opened before keeps
    its snapshot, where the weight is still the old address's: register before voting opens.
    """
    from eth_utils import is_address

    from kernel.sdk import register_self_custody

    if not is_address(address):
        raise BadUserInput("not an Ethereum address (0x and 40 hex digits)", field="address")
    persons = await persons_of_account(session, actor.account_id)
    if not persons:
        raise Forbidden("only owners register a voting address", permission="governance:vote")
    rows = (
        await session.execute(
            select(Unit.id, Unit.community_id, Unit.building_id, Unit.registered_area, Unit.sold)
            .join(Ownership, and_(Ownership.unit_id == Unit.id, Ownership.tenant_id == Unit.tenant_id))
            .where(Ownership.person_id.in_([uuid.UUID(p) for p in persons]))
        )
    ).all()
    owners: dict[uuid.UUID, list[uuid.UUID]] = {}
    for unit_id, person_id in await session.execute(select(Ownership.unit_id, Ownership.person_id).where(Ownership.unit_id.in_([r.id for r in rows]))):
        owners.setdefault(unit_id, []).append(person_id)
    keys = sorted({person_key_for(r.sold, owners.get(r.id, [])) for r in rows} - {"developer"})
    for key in keys:
        await register_self_custody(runtime, session, key, address)
    for community_id in {r.community_id for r in rows}:
        deployment = await deployment_for(session, community_id)
        if deployment is not None:
            units = [r for r in rows if r.community_id == community_id]
            await sync_units(
                runtime,
                session,
                deployment,
                [UnitToRegister(r.id, r.building_id, r.registered_area, person_key_for(r.sold, owners.get(r.id, []))) for r in units],
            )
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.voting_address_registered", detail={"address": address, "keys": len(keys)})
    poke_after_commit(runtime, session)
    return keys


async def my_votes(session: AsyncSession, proposal: m.Proposal, account_id: uuid.UUID | None) -> list[m.Vote]:
    if account_id is None:
        return []
    rows = await session.scalars(select(m.Vote).where(m.Vote.proposal_id == proposal.id, m.Vote.account_id == account_id).order_by(m.Vote.holder_key))
    return list(rows.all())


async def vote_status(session: AsyncSession, vote: m.Vote) -> tuple[str, str | None, int | None]:
    """``(pending|confirmed|rejected, tx hash, block)`` of a vote's relayed transaction."""
    tx = await transaction_for(session, vote.intent)
    if tx is None or tx.status in ("pending", "sent"):
        return "pending", None, None
    if tx.status in ("confirmed", "skipped"):
        return "confirmed", tx.tx_hash, tx.block_number
    return "rejected", tx.tx_hash, tx.block_number


async def verify_receipt(runtime: Runtime, session: AsyncSession, proposal: m.Proposal, vote: m.Vote) -> dict[str, Any]:
    """Check a vote against the contract's ``getReceipt`` (not against our tables)."""
    deployment = await _deployment(session, proposal)
    if not proposal.chain_proposal_id:
        return {"on_chain": False, "matches_choice": False, "block_number": None, "message": "the proposal is not on chain yet"}
    client = await chain_client(runtime)
    gov = client.contract("OwnersGovernance", deployment.address_of("governance"))
    has_voted, support, area = await client.call(gov.functions.getReceipt(int(proposal.chain_proposal_id), vote.voter_address))
    _, tx_hash, block = await vote_status(session, vote)
    if not has_voted:
        return {"on_chain": False, "matches_choice": False, "block_number": None, "message": "not (yet) recorded on chain"}
    matches = m.CHOICES[int(support)] == vote.choice
    message = f"recorded on chain in block {block}, area {area}" if matches else "recorded on chain with a different choice"
    return {"on_chain": True, "matches_choice": matches, "block_number": block, "message": message, "tx_hash": tx_hash}


# ------------------------------------------------------------------------------------------------- tally


async def tally(runtime: Runtime, session: AsyncSession, proposal: m.Proposal) -> dict[str, Any] | None:
    """The tally from the contract's views: participation always; choices only once voting has ended."""
    if not proposal.chain_proposal_id:
        if proposal.status in ("draft", "published", "voting", "cancelled"):
            return None if proposal.status == "draft" else _empty_tally(proposal)
        return None
    deployment = await _deployment(session, proposal)
    client = await chain_client(runtime)
    gov = client.contract("OwnersGovernance", deployment.address_of("governance"))
    pid = int(proposal.chain_proposal_id)
    p = await client.call(gov.functions.proposal(pid))
    t = await client.call(gov.functions.proposalTally(pid))
    # Proposal: proposer, voteStart, voteEnd, snapshot, publishedAt, scopeId, matter, status, totalArea, totalPersons, contentHash
    total_area, total_persons = int(p[8]), int(p[9])
    against_area, for_area, abstain_area, against_p, for_p, abstain_p = (int(x) for x in t)
    part_area, part_persons = against_area + for_area + abstain_area, against_p + for_p + abstain_p
    ended = proposal.status not in ("draft", "published", "voting") or await chain_now(runtime) > int(p[2])
    from plugins.governance.art278 import outcome

    result: dict[str, Any] = {
        "total_persons": total_persons,
        "total_area": total_area,
        "participating_persons": part_persons,
        "participating_area": part_area,
        "participation_reached": 3 * part_area >= 2 * total_area and 3 * part_persons >= 2 * total_persons,
        "for_persons": None,
        "for_area": None,
        "against_persons": None,
        "against_area": None,
        "abstain_persons": None,
        "abstain_area": None,
        "passed": None,
    }
    if ended:
        result.update(
            for_persons=for_p,
            for_area=for_area,
            against_persons=against_p,
            against_area=against_area,
            abstain_persons=abstain_p,
            abstain_area=abstain_area,
            passed=outcome(proposal.matter, total_area, total_persons, for_area, against_area, abstain_area, for_p, against_p, abstain_p) == "Succeeded",
        )
    return result


def _empty_tally(proposal: m.Proposal) -> dict[str, Any]:
    return {
        "total_persons": proposal.total_persons,
        "total_area": proposal.total_area,
        "participating_persons": 0,
        "participating_area": 0,
        "participation_reached": False,
        **{k: None for k in ("for_persons", "for_area", "against_persons", "against_area", "abstain_persons", "abstain_area", "passed")},
    }


# -------------------------------------------------------------------------------------- after the vote


async def close_voting(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Proposal:
    """Publish the preliminary result on chain (after the voting window)."""
    await refresh(runtime, session, proposal)
    _require(proposal, "close")
    if not proposal.chain_proposal_id:
        raise Conflict("The proposal is not on chain yet; please try again in a few seconds.", step="close", reason="not_on_chain")
    end = int(proposal.voting_ends_at.timestamp()) if proposal.voting_ends_at else 0
    if await chain_now(runtime) <= end:
        raise Conflict(
            f"Voting runs until {proposal.voting_ends_at.isoformat() if proposal.voting_ends_at else end}; it can be closed after that.",
            step="close",
            reason="voting_running",
        )
    await enqueue_chain_call(
        session,
        community_id=proposal.community_id,
        contract="governance",
        function="publishResult",
        args=[proposal.chain_proposal_id],
        intent=intent("publish", proposal),
    )
    proposal.status = "preliminary"
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.voting_closed", target=str(proposal.id))
    poke_after_commit(runtime, session)
    return proposal


async def file_objection(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal, text: str) -> m.Objection:
    """An owner in scope objects to the preliminary result during the objection period."""
    await refresh(runtime, session, proposal)
    _require(proposal, "object")
    if not await covers_account(session, proposal, actor.account_id):
        raise Forbidden("only owners of units in the proposal's scope object", permission="governance:vote")
    text = text.strip()
    if not text or len(text) > 5000:
        raise BadUserInput("an objection has 1–5000 characters", field="text")
    if proposal.objection_ends_at and utcnow() > proposal.objection_ends_at:
        raise Conflict("The objection period has ended; objections can no longer be filed.", step="object", reason="objection_period_over")
    row = m.Objection(proposal_id=proposal.id, account_id=actor.account_id, text=text)
    session.add(row)
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.objection_filed", target=str(proposal.id), detail={"objection": str(row.id)})
    return row


async def objection_count(session: AsyncSession, proposal: m.Proposal) -> int:
    return int(await session.scalar(select(func.count()).select_from(m.Objection).where(m.Objection.proposal_id == proposal.id)) or 0)


def objections_query(proposal: m.Proposal, account_id: uuid.UUID | None = None) -> Select[Any]:
    """A proposal's objections (optionally one account's), oldest first by id for paging."""
    stmt = select(m.Objection).where(m.Objection.proposal_id == proposal.id)
    if account_id is not None:
        stmt = stmt.where(m.Objection.account_id == account_id)
    return stmt


async def finalize(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Proposal:
    """Make a succeeded proposal final once its objection period is over (chain ``finalize``)."""
    await refresh(runtime, session, proposal)
    _require(proposal, "finalize")
    if proposal.objection_ends_at and utcnow() < proposal.objection_ends_at and await chain_now(runtime) < int(proposal.objection_ends_at.timestamp()):
        raise Conflict(
            f"The objection period runs until {proposal.objection_ends_at.isoformat()}; the result can be made final after that.",
            step="finalize",
            reason="objection_period_running",
        )
    await enqueue_chain_call(
        session,
        community_id=proposal.community_id,
        contract="governance",
        function="finalize",
        args=[proposal.chain_proposal_id],
        intent=intent("finalize", proposal),
    )
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.finalize_requested", target=str(proposal.id))
    poke_after_commit(runtime, session)
    return proposal


async def file_to_regulator(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Filing:
    """File the decided proposal with the street office (备案): a record and ``governance.filed``."""
    await refresh(runtime, session, proposal)
    _require(proposal, "file")
    returned = None
    if proposal.filed_at is not None:
        returned = await session.scalar(select(m.Filing).where(m.Filing.proposal_id == proposal.id, m.Filing.review_status == "returned"))
        if returned is None:
            raise Conflict("This proposal has already been filed with the street office.", step="file", reason="filed")
    community = await session.get(Community, {"tenant_id": actor.tenant_id, "id": proposal.community_id})
    summary = {
        "title": proposal.title,
        "matter": proposal.matter,
        "status": proposal.status,
        "outcome": proposal.outcome,
        "result": proposal.result,
        "content_hash": proposal.content_hash,
        "chain_proposal_id": proposal.chain_proposal_id,
    }
    street = community.street_code if community else ""
    if returned is not None:  # filed again after the street office returned it: received once more
        row = returned
        row.street_code, row.filed_by, row.summary, row.created_at = street, actor.label, summary, utcnow()
        row.review_status, row.review_reason, row.reviewed_at, row.reviewed_by = "received", None, None, None
    else:
        row = m.Filing(proposal_id=proposal.id, street_code=street, filed_by=actor.label, summary=summary)
        session.add(row)
    proposal.filed_at = utcnow()
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.filed", target=str(proposal.id), detail={"street_code": row.street_code})
    await runtime.bus.publish(
        session, Event("governance.filed", actor.tenant_id, {**_event_payload(proposal), "street_code": row.street_code, "outcome": proposal.outcome}, actor=actor.label)
    )
    return row


async def cancel(runtime: Runtime, session: AsyncSession, actor: Actor, proposal: m.Proposal) -> m.Proposal:
    """Cancel a proposal that is not final (on chain too, once it is there)."""
    await refresh(runtime, session, proposal)
    _require(proposal, "cancel")
    if proposal.status in ("voting", "preliminary", "objection"):
        reason = "0x" + hashlib.sha256(f"cancelled:{proposal.id}".encode()).hexdigest()
        if not proposal.chain_proposal_id:
            raise Conflict("The proposal is being put on chain; please try again in a few seconds.", step="cancel", reason="not_on_chain")
        await enqueue_chain_call(
            session,
            community_id=proposal.community_id,
            contract="governance",
            function="cancel",
            args=[proposal.chain_proposal_id, reason],
            intent=intent("cancel", proposal),
        )
        poke_after_commit(runtime, session)
    proposal.status = "cancelled"
    await session.flush()
    await audit(session, tenant_id=actor.tenant_id, actor=actor.label, action="governance.cancelled", target=str(proposal.id))
    return proposal


# ----------------------------------------------------------------------------------- chain → workflow


async def refresh(runtime: Runtime, session: AsyncSession, proposal: m.Proposal) -> m.Proposal:
    """Move the proposal along with what the relayer recorded (proposal id, published result, finality)."""
    if proposal.status == "voting" and not proposal.chain_proposal_id:
        tx = await transaction_for(session, intent("propose", proposal))
        if tx is not None and tx.status in ("confirmed", "skipped") and tx.result:
            created = next((e for e in tx.result if e["event"] == "ProposalCreated"), None)
            if created is not None:
                proposal.chain_proposal_id = str(created["args"]["proposalId"])
    if proposal.status == "preliminary":
        tx = await transaction_for(session, intent("publish", proposal))
        if tx is not None and tx.status in ("confirmed", "skipped"):
            await _apply_result(runtime, session, proposal, tx.result or [])
    if proposal.status == "objection":
        tx = await transaction_for(session, intent("finalize", proposal))
        if tx is not None and tx.status in ("confirmed", "skipped"):
            proposal.status = "final"
            await audit(session, tenant_id=proposal.tenant_id, actor="system", action="governance.final", target=str(proposal.id))
            await runtime.bus.publish(session, Event("governance.proposal_passed", proposal.tenant_id, _event_payload(proposal)))
    await session.flush()
    return proposal


async def _apply_result(runtime: Runtime, session: AsyncSession, proposal: m.Proposal, events: list[dict[str, Any]]) -> None:
    published = next((e for e in events if e["event"] == "ProposalResultPublished"), None)
    if published is not None:
        a = published["args"]
        outcome_name = OUTCOMES.get(int(a["outcome"]), str(a["outcome"]))
        objection_end = int(a["objectionEnd"])
        result = {k: int(a[k]) for k in ("forArea", "againstArea", "abstainArea", "forPersons", "againstPersons", "abstainPersons")}
    else:  # published by someone else: read the chain
        deployment = await _deployment(session, proposal)
        client = await chain_client(runtime)
        gov = client.contract("OwnersGovernance", deployment.address_of("governance"))
        state = int(await client.call(gov.functions.state(int(proposal.chain_proposal_id or 0))))
        outcome_name = OUTCOMES.get(state, "Defeated")
        p = await client.call(gov.functions.proposal(int(proposal.chain_proposal_id or 0)))
        objection_end = int(p[4]) + int(await client.call(gov.functions.objectionPeriod())) if outcome_name == "Succeeded" else 0
        t = await client.call(gov.functions.proposalTally(int(proposal.chain_proposal_id or 0)))
        result = dict(zip(("againstArea", "forArea", "abstainArea", "againstPersons", "forPersons", "abstainPersons"), (int(x) for x in t), strict=True))
    proposal.outcome, proposal.result = outcome_name, result
    proposal.status = STATUS_OF_OUTCOME.get(outcome_name, "defeated")
    if outcome_name == "Succeeded":
        ours = utcnow() + timedelta(days=proposal.objection_days)
        theirs = datetime.fromtimestamp(objection_end, UTC) if objection_end else ours
        proposal.objection_ends_at = max(ours, theirs)
    await audit(session, tenant_id=proposal.tenant_id, actor="system", action="governance.result_published", target=str(proposal.id), detail={"outcome": outcome_name, **result})
    await runtime.bus.publish(session, Event("governance.result_published", proposal.tenant_id, {**_event_payload(proposal), "outcome": outcome_name}))


async def _deployment(session: AsyncSession, proposal: m.Proposal) -> CommunityContracts:
    deployment = await deployment_for(session, proposal.community_id)
    if deployment is None:
        raise Conflict("the community's contracts are not deployed; publish the proposal first")
    return deployment


def _event_payload(proposal: m.Proposal) -> dict[str, Any]:
    return {"proposal_id": str(proposal.id), "community_id": str(proposal.community_id), "title": proposal.title, "matter": proposal.matter}


async def on_chain_done(runtime: Runtime, session: AsyncSession, intent_key: str) -> None:
    """Handler body of ``chain.transaction_done``: refresh the proposal an intent belongs to."""
    parts = intent_key.split(":")
    if len(parts) < 3 or parts[0] != "gov":
        return
    try:
        proposal_id = uuid.UUID(parts[2])
    except ValueError:
        return
    row = await session.get(m.Proposal, {"tenant_id": session.info["tenant_id"], "id": proposal_id})
    if row is not None:
        await refresh(runtime, session, row)
