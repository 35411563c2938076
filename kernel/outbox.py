"""The transactional outbox: whatever must happen after a commit is written here in the same
transaction and delivered by a worker at least once; the idempotency key makes the effect once.

Topics: ``event:<plugin>`` (a domain event for one plugin's handler) and any topic a component
registers a deliverer for (e.g. ``chain`` for the relayer). A crash between commit and delivery
loses nothing: the row is still pending.

Two ways to a delivery, one effect: the **poll** (:meth:`OutboxWorker.drain` — every tenant's due
rows, woken after a commit that queued some, and at least every ``interval`` for retries and other
processes' rows) and the **express lane** (:meth:`OutboxWorker.hint`): the event bus hands the
worker the ids of the event rows a transaction queued once it commits, and the worker delivers
exactly those at once, without the poll's scan of tenants and due rows and without waiting for a
poll round in progress. Either way a row is delivered in a transaction that locks it and finds it
still pending, so the effect is once; a hint is only memory — lost (a crash, a full queue, no
worker running) the row waits for the poll.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, String, Text, UniqueConstraint, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, utcnow
from kernel.db.outage import is_database_outage
from kernel.metrics import outbox_delivered

log = structlog.get_logger("linli.outbox")

MAX_ATTEMPTS = 8
#: Hinted rows held for the express lane at most; beyond, hints are dropped (the poll delivers).
MAX_HINTED = 10_000


class OutboxMessage(TenantRecord, Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key"),)

    topic: Mapped[str] = mapped_column(String(120), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


async def enqueue(session: AsyncSession, topic: str, key: str, payload: dict[str, Any]) -> OutboxMessage | None:
    """Add a message in the caller's transaction; a repeated key is ignored (returns None).

    One statement: ``INSERT … ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`` (an event
    publish is on every hot path). The message returned is the row as inserted, not attached to
    the session (query it to change it)."""
    from kernel.db.scope import TENANT_KEY, TenancyError

    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise TenancyError("an outbox message was queued with no tenant in scope")
    msg = OutboxMessage(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        topic=topic,
        idempotency_key=key,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    table = OutboxMessage.__table__
    values = {c.key: getattr(msg, c.key) for c in table.columns if c.key not in ("delivered_at", "last_error", "updated_at")}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    stmt = stmt.returning(table.c.id)
    inserted = (await session.execute(stmt)).first()
    return msg if inserted is not None else None


#: ``async def deliver(session, message)`` — runs inside the tenant transaction that marks the
#: message delivered, so database effects and the mark commit together.
Deliverer = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]

#: ``async def deliver(session, messages) -> {message id: error or None}`` — delivers many
#: independent messages of one topic in one tenant transaction (a notification fan-out: a
#: thousand e-mails are not a thousand transactions). It returns an error text for each message
#: that must be retried and never raises for one message; raising retries the whole batch.
BatchDeliverer = Callable[[AsyncSession, list[OutboxMessage]], Awaitable[dict[uuid.UUID, str | None]]]


class _DeliveredMeanwhile(Exception):
    """Raised inside a delivery's transaction to roll it back: another drainer marked the row."""


def _failed(msg: OutboxMessage, error: str | None) -> None:
    """Record a failed attempt (already counted): retry with back-off, or give up."""
    msg.last_error = error
    if msg.attempts >= MAX_ATTEMPTS:
        msg.status = "dead"
    else:
        msg.next_attempt_at = utcnow() + timedelta(seconds=min(2**msg.attempts, 300))


