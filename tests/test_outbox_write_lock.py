"""SQLite has one writer: a background transaction that reads first and writes later must hold the
write lock from its start. Otherwise — when a savepoint began it, as a deliverer isolating one
message does — its first write is an upgrade of a read snapshot, and SQLite refuses that at once
("database is locked", no busy wait) if another connection wrote meanwhile. The outbox's batch
delivery and the scheduled jobs' tenant transactions take it first (``BEGIN IMMEDIATE``); the
other writer waits for them instead. Runs on a file database (the embedded default) and, with
``LINLI_TEST_POSTGRES_URL``, on PostgreSQL (row locks; nothing to wait for)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from kernel.audit import AuditEntry, record
from kernel.outbox import OutboxMessage, OutboxWorker, enqueue

TOPIC = "lockprobe"


class OtherWriter:
    """A request of the same firm writing (an audit entry) while the batch is under way."""

    def __init__(self, runtime: Any, tenant_id: uuid.UUID) -> None:
        self.runtime, self.tenant_id = runtime, tenant_id
        self.task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()

    async def _write(self) -> None:
        async with self.runtime.db.tenant(self.tenant_id) as s:
            await record(
                s, tenant_id=self.tenant_id, actor="test", action="lockprobe.other", target="x"
            )
        self.done.set()

    async def meanwhile(self) -> None:
        """Start the write; give it a moment to commit (it does at once unless it must wait for
        the write lock — then it commits after the batch)."""
        self.task = asyncio.get_running_loop().create_task(self._write())
        try:
            await asyncio.wait_for(self.done.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def _audited(runtime: Any, tenant_id: uuid.UUID, action: str) -> int:
    async with runtime.db.tenant(tenant_id) as s:
        return int(
            await s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


async def test_a_batch_delivery_that_reads_then_writes_is_not_refused_by_another_writer(
    runtime, tenant
) -> None:  # type: ignore[no-untyped-def]
    tid = tenant.tenant_id
    other = OtherWriter(runtime, tid)

    async def deliver(session: Any, messages: list[OutboxMessage]) -> dict[uuid.UUID, str | None]:
        out: dict[uuid.UUID, str | None] = {}
        for msg in messages:
            async with session.begin_nested():  # one message's failure must not undo the others
                await session.scalar(select(func.count()).select_from(AuditEntry))  # read …
                if other.task is None:
                    await other.meanwhile()  # … someone else writes …
                await record(
                    session,
                    tenant_id=tid,
                    actor="test",
                    action="lockprobe.delivered",
                    target=str(msg.id),
                )  # … write
            out[msg.id] = None
        return out

    async with runtime.db.tenant(tid) as s:
        queued = [await enqueue(s, f"{TOPIC}:x", f"lockprobe-{uuid.uuid4()}", {}) for _ in range(2)]
    mids = [m.id for m in queued if m is not None]
    worker = OutboxWorker(runtime.db, lambda topic: None)
    worker.batch_deliverers[TOPIC] = deliver

    done = await worker._deliver_batch(tid, TOPIC, mids)
    assert other.task is not None
    await asyncio.wait_for(
        other.task, timeout=30
    )  # the other writer succeeded too (after the batch)

    async with runtime.db.tenant(tid) as s:
        rows = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(mids))))
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [("delivered", 1, None)] * 2
    assert done == 2
    assert await _audited(runtime, tid, "lockprobe.delivered") == 2
    assert await _audited(runtime, tid, "lockprobe.other") == 1


async def test_a_job_transaction_that_reads_then_writes_is_not_refused_by_another_writer(
    runtime, tenant, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from kernel.sdk import jobs

    tid = tenant.tenant_id
    other = OtherWriter(runtime, tid)

    async def plugins(session: Any) -> set[str]:
        return {TOPIC}

    monkeypatch.setattr(jobs, "enabled_plugins", plugins)

    async def work(session: Any, t: Any) -> int:
        async with session.begin_nested():
            await session.scalar(select(func.count()).select_from(AuditEntry))
            await other.meanwhile()
            await record(session, tenant_id=tid, actor="test", action="lockprobe.job", target="x")
        return 1

    assert await jobs.for_each_enabled_tenant(runtime, TOPIC, work, only={tid}) == [1]
    assert other.task is not None
    await asyncio.wait_for(other.task, timeout=30)
    assert await _audited(runtime, tid, "lockprobe.job") == 1
    assert await _audited(runtime, tid, "lockprobe.other") == 1
