"""OwnersGovernance: proposals, the state machine, direct/signed/batched votes, replay protection."""

from __future__ import annotations

import pytest
import pytest_asyncio
from contract_helpers import (
    ACTIVE,
    CANCELLED,
    DEFEATED,
    EXECUTED,
    FINAL,
    NO_QUORUM,
    OBJECTION,
    PENDING,
    PROPERTY_FIRM,
    RAISE_FUND,
    SUCCEEDED,
    USE_FUND,
    World,
    deploy_world,
    events,
    new_accounts,
    one_event,
    register,
    reverts,
)

from kernel.chain import ChainClient, devchain
from plugins.governance.ballots import ABSTAIN, AGAINST, FOR, sign_ballot

pytestmark = pytest.mark.asyncio(loop_scope="session")
AREAS = [10000, 20000, 30000, 15000, 25000]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(chain):
    w = await deploy_world(chain)
    w.owners = new_accounts(5)
    await register(w, [o.address for o in w.owners], AREAS, [1, 1, 2, 2, 3])
    return w


@pytest_asyncio.fixture(loop_scope="session")
async def w(world, isolated):
    return world


def ballot(w: World, owner, pid: int, support: int, nonce: int = 0, *, chain_id: int | None = None,
           governance: str | None = None):
    return sign_ballot(owner.key, chain_id or w.client.chain_id, governance or w.governance.address, pid, support, nonce)


async def vote_all(w: World, pid: int, supports: list[int | None]):
    ballots = [ballot(w, o, pid, s).as_tuple() for o, s in zip(w.owners, supports) if s is not None]
    return await w.tx(w.governance.functions.castVotesBySig(ballots))


async def test_propose_event_and_errors(w: World):
    start = await w.now() + 10
    receipt = await w.tx(w.governance.functions.propose(USE_FUND, 0, start, start + 100, b"\x07" * 32))
    ev = one_event(receipt, w.governance, "ProposalCreated")
    assert ev == {
        "proposalId": 1, "proposer": w.client.address, "matter": USE_FUND, "scopeId": 0,
        "snapshot": receipt["blockNumber"] - 1, "voteStart": start, "voteEnd": start + 100,
        "totalArea": sum(AREAS), "totalPersons": 5, "contentHash": b"\x07" * 32,
    }
    assert await w.state(1) == PENDING
    assert await w.call(w.governance.functions.proposalCount()) == 1
    assert await w.call(w.governance.functions.proposalMatter(1)) == USE_FUND
    assert await w.call(w.governance.functions.proposalContentHash(1)) == b"\x07" * 32
    with reverts("GovernanceInvalidVotingWindow"):
        await w.tx(w.governance.functions.propose(USE_FUND, 0, start, start, b"\x00" * 32))
    with reverts("GovernanceInvalidVotingWindow"):
        await w.tx(w.governance.functions.propose(USE_FUND, 0, start - 1000, start + 10, b"\x00" * 32))
    with reverts("GovernanceScopeNotReady", 5):
        await w.tx(w.governance.functions.propose(USE_FUND, 5, start, start + 10, b"\x00" * 32))
    await w.tx(w.registry.functions.defineScope([42]))  # a building without units: ready but empty
    with reverts("GovernanceEmptyScope", 1):
        await w.tx(w.governance.functions.propose(USE_FUND, 1, start, start + 10, b"\x00" * 32))
    with reverts("GovernanceNonexistentProposal", 9):
        await w.call(w.governance.functions.state(9))


