"""A vote's audit entry is queued (``audit_queued``), not appended in the request (issue 17 part 2): votes of
one tenant commit while another transaction holds the tenant's audit head, the outbox worker chains the
queued entries once each, and tampering with a chained vote entry is still detected by ``verify``.
SQLite + embedded EVM, PostgreSQL + anvil (the lock part is PostgreSQL's: SQLite has one writer)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from kernel import audit
from kernel.audit import AuditEntry
from kernel.chain import devchain
from kernel.chain.relay import chain_client
from kernel.outbox import OutboxMessage
from tests.governance.conftest import build_voting_estate
from tests.governance.test_governance_graphql import DRAFT, VOTE, drain, step

pytestmark = pytest.mark.usefixtures("fast_passwords")


async def _vote_entries(runtime, tenant: uuid.UUID) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    async with runtime.db.tenant(tenant) as s:
        return list(
            (
                await s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.action == "governance.vote_cast")
                    .order_by(AuditEntry.seq)
                )
            ).all()
        )


async def test_votes_commit_while_the_audit_head_is_locked_and_tampering_is_still_detected(  # type: ignore[no-untyped-def]
    chain_runtime, gql_factory, linli_database
) -> None:
    runtime = chain_runtime
    gql = gql_factory(runtime)
    e = await build_voting_estate(runtime, gql, prefix="vaq")
    r = await gql(
        DRAFT,
        {"c": e.community_gid(), "m": "USE_FUND", "t": "外墙", "b": "外墙维修"},
        token=e.tokens["committee"],
    )
    assert not r.get("errors"), r
    pid = r["data"]["draftProposal"]["id"]
    await step(gql, e.tokens["committee"], "publishProposal", pid)
    await drain(runtime, e.tenant_id)
    await step(gql, e.tokens["committee"], "openVoting", pid)
    await drain(runtime, e.tenant_id)
    await devchain.increase_time(await chain_client(runtime), 5)
    before = await _vote_entries(runtime, e.tenant_id)
    assert before == []

    async def vote(who: str, choice: str) -> None:
        r = await gql(VOTE, {"p": pid, "c": choice}, token=e.tokens[who])
        assert not r.get("errors"), (who, r)

    if linli_database.backend == "postgres":
        # another transaction of the tenant holds the audit head (as an inline append does until its
        # request commits): the votes must not wait for it — before the queue they did, to the end
        async with runtime.db.tenant(e.tenant_id) as holder:
            await holder.execute(text("SELECT seq, hash FROM audit_head_for_append()"))
            await asyncio.wait_for(
                asyncio.gather(vote("a", "FOR"), vote("e", "AGAINST")), timeout=20
            )
            await holder.rollback()
    else:
        await vote("a", "FOR")
        await vote("e", "AGAINST")

    async with runtime.db.tenant(e.tenant_id) as s:
        queued = await audit.verify(s)
    assert queued.ok and queued.queued == 2 and queued.dead == 0
    assert await _vote_entries(runtime, e.tenant_id) == []  # queued, not chained yet

    await drain(runtime, e.tenant_id)
    await drain(runtime, e.tenant_id)  # a second round finds nothing more to chain: each entry once
    entries = await _vote_entries(runtime, e.tenant_id)
    assert len(entries) == 2 and all(x.target for x in entries)
    async with runtime.db.tenant(e.tenant_id) as s:
        chained = await audit.verify(s)
        left = await s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "audit", OutboxMessage.status != "delivered")
        )
    assert chained.ok and chained.queued == 0 and left == 0
    assert chained.entries >= queued.entries + 2
    # a repeated queue of the same vote's entry (a redelivered request) is a no-op
    async with runtime.db.tenant(e.tenant_id) as s:
        prior = await s.scalar(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.topic == "audit")
        )
        await audit.record_queued(
            s,
            tenant_id=e.tenant_id,
            actor="x",
            action="governance.vote_cast",
            key=prior.removeprefix("audit:"),
        )
    await drain(runtime, e.tenant_id)
    assert len(await _vote_entries(runtime, e.tenant_id)) == 2

    # tampering with a chained vote entry (as the database owner) is found at that entry
    victim = entries[0]
    engine = create_async_engine(linli_database.admin_url)
    try:
        async with engine.begin() as conn:
            tid = str(e.tenant_id) if conn.dialect.name == "postgresql" else e.tenant_id.hex
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT set_config('linli.tenant_id', :t, true)"), {"t": str(e.tenant_id)}
                )
            await conn.execute(
                text(
                    "UPDATE audit_entries SET actor = 'someone else' WHERE tenant_id = :t AND seq = :seq"
                ),
                {"t": tid, "seq": victim.seq},
            )
    finally:
        await engine.dispose()
    async with runtime.db.tenant(e.tenant_id) as s:
        tampered = await audit.verify(s)
    assert not tampered.ok and tampered.divergence is not None
    assert (tampered.divergence.seq, tampered.divergence.check) == (victim.seq, "hash")
