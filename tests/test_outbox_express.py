"""The outbox's express lane: the event rows a transaction queued are delivered right after its
commit, in this process, without the poll (no scan of tenants, no waiting for a round) — and the
effects stay once: a row claimed by one delivery is not delivered again by the other lane, by a
second worker (another process), by a repeated hint or by the poll afterwards; a hint is only
memory, so a failed or lost one leaves the row to the poll's retries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from kernel.audit import AuditEntry, record
from kernel.events import Event
from kernel.outbox import OutboxMessage, OutboxWorker
from kernel.plugins import enablement
from kernel.testing import unique_slug
from tenants.lifecycle import provision
from tests.test_plugin_host import make_plugin

PASSWORD = "correct horse battery"  # noqa: S105 - a test password


class Pinger:
    """A plugin whose handler audits each ``ping.sent`` it hears (its effect) and can be told to fail."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.fail = False
        self.arrived = asyncio.Event()

    async def on_ping(self, ctx: Any, event: Event) -> None:
        if self.fail:
            raise RuntimeError("the pinger is down")
        await record(ctx.session, tenant_id=ctx.tenant_id, actor="plugin:pinger", action="pinger.heard", target=event.payload["n"])
        self.heard.append(event.payload["n"])
        self.arrived.set()

    def plugin(self) -> Any:
        return make_plugin("pinger", register_event_handlers=lambda: {"ping.sent": self.on_ping})


async def _firm(rt: Any) -> uuid.UUID:
    slug = unique_slug("express")
    p = await provision(rt, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password=PASSWORD)
    async with rt.db.tenant(p.tenant_id) as s:
        await enablement.enable(rt.host, s, p.tenant_id, "pinger")

    async def this_firm_only() -> list[uuid.UUID]:
        # the poll sees this firm alone: the session database holds every other test's firms and
        # their leftover rows (for plugins and chains this runtime does not have), whose delivery
        # attempts would make the first poll round — and the express lane taking turns with it on
        # SQLite — as slow as the suite is long
        return [p.tenant_id]

    rt.outbox._tenants = this_firm_only  # type: ignore[method-assign]
    return p.tenant_id


async def _ping(rt: Any, tid: uuid.UUID, n: str) -> None:
    async with rt.db.tenant(tid) as s:
        await rt.bus.publish(s, Event("ping.sent", tid, {"n": n}))


async def _effects(rt: Any, tid: uuid.UUID) -> int:
    async with rt.db.tenant(tid) as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pinger.heard")) or 0)


async def _rows(rt: Any, tid: uuid.UUID) -> list[OutboxMessage]:
    async with rt.db.tenant(tid) as s:
        return list(await s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "event:pinger")))