async def test_full_lifecycle_events(w: World):
    pid = await w.propose(PROPERTY_FIRM)
    with reverts("GovernanceUnexpectedProposalState", pid, PENDING):
        await w.tx(w.governance.functions.castVote(pid, FOR))
    await w.open_voting()
    assert await w.state(pid) == ACTIVE
    with reverts("GovernanceUnexpectedProposalState", pid, ACTIVE):
        await w.tx(w.governance.functions.publishResult(pid))
    receipt = await vote_all(w, pid, [FOR, FOR, AGAINST, ABSTAIN, FOR])
    casts = events(receipt, w.governance, "VoteCast")
    assert casts[2] == {"proposalId": pid, "voter": w.owners[2].address, "support": AGAINST, "area": 30000}
    assert await w.call(w.governance.functions.proposalTally(pid)) == [30000, 55000, 15000, 1, 3, 1]
    assert await w.call(w.governance.functions.getReceipt(pid, w.owners[3].address)) == [True, ABSTAIN, 15000]
    assert await w.call(w.governance.functions.nonces(pid, w.owners[3].address)) == 1
    await w.close_voting()
    assert await w.state(pid) == SUCCEEDED  # derived before publication
    receipt = await w.tx(w.governance.functions.publishResult(pid))
    published = one_event(receipt, w.governance, "ProposalResultPublished")
    block = await w.client.w3.eth.get_block(receipt["blockNumber"])
    assert published == {
        "proposalId": pid, "outcome": SUCCEEDED, "forArea": 55000, "againstArea": 30000, "abstainArea": 15000,
        "forPersons": 3, "againstPersons": 1, "abstainPersons": 1, "objectionEnd": block["timestamp"] + OBJECTION,
    }
    with reverts("GovernanceObjectionPeriodRunning", pid, block["timestamp"] + OBJECTION):
        await w.tx(w.governance.functions.finalize(pid))
    with reverts("GovernanceUnexpectedProposalState", pid, SUCCEEDED):
        await w.tx(w.governance.functions.markExecuted(pid))
    await devchain.increase_time(w.client, OBJECTION)
    receipt = await w.tx(w.governance.functions.finalize(pid))
    assert one_event(receipt, w.governance, "ProposalFinalized") == {"proposalId": pid}
    assert await w.state(pid) == FINAL
    with reverts("GovernanceUnexpectedProposalState", pid, FINAL):
        await w.tx(w.governance.functions.cancel(pid, b"\x00" * 32))
    receipt = await w.tx(w.governance.functions.markExecuted(pid))
    assert one_event(receipt, w.governance, "ProposalExecuted") == {"proposalId": pid, "executor": w.client.address}
    assert await w.state(pid) == EXECUTED
    with reverts("GovernanceUnexpectedProposalState", pid, EXECUTED):
        await w.tx(w.governance.functions.publishResult(pid))


async def test_no_quorum_and_defeated(w: World):
    p1 = await w.propose(PROPERTY_FIRM)
    p2 = await w.propose(RAISE_FUND)
    await w.open_voting()
    await vote_all(w, p1, [FOR, FOR, None, None, FOR])  # 3/5 persons < 2/3
    # 3/4 needed for raising the fund: 4 of 5 persons for but only 60000/100000 area for.
    await vote_all(w, p2, [FOR, FOR, AGAINST, FOR, FOR])
    await w.close_voting()
    r1 = await w.tx(w.governance.functions.publishResult(p1))
    assert one_event(r1, w.governance, "ProposalResultPublished")["outcome"] == NO_QUORUM
    r2 = await w.tx(w.governance.functions.publishResult(p2))
    assert one_event(r2, w.governance, "ProposalResultPublished")["objectionEnd"] == 0
    assert await w.state(p2) == DEFEATED
    with reverts("GovernanceUnexpectedProposalState", p2, DEFEATED):
        await w.tx(w.governance.functions.finalize(p2))


async def test_cancel(w: World):
    pid = await w.propose(PROPERTY_FIRM)
    receipt = await w.tx(w.governance.functions.cancel(pid, b"\x09" * 32))
    assert one_event(receipt, w.governance, "ProposalCancelled") == {"proposalId": pid, "reasonHash": b"\x09" * 32}
    assert await w.state(pid) == CANCELLED
    with reverts("GovernanceUnexpectedProposalState", pid, CANCELLED):
        await w.tx(w.governance.functions.cancel(pid, b"\x09" * 32))


