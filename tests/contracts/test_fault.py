"""Fault test: anvil is killed in the middle of a vote batch and restarted from its state file.

The relayer re-submits every batch; ballots already counted are rejected by the contract (skipped in a
batch with VoteRejected(AlreadyVoted), GovernanceAlreadyVoted alone), none is lost or counted twice, and
the tally equals the reference.
"""

from __future__ import annotations

import time

import pytest
from contract_helpers import deploy_world, register, reverts
from eth_account import Account

from kernel.chain import (
    Anvil,
    AnvilNotFound,
    ChainClient,
    anvil_binary,
    devchain,
)
from kernel.testing import eventually, missing
from plugins.governance.ballots import FOR, sign_ballot

pytestmark = pytest.mark.asyncio(loop_scope="session")
VOTERS = 240
BATCH = 20


async def _dumped_after(state, since_ns: int) -> None:  # type: ignore[no-untyped-def]
    """Wait for anvil's periodic state dump written after ``since_ns`` (instead of sleeping an interval)."""
    await eventually(lambda: state.exists() and state.stat().st_mtime_ns > since_ns and state.stat().st_size > 0,
                     within=15, what="anvil's state dump")


async def test_kill_mid_batch_and_resubmit(tmp_path):
    try:
        anvil_binary()
    except AnvilNotFound:
        missing("anvil", "the anvil binary is missing: run `npm ci` in contracts/")
    state = tmp_path / "anvil-state.json"
    node = Anvil(state_path=state, state_interval=1).start()
    try:
        client = await ChainClient.connect(node.url)
        w = await deploy_world(client)
        keys = [Account.create() for _ in range(VOTERS)]
        areas = [1000 + 37 * i for i in range(VOTERS)]
        for i in range(0, VOTERS, 120):
            await register(w, [k.address for k in keys[i:i + 120]], areas[i:i + 120])
        pid = await w.propose(3, length=10**6)
        await w.open_voting()
        ballots = [sign_ballot(k.key, client.chain_id, w.governance.address, pid, FOR).as_tuple() for k in keys]
        batches = [ballots[i:i + BATCH] for i in range(0, VOTERS, BATCH)]
        await _dumped_after(state, time.time_ns())  # anvil has dumped the deployment
        fn = w.governance.functions.castVotesBySig
        gas = 120_000 * BATCH
        sent = []
        for i, batch in enumerate(batches):
            signed = await client.sign(fn(batch), gas=gas)
            await client.send_signed(signed)
            sent.append(signed)
            if i == len(batches) // 2:
                await client.wait_for_receipt(signed.tx_hash)
                await _dumped_after(state, time.time_ns())  # a periodic dump happens: part of the votes survive
            if i == len(batches) // 2 + 2:
                node.kill()  # crash mid-batch: the rest is never sent, the last ones may be lost
                break
        node = Anvil(port=node.port, state_path=state, state_interval=1).start()
        client = await ChainClient.connect(node.url)
        # anvil's state dump keeps blocks, not the evm_increaseTime offset open_voting() applied:
        # move the restarted clock back inside the voting window (start was now+11 s).
        await devchain.increase_time(client, 60)
        governance = client.contract("OwnersGovernance", w.governance.address)
        counted_before = (await client.call(governance.functions.proposalTally(pid)))[4]
        assert 0 < counted_before < VOTERS  # some survived, some were lost or never sent
        # Idempotent re-submission of every batch with fresh nonces.
        for batch in batches:
            await client.transact(governance.functions.castVotesBySig(batch), gas=gas)
        tally = await client.call(governance.functions.proposalTally(pid))
        assert tuple(tally) == (0, sum(areas), 0, 0, VOTERS, 0)
        for k in keys[:3]:
            receipt = await client.call(governance.functions.getReceipt(pid, k.address))
            assert tuple(receipt) == (True, FOR, areas[keys.index(k)])
        with reverts("GovernanceAlreadyVoted", pid, keys[0].address):
            await client.transact(governance.functions.castVoteBySig(*ballots[0]))
        await client.close()
    finally:
        node.stop()