async def _until(check: Any, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not delivered in time"
        await asyncio.sleep(0.02)


async def test_committed_events_are_delivered_at_once_without_the_poll(make_runtime):  # type: ignore[no-untyped-def]
    pinger = Pinger()
    rt = make_runtime(extra_plugins=[pinger.plugin()])
    tid = await _firm(rt)
    polls: list[int] = []
    drain = rt.outbox.drain

    async def counted_drain(tenant_id: Any = None) -> int:
        n = await drain(tenant_id)
        polls.append(n)
        return n

    rt.outbox.drain = counted_drain  # type: ignore[method-assign]
    stop = asyncio.Event()
    worker = asyncio.create_task(rt.outbox.run(stop, interval=3600))  # one poll at the start, then an hour
    try:
        await _until(lambda: asyncio.sleep(0, bool(polls)))  # the first poll is over
        for n in ("1", "2", "3"):
            await _ping(rt, tid, n)
        await _until(lambda: asyncio.sleep(0, len(pinger.heard) == 3))
        assert len(polls) == 1  # the poll never ran again: the express lane delivered them
        # a hint repeated for rows already delivered (a redelivery) changes nothing
        rt.outbox.hint(tid, [m.id for m in await _rows(rt, tid)])
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    rows = await _rows(rt, tid)
    assert sorted(pinger.heard) == ["1", "2", "3"] and await _effects(rt, tid) == 3
    assert [(m.status, m.attempts) for m in rows] == [("delivered", 1)] * 3
    assert await rt.outbox.drain(tid) == 0  # nothing left for the poll
    assert not rt.outbox.running and rt.outbox._hinted == []


async def test_a_failed_express_delivery_is_retried_by_the_poll_once(make_runtime):  # type: ignore[no-untyped-def]
    pinger = Pinger()
    rt = make_runtime(extra_plugins=[pinger.plugin()])
    tid = await _firm(rt)
    stop = asyncio.Event()
    worker = asyncio.create_task(rt.outbox.run(stop, interval=3600))
    try:
        await _until(lambda: asyncio.sleep(0, rt.outbox.running))
        pinger.fail = True
        await _ping(rt, tid, "x")

        async def attempted() -> bool:
            return any(m.attempts == 1 for m in await _rows(rt, tid))

        await _until(attempted)
    finally:
        stop.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    [row] = await _rows(rt, tid)
    assert (row.status, row.attempts) == ("pending", 1) and "pinger is down" in (row.last_error or "")
    assert await _effects(rt, tid) == 0  # the failed delivery's writes were rolled back
    pinger.fail = False
    async with rt.db.tenant(tid) as s:  # the back-off is over
        (await s.get(OutboxMessage, {"tenant_id": tid, "id": row.id})).next_attempt_at = row.created_at
    assert await rt.outbox.drain(tid) == 1 and await rt.outbox.drain(tid) == 0
    assert pinger.heard == ["x"] and await _effects(rt, tid) == 1


async def test_two_workers_delivering_one_row_at_once_deliver_it_once(make_runtime):  # type: ignore[no-untyped-def]
    """The express lane of one process and the poll of another (or of the same one) may reach a
    row together: the claim (``UPDATE … WHERE status = 'pending'``) lets one deliver it."""
    pinger = Pinger()
    rt = make_runtime(extra_plugins=[pinger.plugin()])
    tid = await _firm(rt)
    await _ping(rt, tid, "once")
    [row] = await _rows(rt, tid)
    # a second process's worker — on PostgreSQL; SQLite has one delivering process (`serve
    # --workers` refuses it, the outbox reads, delivers, then marks there: see
    # OutboxWorker._deliver_one_sqlite), so there its two lanes meet the row
    other = rt.outbox if rt.db.dialect == "sqlite" else OutboxWorker(rt.db, rt._resolve_deliverer)
    results = await asyncio.gather(
        rt.outbox._deliver_one(tid, row.id), other._deliver_one(tid, row.id), rt.outbox._deliver_one(tid, row.id)
    )
    assert sorted(results) == [False, False, True]
    assert pinger.heard == ["once"] and await _effects(rt, tid) == 1
    [row] = await _rows(rt, tid)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)


async def test_no_hint_without_a_commit_nor_without_a_running_worker(make_runtime):  # type: ignore[no-untyped-def]
    pinger = Pinger()
    rt = make_runtime(extra_plugins=[pinger.plugin()])
    tid = await _firm(rt)
    await _ping(rt, tid, "idle")  # no worker running (a CLI command, this test's runtime): not held
    assert rt.outbox._hinted == []
    stop = asyncio.Event()
    worker = asyncio.create_task(rt.outbox.run(stop, interval=3600))
    try:
        await _until(lambda: asyncio.sleep(0, rt.outbox.running))
        try:
            async with rt.db.tenant(tid) as s:
                await rt.bus.publish(s, Event("ping.sent", tid, {"n": "rolled back"}))
                raise RuntimeError("the change fails after publishing")
        except RuntimeError:
            pass
        await _ping(rt, tid, "after")
        await _until(lambda: asyncio.sleep(0, "after" in pinger.heard))
    finally:
        stop.set()
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    assert "rolled back" not in pinger.heard
    assert {m.payload["payload"]["n"] for m in await _rows(rt, tid)} == {"idle", "after"}