async def test_vote_errors_and_frozen_snapshot(w: World):
    pid = await w.propose(PROPERTY_FIRM)
    newcomer = new_accounts(1)[0]
    # After the snapshot: owner 0 sells to a newcomer. The running vote does not move.
    await w.tx(w.registry.functions.transferUnits([1], [newcomer.address]))
    await w.open_voting()
    with reverts("GovernanceNoVotingWeight", pid, newcomer.address):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, newcomer, pid, FOR).as_args()))
    receipt = await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[0], pid, FOR).as_args()))
    assert one_event(receipt, w.governance, "VoteCast")["area"] == 10000
    with reverts("GovernanceAlreadyVoted", pid, w.owners[0].address):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[0], pid, FOR).as_args()))
    with reverts("GovernanceInvalidSupport", 3):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[1], pid, 3).as_args()))
    with reverts("GovernanceInvalidNonce", w.owners[1].address, 0, 4):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[1], pid, FOR, nonce=4).as_args()))
    forged = ballot(w, w.owners[2], pid, FOR)
    with reverts("GovernanceInvalidSignature", w.owners[1].address):
        await w.tx(w.governance.functions.castVoteBySig(pid, FOR, w.owners[1].address, 0, forged.signature))
    with reverts("GovernanceNonexistentProposal", 77):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[1], 77, FOR).as_args()))
    # Direct vote by msg.sender (the deployer holds no unit).
    with reverts("GovernanceNoVotingWeight", pid, w.client.address):
        await w.tx(w.governance.functions.castVote(pid, FOR))


async def test_direct_vote(w: World):
    pid = await w.propose(PROPERTY_FIRM)
    await w.open_voting()
    owner = w.owners[4]
    await w.client.transfer_ether(owner.address, 10**17)
    voter = ChainClient(w.client.w3, owner, w.client.chain_id, url=w.client.url)
    receipt = await voter.transact(w.governance.functions.castVote(pid, AGAINST))
    assert one_event(receipt, w.governance, "VoteCast") == {
        "proposalId": pid, "voter": owner.address, "support": AGAINST, "area": 25000}


async def test_replay_protection(w: World):
    p1 = await w.propose(PROPERTY_FIRM)
    p2 = await w.propose(PROPERTY_FIRM)
    await w.open_voting()
    owner = w.owners[1]
    signed = ballot(w, owner, p1, FOR)
    await w.tx(w.governance.functions.castVoteBySig(*signed.as_args()))
    # Same signature on another proposal.
    with reverts("GovernanceInvalidSignature", owner.address):
        await w.tx(w.governance.functions.castVoteBySig(p2, FOR, owner.address, 0, signed.signature))
    # Signed for another chain id.
    other_chain = ballot(w, owner, p2, FOR, chain_id=w.client.chain_id + 1)
    with reverts("GovernanceInvalidSignature", owner.address):
        await w.tx(w.governance.functions.castVoteBySig(*other_chain.as_args()))
    # Another community's governance contract, with the same registry and proposal ids.
    other = await w.client.deploy("OwnersGovernance", w.client.address, w.registry.address, OBJECTION)
    start = await w.now() + 5
    await w.client.transact(other.functions.propose(PROPERTY_FIRM, 0, start, start + 1000, b"\x01" * 32))
    await devchain.increase_time(w.client, 6)
    with reverts("GovernanceInvalidSignature", owner.address):
        await w.client.transact(other.functions.castVoteBySig(*signed.as_args()))
    # The digest the contract computes is the one the helper signs.
    from plugins.governance.ballots import ballot_digest, recover_ballot_signer

    assert await w.call(w.governance.functions.hashBallot(p1, FOR, owner.address, 0)) == ballot_digest(
        w.client.chain_id, w.governance.address, p1, FOR, owner.address, 0)
    assert recover_ballot_signer(signed, w.client.chain_id, w.governance.address) == owner.address


