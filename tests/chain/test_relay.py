"""The relayer (exactly-once effect through the outbox), key custody, the indexer with its reconcile check,
and audit anchoring. SQLite + embedded EVM and PostgreSQL + anvil."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import delete, func, select

from kernel.audit import AuditEntry, AuditHead
from kernel.audit import record as audit
from kernel.chain import devchain
from kernel.chain.custody import holder_account, voter_account
from kernel.chain.indexer import anchor_tenant_audit_head, index_deployment, reconcile
from kernel.chain.models import ChainEvent, ChainKey, ChainTransaction
from kernel.chain.relay import (
    chain_client,
    enqueue_chain_call,
    ensure_community_contracts,
    make_chain_deliverer,
    transaction_for,
)
from kernel.chain.units import UnitToRegister, sync_units
from kernel.crypto import CryptoError
from kernel.outbox import OutboxMessage
from kernel.testing import unique_slug
from plugins.governance.ballots import sign_ballot
from tenants.estate import service as estate
from tenants.lifecycle import provision

pytestmark = pytest.mark.usefixtures("fast_passwords")


class Crash(Exception):
    """Stands for the process dying after the send, before the outbox row is marked delivered."""


async def setup_community(runtime) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:  # type: ignore[no-untyped-def]
    p = await provision(runtime, slug=unique_slug("chain"), name="chain", admin_username=unique_slug("adm"), admin_password="correct horse battery")
    tid = p.tenant_id
    async with runtime.db.tenant(tid) as s:
        c = await estate.create_community(s, code="K1", name="链社区")
        cp = await estate.create_compound(s, community_id=c.id, name="一期")
        b = await estate.create_building(s, compound_id=cp.id, name="1幢")
        persons = []
        for i, area in enumerate((10000, 5000)):
            u = await estate.create_unit(s, building_id=b.id, number=f"{i + 1}01", registered_area=area)
            person = await estate.register_person(s, runtime.vault, tid, name=f"业主{i}")
            await estate.add_ownership(s, unit_id=u.id, person_id=person.id)
            persons.append(person.id)
        deployment = await ensure_community_contracts(runtime, s, c.id)
        units = [UnitToRegister(u.id, b.id, u.registered_area, str(pid)) for u, pid in zip(
            (await s.scalars(select(estate.Unit).where(estate.Unit.community_id == c.id).order_by(estate.Unit.number))).all(), persons, strict=True)]
        await sync_units(runtime, s, deployment, units)
        assert deployment.chain_id == (await chain_client(runtime)).chain_id
    return tid, c.id, persons


async def deliver_then_crash(runtime, tenant_id, intent: str) -> None:  # type: ignore[no-untyped-def]
    """Run the relayer on ``intent`` and roll its transaction back (the mark is lost, the send is not)."""
    deliver = make_chain_deliverer(runtime)
    with pytest.raises(Crash):
        async with runtime.db.tenant(tenant_id) as s:
            msg = await s.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"chain:{intent}"))
            await deliver(s, msg)
            raise Crash


async def test_enqueue_is_idempotent_and_registration_survives_a_crash(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    tid, community, _ = await setup_community(runtime)
    async with runtime.db.tenant(tid) as s:
        tx = (await s.scalars(select(ChainTransaction))).one()
        # Same intent again: nothing new.
        await enqueue_chain_call(s, community_id=community, contract="registry", function="registerUnits", args=tx.args, intent=tx.intent)
        assert await s.scalar(select(func.count()).select_from(ChainTransaction)) == 1
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "chain")) == 1
        intent = tx.intent
    with pytest.raises(ValueError, match="unknown contract 'bank'"):
        async with runtime.db.tenant(tid) as s:
            await enqueue_chain_call(s, community_id=community, contract="bank", function="x", args=[], intent="x")

    await deliver_then_crash(runtime, tid, intent)
    client = await chain_client(runtime)
    async with runtime.db.tenant(tid) as s:
        assert (await transaction_for(s, intent)).status == "pending"  # the mark was lost
        from kernel.chain.relay import deployment_for

        registry = client.contract("OwnersRegistry", (await deployment_for(s, community)).address_of("registry"))
    assert await client.call(registry.functions.unitCount()) == 2
    await runtime.outbox.drain(tid)
    async with runtime.db.tenant(tid) as s:
        tx = await transaction_for(s, intent)
        assert (tx.status, tx.error_name) == ("skipped", "AlreadyDone")
    assert await client.call(registry.functions.unitCount()) == 2  # not registered twice
    assert list(await client.call(registry.functions.totals(0))) == [15000, 2]


async def test_vote_redelivered_after_crash_counts_once_and_indexer_reconciles(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    tid, community, persons = await setup_community(runtime)
    await runtime.outbox.drain(tid)
    client = await chain_client(runtime)
    now = max(await devchain.latest_timestamp(client), 0)
    import time

    now = max(now, int(time.time()))
    async with runtime.db.tenant(tid) as s:
        await enqueue_chain_call(
            s, community_id=community, contract="governance", function="propose",
            args=[8, 0, now + 2, now + 3600, "0x" + "11" * 32], intent="test:propose",
            guard={"event": "ProposalCreated", "field": "contentHash", "equals": "0x" + "11" * 32},
        )
    await runtime.outbox.drain(tid)
    await devchain.increase_time(client, 5)
    async with runtime.db.tenant(tid) as s:
        created = (await transaction_for(s, "test:propose")).result
        pid = int(next(e for e in created if e["event"] == "ProposalCreated")["args"]["proposalId"])
        from kernel.chain.relay import deployment_for

        deployment = await deployment_for(s, community)
        address, key = await voter_account(runtime, s, persons[0])
        ballot = sign_ballot(key, deployment.chain_id, deployment.address_of("governance"), pid, 1)
        await enqueue_chain_call(
            s, community_id=community, contract="governance", function="castVotesBySig",
            args=[[[str(pid), 1, address, 0, "0x" + ballot.signature.hex()]]], intent=f"vote:{pid}:{persons[0]}",
        )
    await deliver_then_crash(runtime, tid, f"vote:{pid}:{persons[0]}")
    await runtime.outbox.drain(tid)
    gov = client.contract("OwnersGovernance", deployment.address_of("governance"))
    assert list(await client.call(gov.functions.proposalTally(pid))) == [0, 10000, 0, 0, 1, 0]  # counted once
    async with runtime.db.tenant(tid) as s:
        tx = await transaction_for(s, f"vote:{pid}:{persons[0]}")
        assert (tx.status, tx.error_name) == ("skipped", "AlreadyVoted")

        # The indexer projects every event once; reconcile agrees with the chain.
        deployment = await deployment_for(s, community)
        stored = await index_deployment(runtime, s, deployment)
        assert stored >= 4  # 2 UnitRegistered, ProposalCreated, VoteCast (+ VoteRejected of the re-delivery)
        assert await index_deployment(runtime, s, deployment) == 0
        names = [e.event for e in (await s.scalars(select(ChainEvent).order_by(ChainEvent.block_number, ChainEvent.log_index))).all()]
        assert names.count("UnitRegistered") == 2 and names.count("VoteCast") == 1 and "ProposalCreated" in names
        r = await reconcile(runtime, s, community)
        assert r.ok, r.mismatches
        assert r.checked["votes"] == 1 and r.checked["units"] == 2
        # A projection altered behind the indexer's back is caught.
        await s.execute(delete(ChainEvent).where(ChainEvent.event == "VoteCast"))
        r = await reconcile(runtime, s, community)
        assert not r.ok and "proposal" in r.mismatches[0]


async def test_custodial_keys_are_encrypted_per_tenant(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    tid, _, persons = await setup_community(runtime)
    async with runtime.db.tenant(tid) as s:
        address, key = await voter_account(runtime, s, persons[0])
        assert (address, key) == await voter_account(runtime, s, persons[0])  # stable
        row = await s.scalar(select(ChainKey).where(ChainKey.holder_key == str(persons[0])))
        assert key and key[2:] not in row.key_enc and key not in row.key_enc
        from eth_account import Account

        assert Account.from_key(key).address == address
    other = uuid.uuid4()
    with pytest.raises(CryptoError):
        runtime.vault.decrypt(other, row.key_enc)  # another tenant's key cannot open it
    async with runtime.db.tenant(tid) as s:
        from kernel.chain.custody import register_self_custody

        mine = "0x" + "ab" * 20
        await register_self_custody(runtime, s, str(persons[1]), mine)
        addr, key = await holder_account(runtime, s, str(persons[1]))
        assert addr.lower() == mine and key is None


async def test_audit_head_is_anchored_once(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = chain_runtime
    tid, community, _ = await setup_community(runtime)
    async with runtime.db.tenant(tid) as s:
        await audit(s, tenant_id=tid, actor="test", action="test.something")
        intent = await anchor_tenant_audit_head(s)
        assert intent and intent == await anchor_tenant_audit_head(s)
        head = await s.get(AuditHead, tid)
        head_hash, seq = head.hash, head.seq
    await runtime.outbox.drain(tid)
    client = await chain_client(runtime)
    async with runtime.db.tenant(tid) as s:
        from kernel.chain.relay import deployment_for

        anchor = client.contract("AuditAnchor", (await deployment_for(s, community)).address_of("audit"))
        assert (await transaction_for(s, intent)).status == "confirmed"
    assert await client.call(anchor.functions.anchorCount()) == 1
    latest = await client.call(anchor.functions.latestAnchor())
    assert "0x" + bytes(latest[0]).hex() == "0x" + head_hash and seq in latest


async def test_audit_verify_checks_against_the_anchors_on_chain(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    """The anchors are read from the chain: removing the anchored entry and rolling the head back (as the
    database owner) is reported at the anchored count."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from kernel.audit import verify
    from kernel.chain.indexer import audit_anchors

    runtime = chain_runtime
    tid, _community, _ = await setup_community(runtime)
    async with runtime.db.tenant(tid) as s:
        assert await audit_anchors(runtime, s) == []
        await audit(s, tenant_id=tid, actor="test", action="test.anchored")
        await anchor_tenant_audit_head(s)
    await runtime.outbox.drain(tid)
    async with runtime.db.tenant(tid) as s:
        anchors = await audit_anchors(runtime, s)
        result = await verify(s, anchors)
        head = await s.get(AuditHead, tid)
        n, prev = head.seq, (await s.scalar(select(AuditEntry.prev_hash).where(AuditEntry.seq == head.seq)))
    assert [a.entry_count for a in anchors] == [n] and result.ok and result.anchored == n
    from kernel.tenancy import Tenant

    async with runtime.db.platform() as s:
        slug = await s.scalar(select(Tenant.slug).where(Tenant.id == tid))
    if runtime.settings.chain_url:  # the command, with its own runtime, on the same anvil (the embedded EVM is in-process)
        out = await asyncio.to_thread(_linli, runtime, "audit", "verify", slug)
        assert out.exit_code == 0 and f"matches 1 on-chain anchors, the newest covering {n} entries" in out.output, out.output
    owner = create_async_engine(runtime.settings.database_admin_url or runtime.settings.database_url)
    async with owner.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        t = str(tid) if pg else tid.hex
        if pg:
            await conn.execute(text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": t})
        await conn.execute(text("DELETE FROM audit_entries WHERE tenant_id = :t AND seq = :n"), {"t": t, "n": n})
        await conn.execute(text("UPDATE audit_heads SET seq = :k, hash = :h WHERE tenant_id = :t"), {"t": t, "k": n - 1, "h": prev})
    await owner.dispose()
    async with runtime.db.tenant(tid) as s:
        assert (await verify(s)).ok  # consistent in itself
        result = await verify(s, await audit_anchors(runtime, s))
    assert result.first_bad_seq == n and result.divergence.found == f"{n - 1} entries (truncated)"
    if runtime.settings.chain_url:
        out = await asyncio.to_thread(_linli, runtime, "audit", "verify", slug)
        assert out.exit_code == 1, out.output
        assert f"audit log altered at entry {n}: anchored entry expected {n} entries" in " ".join(out.output.split())


def _linli(runtime, *args: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from gateway.cli import cli

    st = runtime.settings
    env = {
        "LINLI_DATABASE_URL": st.database_url, "LINLI_DATABASE_ADMIN_URL": st.database_admin_url,
        "LINLI_SECRET_KEY": st.secret_key, "LINLI_MASTER_KEY": st.master_key,
        "LINLI_DATA_DIR": str(st.data_dir), "LINLI_CHAIN_URL": st.chain_url or "", "LINLI_LOG_JSON": "false",
    }
    return CliRunner().invoke(cli, list(args), env=env)


async def test_waiting_ballots_ride_in_one_transaction_each_with_its_own_outcome(chain_runtime) -> None:  # type: ignore[no-untyped-def]
    """Governance's CallBatch: pending castVotesBySig intents go in one transaction; each intent keeps the
    events of its own ballot and gets its own outcome."""
    runtime = chain_runtime
    tid, community, persons = await setup_community(runtime)
    await runtime.outbox.drain(tid)
    client = await chain_client(runtime)
    import time

    now = max(await devchain.latest_timestamp(client), int(time.time()))
    async with runtime.db.tenant(tid) as s:
        await enqueue_chain_call(s, community_id=community, contract="governance", function="propose",
                                 args=[8, 0, now + 2, now + 3600, "0x" + "22" * 32], intent="test:propose2")
    await runtime.outbox.drain(tid)
    await devchain.increase_time(client, 5)
    from kernel.chain.relay import deployment_for

    async with runtime.db.tenant(tid) as s:
        pid = int(next(e for e in (await transaction_for(s, "test:propose2")).result if e["event"] == "ProposalCreated")["args"]["proposalId"])
        deployment = await deployment_for(s, community)
        ballots = []
        for person in persons:
            address, key = await voter_account(runtime, s, person)
            b = sign_ballot(key, deployment.chain_id, deployment.address_of("governance"), pid, 1)
            ballots.append([str(pid), 1, address, 0, "0x" + b.signature.hex()])
        for person, ballot in zip(persons, ballots, strict=True):
            await enqueue_chain_call(s, community_id=community, contract="governance", function="castVotesBySig",
                                     args=[[ballot]], intent=f"vote:{pid}:{person}")
    await runtime.outbox.drain(tid)
    async with runtime.db.tenant(tid) as s:
        first, second = [await transaction_for(s, f"vote:{pid}:{p}") for p in persons]
        assert (first.status, second.status) == ("confirmed", "confirmed")
        assert first.tx_hash == second.tx_hash  # one transaction
        assert [(e["event"], e["args"]["voter"].lower()) for e in first.result] == [("VoteCast", ballots[0][2].lower())]
        assert [(e["event"], e["args"]["voter"].lower()) for e in second.result] == [("VoteCast", ballots[1][2].lower())]
    gov = client.contract("OwnersGovernance", deployment.address_of("governance"))
    assert list(await client.call(gov.functions.proposalTally(pid))) == [0, 15000, 0, 0, 2, 0]
