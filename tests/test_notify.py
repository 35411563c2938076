"""Cross-process notifications (kernel/notify.py) on both backends: delivery only on commit,
order, splitting long lists under PostgreSQL's 8,000-byte limit, isolation of a failing
callback, the per-tenant hub (bounded queues, tenant and type filters; its publisher another
runtime on PostgreSQL), and — on PostgreSQL — two runtimes over one database (real
LISTEN/NOTIFY, no duplicates) and the listener coming back after its backend is terminated."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from kernel import notify
from kernel.testing import eventually


class Inbox:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    def __call__(self, payload: dict[str, Any]) -> None:
        self.got.append(payload)


async def test_delivered_on_commit_never_on_rollback(make_runtime):  # type: ignore[no-untyped-def]
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    await n.subscribe("test_tx", inbox)
    with pytest.raises(RuntimeError):
        async with rt.db.platform() as s:
            await n.publish("test_tx", {"n": "rolled back"}, s)
            raise RuntimeError("abort the transaction")
    async with rt.db.platform() as s:
        await n.publish("test_tx", {"n": "committed"}, s)
        await n.settle()  # a barrier for what committed before: the open transaction has not
        assert inbox.got == []
    await n.settle()
    assert inbox.got == [{"n": "committed"}]
    await n.publish("test_tx", {"n": "at once"})  # no session: sent at once
    await n.settle()
    assert inbox.got == [{"n": "committed"}, {"n": "at once"}]


async def test_savepoints_neither_send_nor_drop_what_the_transaction_holds(make_runtime):  # type: ignore[no-untyped-def]
    """An event handler runs in a savepoint (``begin_nested``): releasing it is not the commit
    (nothing is sent before the transaction commits), and a savepoint rolled back does not drop
    what the transaction published before it."""
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    await n.subscribe("test_savepoint", inbox)
    async with rt.db.platform() as s:
        await n.publish("test_savepoint", {"n": "before"}, s)
        async with s.begin_nested():
            await n.publish("test_savepoint", {"n": "in a savepoint"}, s)
        with pytest.raises(RuntimeError):
            async with s.begin_nested():
                raise RuntimeError("the savepoint rolls back")
        await n.settle()
        assert inbox.got == []  # released and rolled-back savepoints: still nothing sent
    await n.settle()
    assert inbox.got == [{"n": "before"}, {"n": "in a savepoint"}]


async def test_order_within_and_across_transactions(make_runtime):  # type: ignore[no-untyped-def]
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    await n.subscribe("test_order", inbox)
    async with rt.db.platform() as s:
        for i in range(20):
            await n.publish("test_order", {"i": i}, s)
    for i in range(20, 30):
        async with rt.db.platform() as s:
            await n.publish("test_order", {"i": i}, s)
    await n.settle()
    assert [p["i"] for p in inbox.got] == list(range(30))


async def test_long_lists_are_split_under_the_limit(make_runtime):  # type: ignore[no-untyped-def]
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    await n.subscribe("test_chunks", inbox)
    digests = [f"{i:064x}" for i in range(400)]  # 400 × 64 hex = 25,600 bytes of digests
    assert len(json.dumps(digests)) > 3 * 8000
    with pytest.raises(notify.NotificationTooLarge):
        await n.publish("test_chunks", {"removed": digests})
    async with rt.db.platform() as s:
        sent = await n.publish_chunked("test_chunks", "removed", digests, s, added=[])
    await n.settle()
    assert sent == len(inbox.got) >= 4
    assert all(len(notify.encode(p).encode()) < 8000 for p in inbox.got)
    assert all(p["added"] == [] for p in inbox.got)
    assert [d for p in inbox.got for d in p["removed"]] == digests
    assert await n.publish_chunked("test_chunks", "removed", []) == 0


async def test_a_failing_callback_does_not_stop_the_others(make_runtime):  # type: ignore[no-untyped-def]
    rt = make_runtime()
    n = notify.notifier(rt)
    calls: list[str] = []

    def broken(payload: dict[str, Any]) -> None:
        calls.append("broken")
        raise ValueError("a subscriber's bug")

    async def sound(payload: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        calls.append(f"sound {payload['k']}")

    await n.subscribe("test_fail", broken)
    unsubscribe = await n.subscribe("test_fail", sound)
    await n.publish("test_fail", {"k": 1})
    await n.publish("test_fail", {"k": 2})
    await n.settle()
    assert calls == ["broken", "sound 1", "broken", "sound 2"]
    unsubscribe()
    await n.publish("test_fail", {"k": 3})
    await n.settle()
    assert calls[-1] == "broken"


async def test_sqlite_dispatches_in_process_after_commit(make_runtime, linli_backend):  # type: ignore[no-untyped-def]
    if linli_backend != "sqlite":
        pytest.skip("the embedded default's path")
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    await n.subscribe("test_local", inbox)
    assert not n.over_postgres and n._listener is None  # no connection of its own
    async with rt.db.platform() as s:
        await n.publish("test_local", {"x": 1}, s)
        await asyncio.sleep(0.05)
        assert inbox.got == []  # held until the commit
    await n.settle()
    assert inbox.got == [{"x": 1}]


@dataclass(frozen=True)
class Reading:
    """A live item as a plugin would define one: a tenant, a type, a small JSON form."""

    type: str
    tenant_id: uuid.UUID
    value: int

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tenant_id": str(self.tenant_id)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        return cls(data["type"], uuid.UUID(data["tenant_id"]), data["value"])


def drain(queue: asyncio.Queue[Reading]) -> list[tuple[str, int]]:
    got = []
    while not queue.empty():
        item = queue.get_nowait()
        got.append((item.type, item.value))
    return got


async def test_tenant_hub_keeps_tenants_apart_and_bounds_each_queue(make_runtime, linli_backend):  # type: ignore[no-untyped-def]
    from kernel.sdk import tenant_hub

    gateway = make_runtime()
    # on PostgreSQL the items are committed by another runtime (a worker: its own pool and
    # LISTEN connection); on SQLite, one process, by the same one
    worker = make_runtime() if linli_backend == "postgres" else gateway
    hub = tenant_hub(gateway, "test_hub", Reading.from_json, queue_size=3)
    assert tenant_hub(gateway, "test_hub", Reading.from_json) is hub  # one per channel and runtime
    publisher = tenant_hub(worker, "test_hub", Reading.from_json)
    a, b = uuid.uuid4(), uuid.uuid4()
    async with (
        hub.subscribe(a) as of_a,
        hub.subscribe(b, frozenset({"meter.read"})) as of_b,
        hub.subscribe(b) as all_of_b,
    ):
        with pytest.raises(RuntimeError):
            async with worker.db.platform() as s:
                await publisher.publish(s, Reading("meter.read", a, -1))
                raise RuntimeError("abort the transaction")
        async with worker.db.platform() as s:
            await publisher.publish(s, Reading("meter.read", b, 100))
            await publisher.publish(s, Reading("meter.reset", b, 101))
            for i in range(5):
                await publisher.publish(s, Reading("meter.read", a, i))
        await notify.notifier(gateway).settle()
        # A never sees B's items (nor the rolled-back one); its queue of 3 kept the newest 3
        assert drain(of_a) == [("meter.read", 2), ("meter.read", 3), ("meter.read", 4)]
        assert hub.dropped == 2
        assert drain(of_b) == [("meter.read", 100)]  # of its types only
        assert drain(all_of_b) == [("meter.read", 100), ("meter.reset", 101)]
    assert hub._subscribers == {}  # leaving the context unsubscribes
    async with worker.db.platform() as s:
        await publisher.publish(s, Reading("meter.read", a, 5))
    await notify.notifier(gateway).settle()
    assert hub.dropped == 2


async def test_an_oversized_device_event_reaches_live_subscribers_truncated(make_runtime):  # type: ignore[no-untyped-def]
    from kernel.devices import events

    rt = make_runtime()
    tenant_id = uuid.uuid4()
    payload = {"device_id": "d-1", "call_id": "c-1", "response": {"log": "x" * 9000}}
    async with events.hub(rt).subscribe(tenant_id, frozenset({"device.rpc_answered"})) as queue:
        async with rt.db.tenant(tenant_id) as s:
            await events.publish(rt, s, "device.rpc_answered", tenant_id, payload)
        await notify.notifier(rt).settle()
        got = queue.get_nowait()
    # live subscribers get the ids; handlers (the outbox) get the whole event
    assert got.type == "device.rpc_answered" and got.tenant_id == tenant_id
    assert got.payload == {"device_id": "d-1", "call_id": "c-1", "truncated": True}


def _postgres_only(linli_backend: str) -> None:
    if linli_backend != "postgres":
        pytest.skip("PostgreSQL LISTEN/NOTIFY")


async def test_two_processes_hear_each_other_once(make_runtime, linli_backend):  # type: ignore[no-untyped-def]
    _postgres_only(linli_backend)
    gateway, worker = make_runtime(), make_runtime()  # two pools, two listener connections
    heard_by_gateway, heard_by_worker = Inbox(), Inbox()
    await notify.notifier(gateway).subscribe("test_cross", heard_by_gateway)
    await notify.notifier(worker).subscribe("test_cross", heard_by_worker)
    async with worker.db.platform() as s:
        await notify.notifier(worker).publish("test_cross", {"from": "worker"}, s)
    await notify.notifier(gateway).publish("test_cross", {"from": "gateway"})
    await notify.notifier(gateway).settle()
    await notify.notifier(worker).settle()
    # each process hears both, its own one through LISTEN only (no local duplicate)
    assert heard_by_gateway.got == [{"from": "worker"}, {"from": "gateway"}]
    assert heard_by_worker.got == [{"from": "worker"}, {"from": "gateway"}]


async def test_listener_reconnects_after_its_backend_is_terminated(make_runtime, linli_database, linli_backend):  # type: ignore[no-untyped-def]
    _postgres_only(linli_backend)
    rt = make_runtime()
    n = notify.notifier(rt)
    inbox = Inbox()
    reconnected: list[float] = []
    await n.subscribe("test_reconnect", inbox, on_reconnect=lambda: reconnected.append(time.monotonic()))
    listener = n._listener
    assert listener is not None and listener._conn is not None
    # LISTEN needs no privilege: the listener is the application role, which cannot bypass RLS
    assert await listener._conn.fetchval("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user") is False
    pid = listener._conn.get_server_pid()
    admin = create_async_engine(linli_database.admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})).scalar() is True
    finally:
        await admin.dispose()

    def back() -> bool:
        return bool(reconnected) and listener._conn is not None and listener._conn.get_server_pid() != pid

    assert await eventually(back), "the listener did not come back"
    assert n.reconnects == 1
    await n.publish("test_reconnect", {"after": "reconnect"})
    await n.settle()
    assert inbox.got == [{"after": "reconnect"}]
    await notify.close(rt)
    assert listener._conn is None and listener._task is None
