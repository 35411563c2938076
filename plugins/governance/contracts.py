"""The governance plugin's contract: ``OwnersGovernance``, contributed to every community's deployment
through ``register_contracts``, with everything the relayer and the indexer need to know of it.

* deployment: ``OwnersGovernance(admin, registry, objection_period)`` after the kernel's registry
  (option ``objection_period``, seconds; 7 days by default);
* relayer: a ballot already counted or a state already reached is *done*; a scope still being filled, an
  objection period still running, or a proposal still pending/active is *retry*; signed ballots of many
  intents ride in one ``castVotesBySig`` (the contract skips, never reverts on, a bad ballot and says why in
  ``VoteRejected``);
* reconcile: every proposal's tally on chain against the sum of its indexed ``VoteCast`` events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from kernel.sdk import (
    CallBatch,
    CallOutcome,
    CallVerdict,
    ContractContribution,
    DeployContext,
    ReconcileContext,
)

__all__ = ["DEFAULT_OBJECTION_PERIOD", "PROPOSAL_STATES", "REJECTIONS", "VOTE_BATCH", "governance_contracts"]

ROLE = "governance"
#: Default objection period after the preliminary result: 7 days.
DEFAULT_OBJECTION_PERIOD = 7 * 24 * 3600
#: Most ballots relayed in one ``castVotesBySig`` transaction.
VOTE_BATCH = 100
#: ``ProposalState`` values (IOwnersGovernance).
PROPOSAL_STATES = ("Pending", "Active", "DefeatedNoQuorum", "Defeated", "Succeeded", "Final", "Executed", "Cancelled")
#: ``VoteRejected.reason`` values (OwnersGovernance.Rejection).
REJECTIONS = ("None", "NonexistentProposal", "NotActive", "InvalidSupport", "AlreadyVoted", "InvalidNonce", "InvalidSignature", "NoVotingWeight")


async def _deploy(ctx: DeployContext) -> Mapping[str, str]:
    period = int(ctx.options.get("objection_period", DEFAULT_OBJECTION_PERIOD))
    governance = await ctx.deploy(ROLE, ctx.admin, ctx.addresses["registry"], period)
    return {ROLE: governance.address}


def _merge_ballots(members: list[list[Any]]) -> list[Any]:
    return [[ballot for args in members for ballot in args[0]]]


def _owns_ballot(args: list[Any], event: dict[str, Any]) -> bool:
    if event["event"] not in ("VoteCast", "VoteRejected"):
        return False
    mine = {(int(b[0]), str(b[2]).lower()) for b in args[0]}
    return (int(event["args"]["proposalId"]), str(event["args"]["voter"]).lower()) in mine


async def _classify(outcome: CallOutcome) -> CallVerdict | None:
    if outcome.revert is not None:
        return _classify_revert(outcome)
    rejected = [e for e in outcome.events if e["event"] == "VoteRejected"]
    counted = [e for e in outcome.events if e["event"] == "VoteCast"]
    if not rejected or counted:
        return None
    reasons = {REJECTIONS[int(e["args"]["reason"])] for e in rejected}
    if reasons <= {"AlreadyVoted"}:
        return CallVerdict("done", "AlreadyVoted")
    if "NotActive" in reasons and await _proposal_pending(outcome, int(rejected[0]["args"]["proposalId"])):
        return CallVerdict("retry", f"{outcome.intent}: voting has not started on chain yet")
    return CallVerdict("failed", "VoteRejected:" + ",".join(sorted(reasons)))


def _classify_revert(outcome: CallOutcome) -> CallVerdict | None:
    revert = outcome.revert
    assert revert is not None
    if revert.error_name != "GovernanceUnexpectedProposalState":
        return None
    current = PROPOSAL_STATES[int(revert.error_kwargs.get("current", revert.error_args[-1]))]
    function = outcome.function
    if function in ("publishResult", "finalize") and current in ("Pending", "Active"):
        return CallVerdict("retry", f"{outcome.intent}: proposal still {current}")
    if (
        (function == "publishResult" and current not in ("Pending", "Active"))
        or (function == "finalize" and current in ("Final", "Executed"))
        or (function == "cancel" and current == "Cancelled")
    ):
        return CallVerdict("done", revert.error_name)
    return None


async def _proposal_pending(outcome: CallOutcome, proposal_id: int) -> bool:
    contract = outcome.client.contract("OwnersGovernance", outcome.address)
    return PROPOSAL_STATES[int(await outcome.client.call(contract.functions.state(proposal_id)))] == "Pending"


async def _reconcile(ctx: ReconcileContext) -> None:
    """Every proposal's tally (area and persons per option) against the sum of its indexed ``VoteCast`` events."""
    gov = ctx.contract(ROLE)
    sums: dict[int, list[int]] = defaultdict(lambda: [0] * 6)  # againstArea, forArea, abstainArea, persons x3
    for e in ctx.events("VoteCast"):
        support = int(e.args["support"])
        s = sums[int(e.args["proposalId"])]
        s[support] += int(e.args["area"])
        s[3 + support] += 1
    created = ctx.events("ProposalCreated")
    for e in created:
        pid = int(e.args["proposalId"])
        tally = [int(x) for x in await ctx.client.call(gov.functions.proposalTally(pid))]
        if tally != sums[pid]:
            ctx.mismatch(f"proposal {pid}: chain tally {tally} != indexed votes {sums[pid]}")
    ctx.checked["proposals"] = len(created)
    ctx.checked["votes"] = len(ctx.events("VoteCast"))


def governance_contracts() -> ContractContribution:
    return ContractContribution(
        artifacts={ROLE: "OwnersGovernance"},
        deploy=_deploy,
        after=("registry",),
        done_errors=frozenset({"GovernanceAlreadyVoted"}),
        retry_errors=frozenset({"GovernanceScopeNotReady", "GovernanceObjectionPeriodRunning"}),
        classify=_classify,
        batches=(CallBatch("castVotesBySig", merge=_merge_ballots, owns=_owns_ballot, max_calls=VOTE_BATCH),),
        reconcile=_reconcile,
    )