async def test_batch_skips_and_resubmission_is_idempotent(w: World):
    pid = await w.propose(PROPERTY_FIRM)
    await w.open_voting()
    stranger = new_accounts(1)[0]
    good = [ballot(w, o, pid, FOR).as_tuple() for o in w.owners[:3]]
    bad_sig = (pid, FOR, w.owners[3].address, 0, ballot(w, w.owners[4], pid, FOR).signature)
    batch = good + [
        good[0],  # duplicate within the batch
        bad_sig,
        ballot(w, w.owners[4], pid, 7).as_tuple(),
        ballot(w, stranger, pid, FOR).as_tuple(),
        ballot(w, w.owners[4], pid, FOR, nonce=2).as_tuple(),
        ballot(w, w.owners[4], 99, FOR).as_tuple(),
    ]
    receipt = await w.tx(w.governance.functions.castVotesBySig(batch))
    assert len(events(receipt, w.governance, "VoteCast")) == 3
    rejected = [(e["voter"], e["reason"]) for e in events(receipt, w.governance, "VoteRejected")]
    # Rejection enum: 1 NonexistentProposal, 2 NotActive, 3 InvalidSupport, 4 AlreadyVoted, 5 InvalidNonce,
    # 6 InvalidSignature, 7 NoVotingWeight.
    assert rejected == [
        (w.owners[0].address, 4), (w.owners[3].address, 6), (w.owners[4].address, 3),
        (stranger.address, 7), (w.owners[4].address, 5), (w.owners[4].address, 1),
    ]
    tally = await w.call(w.governance.functions.proposalTally(pid))
    receipt = await w.tx(w.governance.functions.castVotesBySig(good))
    assert events(receipt, w.governance, "VoteCast") == []
    assert [e["reason"] for e in events(receipt, w.governance, "VoteRejected")] == [4, 4, 4]
    assert await w.call(w.governance.functions.proposalTally(pid)) == tally == [0, 60000, 0, 0, 3, 0]
    assert await w.call(w.governance.functions.castVotesBySig(good)) == 0
    await w.close_voting()
    receipt = await w.tx(w.governance.functions.castVotesBySig([ballot(w, w.owners[4], pid, FOR).as_tuple()]))
    assert [e["reason"] for e in events(receipt, w.governance, "VoteRejected")] == [2]


async def test_building_scope_vote(w: World):
    # Scope = buildings 2 and 3: owners 2, 3, 4 (70000 area, 3 persons).
    await w.tx(w.registry.functions.defineScope([2, 3]))
    await w.tx(w.registry.functions.includeUnitsInScope(1, [3, 4, 5]))
    pid = await w.propose(PROPERTY_FIRM, scope=1)
    assert (await w.call(w.governance.functions.proposal(pid)))[8:10] == [70000, 3]
    await w.open_voting()
    with reverts("GovernanceNoVotingWeight", pid, w.owners[0].address):
        await w.tx(w.governance.functions.castVoteBySig(*ballot(w, w.owners[0], pid, FOR).as_args()))
    await vote_all(w, pid, [None, None, FOR, FOR, AGAINST])
    await w.close_voting()
    await w.tx(w.governance.functions.publishResult(pid))
    assert await w.state(pid) == SUCCEEDED  # 45000 of 70000 and 2 of 3 persons among all scope owners


async def test_batch_reads_areas_at_the_snapshot_and_mixes_proposals(w: World):
    """A batch takes its voters' areas in one registry call (``areasAt``) at the first ballot's proposal's
    snapshot — from a person's history when they changed since — and counts ballots on other proposals one by one."""
    o1, o2 = w.owners[1], w.owners[2]
    p1 = await w.propose(PROPERTY_FIRM)
    await w.tx(w.registry.functions.transferUnits([2], [o2.address]))  # after p1's snapshot: o1 sells to o2
    p2 = await w.propose(PROPERTY_FIRM)
    await w.open_voting()
    batch = [ballot(w, o1, p1, FOR), ballot(w, o2, p1, AGAINST), ballot(w, o2, p2, FOR), ballot(w, o1, p2, FOR)]
    receipt = await w.tx(w.governance.functions.castVotesBySig([b.as_tuple() for b in batch]))
    cast = [(e["proposalId"], e["voter"], e["support"], e["area"]) for e in events(receipt, w.governance, "VoteCast")]
    assert cast == [(p1, o1.address, FOR, 20000), (p1, o2.address, AGAINST, 30000), (p2, o2.address, FOR, 50000)]
    assert [(e["proposalId"], e["voter"], e["reason"]) for e in events(receipt, w.governance, "VoteRejected")] == [
        (p2, o1.address, 7)]  # o1 held nothing at p2's snapshot
    assert await w.call(w.governance.functions.proposalTally(p1)) == [30000, 20000, 0, 1, 1, 0]
    assert await w.call(w.governance.functions.proposalTally(p2)) == [0, 50000, 0, 0, 1, 0]
    assert await w.call(w.governance.functions.getReceipt(p1, o1.address)) == [True, FOR, 20000]
    assert await w.call(w.governance.functions.getReceipt(p2, o2.address)) == [True, FOR, 50000]
    block = await w.client.w3.eth.block_number
    assert await w.call(w.registry.functions.areasAt(0, [o1.address, o2.address, w.owners[0].address], block - 1)) == [
        0, 50000, 10000]