class OutboxWorker:
    """Drains pending messages tenant by tenant (row-level security stays on)."""

    def __init__(self, db: Any, resolve: Callable[[str], Deliverer | None], *, batch: int = 100) -> None:
        self.db = db
        self.resolve = resolve
        self.batch = batch
        self.wakeup = asyncio.Event()
        #: Topics (the part before ``:``) delivered in batches; every other topic is delivered one
        #: message at a time, in order (the chain relayer's nonces depend on it).
        self.batch_deliverers: dict[str, BatchDeliverer] = {}
        #: Committed rows handed over for the express lane, in commit order: (tenant, message id).
        self._hinted: list[tuple[uuid.UUID, uuid.UUID]] = []
        self._hinted_ready = asyncio.Event()
        #: Rows being delivered by this worker now: the poll and the express lane never run one
        #: row's delivery twice at once (the database's row lock does that across processes).
        self._in_flight: set[uuid.UUID] = set()
        #: Whether :meth:`run` is running: hints are taken only then (a CLI command, a test's
        #: runtime without workers: the rows wait for whoever drains).
        self.running = False
        # SQLite has one writer: the express lane and the poll take turns there instead of
        # running side by side (two writers would fail each other's transactions as busy)
        self._turns = asyncio.Lock() if getattr(db, "dialect", "") == "sqlite" else None

    def hint(self, tenant_id: uuid.UUID, message_ids: list[uuid.UUID]) -> None:
        """Deliver these committed rows at once (the express lane); called after the commit that
        queued them. Without a running worker, or over :data:`MAX_HINTED`, nothing happens — the
        rows are pending, and the poll delivers them."""
        if not self.running or not message_ids:
            return
        if len(self._hinted) + len(message_ids) > MAX_HINTED:
            self.wakeup.set()  # a full express lane: the poll takes them now
            return
        self._hinted.extend((tenant_id, mid) for mid in message_ids)
        self._hinted_ready.set()

    async def _tenants(self) -> list[uuid.UUID]:
        from kernel.tenancy import Tenant, TenantStatus

        async with self.db.platform() as s:
            return list((await s.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE))).all())

    async def drain(self, tenant_id: uuid.UUID | None = None) -> int:
        """Deliver every due message; returns how many were delivered."""
        delivered = 0
        for tid in [tenant_id] if tenant_id else await self._tenants():
            while True:
                n = await self._drain_batch(tid)
                delivered += n
                if n < self.batch:
                    break
        return delivered

    async def _drain_batch(self, tenant_id: uuid.UUID) -> int:
        async with self.db.tenant(tenant_id) as s:
            stmt = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= utcnow())
                .order_by(OutboxMessage.created_at)
                .limit(self.batch)
            )
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list((await s.execute(stmt.add_columns(OutboxMessage.topic))).all())
        ids = [mid for mid, _ in rows]
        batches: dict[str, list[uuid.UUID]] = {}
        done = 0
        for mid, topic in rows:
            kind = topic.split(":", 1)[0]
            if kind in self.batch_deliverers:
                batches.setdefault(kind, []).append(mid)
            elif await self._deliver_one(tenant_id, mid):
                done += 1
        for kind, mids in batches.items():
            done += await self._deliver_batch(tenant_id, kind, mids)
        return done if len(ids) == done else len(ids)

    async def _deliver_batch(self, tenant_id: uuid.UUID, kind: str, mids: list[uuid.UUID]) -> int:
        deliver = self.batch_deliverers[kind]
        pending = select(OutboxMessage).where(OutboxMessage.id.in_(mids), OutboxMessage.status == "pending")
        try:
            # the rows are locked until the batch commits: on PostgreSQL by FOR UPDATE, on SQLite
            # by the write lock taken first (a deliverer's savepoint would otherwise begin a
            # deferred transaction whose first write SQLite refuses if anyone wrote meanwhile,
            # and another process could deliver the rows read here at the same time)
            async with self.db.tenant(tenant_id, immediate=True) as s:
                stmt = pending.with_for_update(skip_locked=True) if self.db.dialect == "postgresql" else pending
                messages = list((await s.scalars(stmt)).all())
                errors = await deliver(s, messages)
                done = 0
                for msg in messages:
                    error = errors.get(msg.id)
                    msg.attempts += 1
                    if error is None:
                        msg.status, msg.delivered_at = "delivered", utcnow()
                        done += 1
                    else:
                        _failed(msg, error)
            if done:
                outbox_delivered.labels(kind).inc(done)
            return done
        except Exception as exc:
            if is_database_outage(exc):
                raise  # nothing delivered, nothing counted: the rows wait for the database
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox_batch_failed", topic=kind, messages=len(mids), error=error)
        async with self.db.tenant(tenant_id, immediate=True) as s:
            for msg in (await s.scalars(pending)).all():
                msg.attempts += 1
                _failed(msg, error)
        return 0

    async def _deliver_one(self, tenant_id: uuid.UUID, mid: uuid.UUID) -> bool:
        if mid in self._in_flight:
            return False  # the other lane has it now
        self._in_flight.add(mid)
        try:
            return await self._deliver_one_now(tenant_id, mid)
        finally:
            self._in_flight.discard(mid)

    async def _deliver_one_now(self, tenant_id: uuid.UUID, mid: uuid.UUID) -> bool:
        error: str | None = None
        try:
            if self.db.dialect == "sqlite":
                return await self._deliver_one_sqlite(tenant_id, mid)
            async with self.db.tenant(tenant_id) as s:
                # claim and mark it in one statement, first: the row is locked until the delivery
                # commits, and if the delivery fails the rollback leaves it pending; a row
                # delivered meanwhile matches nothing
                now = utcnow()
                msg = await s.scalar(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == mid, OutboxMessage.status == "pending")
                    .values(status="delivered", delivered_at=now, attempts=OutboxMessage.attempts + 1, updated_at=now)
                    .returning(OutboxMessage)
                    .execution_options(synchronize_session=False)
                )
                if msg is None:
                    return False
                deliver = self.resolve(msg.topic)
                if deliver is None:
                    raise LookupError(f"no deliverer for topic {msg.topic!r}")
                await deliver(s, msg)
                topic = msg.topic
            outbox_delivered.labels(topic.split(":", 1)[0]).inc()
            return True
        except Exception as exc:
            if is_database_outage(exc):
                raise  # not an attempt of the message's: it waits for the database, uncounted
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox_delivery_failed", message_id=str(mid), error=error)
        async with self.db.tenant(tenant_id, immediate=True) as s:
            msg = await s.get(OutboxMessage, {"tenant_id": tenant_id, "id": mid})
            if msg is not None:
                msg.attempts += 1
                _failed(msg, error)
        return False

    async def _deliver_one_sqlite(self, tenant_id: uuid.UUID, mid: uuid.UUID) -> bool:
        """SQLite: read, deliver, then mark — not claim first. SQLite has one writer: a claim
        taken first would hold the write lock through the handler, and a handler that queues its
        effects in transactions of its own (access tells its readers through ``send_command``)
        would wait on its own delivery until the busy timeout. One process delivers (the lanes
        take turns, ``_in_flight`` keeps a row to one lane), and the mark is conditional, so a
        row another drainer delivered meanwhile is rolled back here, not delivered twice."""
        try:
            async with self.db.tenant(tenant_id) as s:
                msg = await s.get(OutboxMessage, {"tenant_id": tenant_id, "id": mid})
                if msg is None or msg.status != "pending":
                    return False
                deliver = self.resolve(msg.topic)
                if deliver is None:
                    raise LookupError(f"no deliverer for topic {msg.topic!r}")
                topic = msg.topic
                await deliver(s, msg)
                now = utcnow()
                marked = await s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == mid, OutboxMessage.status == "pending")
                    .values(status="delivered", delivered_at=now, attempts=OutboxMessage.attempts + 1, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if marked.rowcount == 0:  # type: ignore[attr-defined]
                    raise _DeliveredMeanwhile
        except _DeliveredMeanwhile:  # the handler's effects are rolled back with the transaction
            return False
        outbox_delivered.labels(topic.split(":", 1)[0]).inc()
        return True

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """The poll, and the express lane beside it, until ``stop`` is set."""
        self.running = True
        express = asyncio.get_running_loop().create_task(self._express(stop))
        try:
            await self._poll(stop, interval)
        finally:
            self.running = False
            self._hinted.clear()
            express.cancel()
            await asyncio.gather(express, return_exceptions=True)

    async def _poll(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            # cleared before draining, so a wake-up that comes during the drain (a commit that
            # queued more) is not lost: it starts the next drain at once
            self.wakeup.clear()
            try:
                await self._take_turn(self.drain)
            except Exception as exc:
                if is_database_outage(exc):  # one line, no traceback: retried on the next round
                    log.warning("outbox_drain_paused", reason="database unavailable")
                else:
                    log.exception("outbox_drain_failed")
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=interval)
            except TimeoutError:
                pass

    async def _express(self, stop: asyncio.Event) -> None:
        """Deliver hinted rows one by one as they come (a delivery's own events are hinted in
        turn); a row that fails is left to the poll's retries."""
        while not stop.is_set():
            if not self._hinted:
                self._hinted_ready.clear()
                await self._hinted_ready.wait()
                continue
            tenant_id, mid = self._hinted.pop(0)
            try:
                await self._take_turn(functools.partial(self._deliver_one, tenant_id, mid))
            except Exception as exc:
                # an outage: nothing counted, the row waits for the poll (which pauses and
                # retries); hints queued meanwhile go the same way
                if is_database_outage(exc):
                    log.warning("outbox_express_paused", reason="database unavailable")
                    self._hinted.clear()
                else:
                    log.exception("outbox_express_failed", message_id=str(mid))

    async def _take_turn(self, work: Callable[[], Awaitable[Any]]) -> Any:
        if self._turns is None:
            return await work()
        async with self._turns:
            return await work()


_POKE_PENDING = "linli_outbox_poke_pending"


def poke_after_commit(session: AsyncSession, poke: Callable[[], None]) -> None:
    """Call ``poke()`` (wake the outbox worker) once ``session``'s transaction commits — not
    before, when the worker would find nothing to deliver yet, and not when a savepoint (an event
    handler's ``begin_nested``) is released. Nothing on rollback."""
    from sqlalchemy import event as sa_event

    sync = session.sync_session
    if sync.info.get(_POKE_PENDING):
        return
    sync.info[_POKE_PENDING] = True

    def committed(s: Any) -> None:
        if s.in_nested_transaction() or not s.info.pop(_POKE_PENDING, None):
            return
        poke()

    def rolled_back(s: Any) -> None:
        if not s.in_nested_transaction():
            s.info.pop(_POKE_PENDING, None)

    sa_event.listen(sync, "after_commit", committed)
    sa_event.listen(sync, "after_rollback", rolled_back)


_HINTS = "linli_outbox_hints"
_HINTS_LISTENING = "linli_outbox_hints_listening"


def hint_after_commit(
    session: AsyncSession,
    hint: Callable[[uuid.UUID, list[uuid.UUID]], None],
    tenant_id: uuid.UUID,
    messages: list[OutboxMessage],
) -> None:
    """Hand ``messages`` (queued in ``session``'s transaction) to ``hint`` —
    :meth:`OutboxWorker.hint`, the express lane — once the transaction commits: not when a
    savepoint is released, nothing on rollback. Every hint of a transaction goes in one call per
    tenant, in the order queued."""
    from sqlalchemy import event as sa_event

    sync = session.sync_session
    pending: dict[uuid.UUID, list[uuid.UUID]] = sync.info.setdefault(_HINTS, {})
    pending.setdefault(tenant_id, []).extend(m.id for m in messages)
    if sync.info.get(_HINTS_LISTENING):
        return
    sync.info[_HINTS_LISTENING] = True

    def committed(s: Any) -> None:
        if s.in_nested_transaction():
            return  # a savepoint released: wait for the transaction's commit
        for tid, ids in (s.info.pop(_HINTS, None) or {}).items():
            hint(tid, ids)

    def rolled_back(s: Any) -> None:
        if not s.in_nested_transaction():
            s.info.pop(_HINTS, None)

    sa_event.listen(sync, "after_commit", committed)
    sa_event.listen(sync, "after_rollback", rolled_back)
