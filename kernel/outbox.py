"""The transactional outbox: whatever must happen after a commit is written here in the same
transaction and delivered by a worker at least once; the idempotency key makes the effect once.

Topics: ``event:<plugin>`` (a domain event for one plugin's handler) and any topic a component
registers a deliverer for (e.g. ``chain`` for the relayer). A crash between commit and delivery
loses nothing: the row is still pending.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantRecord, utcnow
from kernel.db.outage import is_database_outage
from kernel.metrics import outbox_delivered

log = structlog.get_logger("linli.outbox")

MAX_ATTEMPTS = 8


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
    """Add a message in the caller's transaction; a repeated key is ignored (returns None)."""
    existing = await session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return None
    msg = OutboxMessage(topic=topic, idempotency_key=key, payload=payload)
    session.add(msg)
    await session.flush()
    return msg


#: ``async def deliver(session, message)`` — runs inside the tenant transaction that marks the
#: message delivered, so database effects and the mark commit together.
Deliverer = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]

#: ``async def deliver(session, messages) -> {message id: error or None}`` — delivers many
#: independent messages of one topic in one tenant transaction (a notification fan-out: a
#: thousand e-mails are not a thousand transactions). It returns an error text for each message
#: that must be retried and never raises for one message; raising retries the whole batch.
BatchDeliverer = Callable[[AsyncSession, list[OutboxMessage]], Awaitable[dict[uuid.UUID, str | None]]]


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
            async with self.db.tenant(tenant_id) as s:
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
        async with self.db.tenant(tenant_id) as s:
            for msg in (await s.scalars(pending)).all():
                msg.attempts += 1
                _failed(msg, error)
        return 0

    async def _deliver_one(self, tenant_id: uuid.UUID, mid: uuid.UUID) -> bool:
        error: str | None = None
        try:
            async with self.db.tenant(tenant_id) as s:
                msg = await s.get(OutboxMessage, {"tenant_id": tenant_id, "id": mid}, with_for_update=self.db.dialect == "postgresql")
                if msg is None or msg.status != "pending":
                    return False
                deliver = self.resolve(msg.topic)
                if deliver is None:
                    raise LookupError(f"no deliverer for topic {msg.topic!r}")
                await deliver(s, msg)
                msg.status = "delivered"
                msg.delivered_at = utcnow()
                msg.attempts += 1
                topic = msg.topic
            outbox_delivered.labels(topic.split(":", 1)[0]).inc()
            return True
        except Exception as exc:
            if is_database_outage(exc):
                raise  # not an attempt of the message's: it waits for the database, uncounted
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox_delivery_failed", message_id=str(mid), error=error)
        async with self.db.tenant(tenant_id) as s:
            msg = await s.get(OutboxMessage, {"tenant_id": tenant_id, "id": mid})
            if msg is not None:
                msg.attempts += 1
                _failed(msg, error)
        return False

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        while not stop.is_set():
            # cleared before draining, so a wake-up that comes during the drain (a commit that
            # queued more) is not lost: it starts the next drain at once
            self.wakeup.clear()
            try:
                await self.drain()
            except Exception as exc:
                if is_database_outage(exc):  # one line, no traceback: retried on the next round
                    log.warning("outbox_drain_paused", reason="database unavailable")
                else:
                    log.exception("outbox_drain_failed")
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=interval)
            except TimeoutError:
                pass


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
