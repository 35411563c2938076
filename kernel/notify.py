"""Cross-process notifications: small "something changed" signals between the processes of one
deployment (``linli serve`` gateways, ``linli worker``), over PostgreSQL ``LISTEN/NOTIFY``.

What they are for: waking things up — a GraphQL subscription on a gateway hearing an alarm the
MQTT bridge stored in the worker, a command queued on a gateway reaching the bridge, a revoked
credential reaching the broker. What they are not: a delivery guarantee. Work that must happen
goes through the outbox (at least once, retried); a notification is

* **transactional** — ``publish(channel, payload, session=s)`` sends it inside ``s``'s
  transaction (``SELECT pg_notify(...)``): delivered if and when it commits, never on rollback;
  without a session it is sent at once;
* **at most once, to connected listeners** — PostgreSQL keeps nothing for a listener that is not
  connected: notifications sent while this process's listener connection is down are lost. When
  it comes back, each subscription's ``on_reconnect`` callback runs so the subscriber can
  resynchronise from the database;
* **ordered** — a process sees notifications in commit order (within a transaction, in the order
  sent), and its callbacks run one at a time in that order;
* **small** — a payload is JSON under 8,000 bytes (PostgreSQL's limit); :meth:`publish_chunked`
  splits a long list over several notifications. Payloads carry ids and event payloads, never
  tokens or personal data: any role that can connect to the database can ``LISTEN``.

Backends: on PostgreSQL one dedicated asyncpg connection per process LISTENs (opened on the first
``subscribe``, reconnecting with back-off, closed with the runtime), and a process hears its own
notifications through it too — there is no separate local dispatch, so nothing arrives twice. On
SQLite (the embedded default, one process) a notification is queued for the same dispatcher after
the transaction commits. ``LISTEN`` needs no privilege (the application role is enough) but needs
a session-level connection: behind PgBouncer, point the listener at a session-pooled port.
PostgreSQL folds identical notifications (same channel and payload) sent in one transaction into
one; subscribers treat notifications as idempotent hints.

:class:`TenantHub` is the one per-tenant fan-out over a channel, for live views (GraphQL
subscriptions): it turns each notification into an item, hands it to this process's subscribers
of the item's tenant and type, each through a bounded queue. Device events and work-order changes
use it; plugins get it through ``kernel.sdk`` (:func:`tenant_hub`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger("linli.notify")

#: PostgreSQL refuses a payload of 8,000 bytes or more (in the server encoding, UTF-8 here).
MAX_PAYLOAD_BYTES = 7999
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_LISTENING = "linli_notify_listening"
_PENDING = "linli_notifications"
_SETTLE = "linli_notify_settle"

Callback = Callable[[dict[str, Any]], Any]
OnReconnect = Callable[[], Any]


class NotificationTooLarge(ValueError):
    """A payload over :data:`MAX_PAYLOAD_BYTES` once encoded: split it (``publish_chunked``)."""


@dataclass(eq=False)
class _Subscription:
    callback: Callback
    on_reconnect: OnReconnect | None


def encode(payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise NotificationTooLarge(f"a notification payload is at most {MAX_PAYLOAD_BYTES} bytes")
    return body


def _check_channel(channel: str) -> None:
    if not _CHANNEL.match(channel):
        raise ValueError(f"a channel name is lower-case letters, digits and _ (got {channel!r})")


class Notifier:
    """The process's notifier (one per runtime: :func:`notifier`)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.over_postgres = db.dialect == "postgresql"
        self._subscriptions: dict[str, list[_Subscription]] = {}
        self._once: dict[str, asyncio.Task[None]] = {}
        self._queue: asyncio.Queue[tuple[str, Any]] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._listener: _Listener | None = None
        self._settling: dict[str, asyncio.Future[None]] = {}
        #: Times the listener connection came back after being lost (PostgreSQL).
        self.reconnects = 0

    # -- subscribing -----------------------------------------------------------------------------

    async def subscribe(self, channel: str, callback: Callback, *, on_reconnect: OnReconnect | None = None) -> Callable[[], None]:
        """Call ``callback(payload)`` (sync or async) for every notification on ``channel`` this
        process hears from now on; ``on_reconnect()`` after the listener connection was lost and
        came back (what was sent meanwhile is lost: resynchronise). Returns ``unsubscribe``.

        On PostgreSQL this returns once the channel is LISTENed to (or after a few seconds if the
        database cannot be reached; the listener keeps trying)."""
        _check_channel(channel)
        subscription = _Subscription(callback, on_reconnect)
        self._subscriptions.setdefault(channel, []).append(subscription)
        self._start_dispatcher()
        if self.over_postgres:
            if self._listener is None:
                self._listener = _Listener(_asyncpg_dsn(self.db.url), self._received, self._reconnected)
            await self._listener.listen(channel)

        def unsubscribe() -> None:
            # the channel stays LISTENed to (cheap); notifications without subscribers are ignored
            subs = self._subscriptions.get(channel, [])
            if subscription in subs:
                subs.remove(subscription)

        return unsubscribe

    async def subscribe_once(self, name: str, channel: str, callback: Callback, *, on_reconnect: OnReconnect | None = None) -> None:
        """Subscribe under ``name`` at most once for this notifier (a component wiring itself on
        first use; concurrent callers wait for the same subscription)."""
        task = self._once.get(name)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):

            async def go() -> None:
                await self.subscribe(channel, callback, on_reconnect=on_reconnect)

            task = self._once[name] = asyncio.get_running_loop().create_task(go())
        await asyncio.shield(task)

    # -- publishing ------------------------------------------------------------------------------

    async def publish(self, channel: str, payload: dict[str, Any], session: AsyncSession | None = None) -> None:
        """Notify ``channel`` with ``payload`` (a JSON object under 8,000 bytes): in ``session``'s
        transaction (sent when it commits, dropped if it rolls back), or at once without one."""
        _check_channel(channel)
        body = encode(payload)
        if self.over_postgres:
            statement = text("SELECT pg_notify(:channel, :payload)")
            if session is not None:
                await session.execute(statement, {"channel": channel, "payload": body})
            else:
                async with self.db.engine.begin() as conn:
                    await conn.execute(statement, {"channel": channel, "payload": body})
        elif session is not None:
            self._after_commit(session, channel, body)
        else:
            self._received(channel, body)

    async def publish_chunked(
        self, channel: str, key: str, items: Iterable[Any], session: AsyncSession | None = None, **common: Any
    ) -> int:
        """Publish ``{**common, key: [...]}`` as many times as needed to carry every item under
        the size limit, in order. Returns the number of notifications sent (0 for no items)."""
        base = len(encode({**common, key: []}).encode())
        chunk: list[Any] = []
        size = base
        sent = 0
        for item in items:
            item_size = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()) + 1
            if base + item_size > MAX_PAYLOAD_BYTES:
                raise NotificationTooLarge("one item alone is over the notification size limit")
            if chunk and size + item_size > MAX_PAYLOAD_BYTES:
                await self.publish(channel, {**common, key: chunk}, session)
                sent += 1
                chunk, size = [], base
            chunk.append(item)
            size += item_size
        if chunk:
            await self.publish(channel, {**common, key: chunk}, session)
            sent += 1
        return sent

    def _after_commit(self, session: AsyncSession, channel: str, body: str) -> None:
        """SQLite: hold the notification until the session's transaction commits (a savepoint's
        release — an event handler's ``begin_nested`` — is not that commit)."""
        sync = session.sync_session
        pending = sync.info.get(_PENDING)
        if pending is None:
            pending = sync.info[_PENDING] = []
            if not sync.info.get(_LISTENING):
                sync.info[_LISTENING] = True

                def _commit(s: Any) -> None:
                    if s.in_nested_transaction():
                        return  # a savepoint released: wait for the transaction's commit
                    for ch, b in s.info.pop(_PENDING, []):
                        self._received(ch, b)

                def _rollback(s: Any) -> None:
                    if s.in_nested_transaction():
                        return  # a savepoint rolled back: the transaction goes on
                    s.info.pop(_PENDING, None)

                sa_event.listen(sync, "after_commit", _commit)
                sa_event.listen(sync, "after_rollback", _rollback)
        pending.append((channel, body))

    # -- dispatching (one path for both backends) ------------------------------------------------

    def _received(self, channel: str, body: str) -> None:
        """A notification heard (LISTEN on PostgreSQL, after commit on SQLite): queue it for the
        dispatcher, which runs callbacks one at a time in arrival order."""
        if channel in self._subscriptions or channel == _SETTLE:
            self._enqueue(("notification", (channel, body)))

    def _reconnected(self) -> None:
        self.reconnects += 1
        self._enqueue(("reconnected", None))

    def _enqueue(self, item: tuple[str, Any]) -> None:
        self._start_dispatcher()
        assert self._queue is not None
        self._queue.put_nowait(item)

    def _start_dispatcher(self) -> None:
        if self._dispatcher is None or self._dispatcher.done():
            self._queue = self._queue or asyncio.Queue()
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch_loop())

    async def _dispatch_loop(self) -> None:
        assert self._queue is not None
        while True:
            kind, item = await self._queue.get()
            if kind == "reconnected":
                for channel, subs in list(self._subscriptions.items()):
                    for sub in list(subs):
                        if sub.on_reconnect is not None:
                            await _call(sub.on_reconnect, channel, "notify_reconnect_callback_failed")
                continue
            channel, body = item
            try:
                payload = json.loads(body)
            except ValueError:
                log.warning("notification_not_json", channel=channel)
                continue
            if channel == _SETTLE:
                fut = self._settling.pop(str(payload.get("nonce")), None)
                if fut is not None and not fut.done():
                    fut.set_result(None)
                continue
            for sub in list(self._subscriptions.get(channel, ())):
                await _call(functools.partial(sub.callback, payload), channel, "notification_callback_failed")

    async def settle(self, within: float = 10.0) -> None:
        """Wait until every notification committed before this call has been through this
        process's callbacks (a barrier: tests, and code that must see its own notifications
        applied). A no-op for a process that subscribes to nothing."""
        if not self._subscriptions:
            return
        nonce = uuid.uuid4().hex
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settling[nonce] = fut
        try:
            if self.over_postgres:
                assert self._listener is not None
                await self._listener.listen(_SETTLE)
            await self.publish(_SETTLE, {"nonce": nonce})
            await asyncio.wait_for(fut, within)
        finally:
            self._settling.pop(nonce, None)

    async def close(self) -> None:
        """Stop listening and dispatching (runtime shutdown)."""
        tasks = [t for t in (self._dispatcher, *self._once.values()) if t is not None]
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._dispatcher = None
        self._queue = None
        self._once.clear()


async def _call(fn: Callable[[], Any], channel: str, failure: str) -> None:
    """Run one callback; a failing one is logged (never with the payload) and the rest go on."""
    try:
        result = fn()
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception(failure, channel=channel)


def _set_on_close(lost: asyncio.Event, _conn: Any) -> None:
    lost.set()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _Listener:
    """The process's one LISTEN connection (PostgreSQL), kept up with back-off."""

    HEALTH_CHECK_SECONDS = 15.0
    MAX_BACKOFF_SECONDS = 5.0
    READY_WAIT_SECONDS = 5.0

    def __init__(self, dsn: str, received: Callable[[str, str], None], reconnected: Callable[[], None]) -> None:
        self.dsn = dsn
        self.received = received
        self.reconnected = reconnected
        self.channels: set[str] = set()
        self._listening: set[str] = set()
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def listen(self, channel: str) -> None:
        self.channels.add(channel)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            await asyncio.wait_for(self._connected.wait(), self.READY_WAIT_SECONDS)
        except TimeoutError:
            log.warning("notify_listener_not_connected", channel=channel)
            return
        async with self._lock:
            if self._conn is not None and channel not in self._listening:
                try:
                    await self._conn.add_listener(channel, self._on_notification)
                    self._listening.add(channel)
                except Exception as exc:  # lost meanwhile: the next connection LISTENs to it
                    log.warning("notify_listen_failed", channel=channel, error=type(exc).__name__)

    def _on_notification(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.received(channel, payload)

    async def _run(self) -> None:
        import asyncpg

        delay = 0.1
        first = True
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10)
                lost = asyncio.Event()
                conn.add_termination_listener(functools.partial(_set_on_close, lost))
                async with self._lock:
                    self._listening.clear()
                    for channel in sorted(self.channels):
                        await conn.add_listener(channel, self._on_notification)
                        self._listening.add(channel)
                    self._conn = conn
                self._connected.set()
                log.info("notify_listener_connected", channels=len(self.channels), reconnect=not first)
                if not first:
                    self.reconnected()
                first = False
                delay = 0.1
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), self.HEALTH_CHECK_SECONDS)
                    except TimeoutError:  # a half-open connection shows up only when used
                        async with self._lock:
                            await conn.fetchval("SELECT 1", timeout=10)
                log.warning("notify_listener_lost", retry_in=delay)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("notify_listener_failed", error=type(exc).__name__, retry_in=delay)
            finally:
                self._connected.clear()
                self._conn = None
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.MAX_BACKOFF_SECONDS)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None


class LiveItem(Protocol):
    """What a :class:`TenantHub` carries: something of one tenant, of one type, that is a small
    JSON object on the wire (ids and status fields, never personal data)."""

    @property
    def tenant_id(self) -> uuid.UUID: ...

    @property
    def type(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


Item = TypeVar("Item", bound=LiveItem)


class TenantHub(Generic[Item]):
    """Fan-out of the items committed on ``channel`` — in **any** process of the deployment — to
    this process's live subscribers, per tenant and type (one per channel and runtime:
    :func:`tenant_hub`).

    It starts listening with its first subscriber. Each subscriber has a bounded queue; one that
    does not keep up loses its oldest items (counted in ``dropped``), never the publisher's time
    or memory. Live, not durable: items committed while this process's listener connection was
    down are not seen (``gaps`` counts those outages; there is nothing to replay from), so code
    that must see every change handles the events (the outbox) instead.
    """

    def __init__(
        self, notifier: Notifier, channel: str, decode: Callable[[dict[str, Any]], Item], *, queue_size: int = 1000
    ) -> None:
        _check_channel(channel)
        self.notifier = notifier
        self.channel = channel
        self.decode = decode
        self.queue_size = queue_size
        #: per tenant, each subscriber's queue and the types it wants (``None``: every type)
        self._subscribers: dict[uuid.UUID, dict[asyncio.Queue[Item], frozenset[str] | None]] = {}
        self.dropped = 0
        self.gaps = 0

    @asynccontextmanager
    async def subscribe(self, tenant_id: uuid.UUID, types: frozenset[str] | None = None) -> AsyncIterator[asyncio.Queue[Item]]:
        """A queue of ``tenant_id``'s items (of ``types``, or all) committed from now on, for as
        long as the context lasts."""
        await self.notifier.subscribe_once(
            f"tenant_hub:{self.channel}", self.channel, self._on_notification, on_reconnect=self._on_reconnect
        )
        queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=self.queue_size)
        self._subscribers.setdefault(tenant_id, {})[queue] = types
        try:
            yield queue
        finally:
            subs = self._subscribers.get(tenant_id)
            if subs is not None:
                subs.pop(queue, None)
                if not subs:
                    self._subscribers.pop(tenant_id, None)

    async def publish(self, session: AsyncSession | None, item: Item) -> None:
        """Send ``item`` to the subscribers of its tenant in every process, in ``session``'s
        transaction (when it commits; nothing if it rolls back). Raises
        :class:`NotificationTooLarge` for an item over the size limit."""
        await self.notifier.publish(self.channel, item.to_json(), session)

    def dispatch(self, item: Item) -> None:
        """Hand ``item`` to this process's subscribers of its tenant and type."""
        for queue, types in list(self._subscribers.get(item.tenant_id, {}).items()):
            if types is not None and item.type not in types:
                continue
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(item)

    def _on_notification(self, payload: dict[str, Any]) -> None:
        self.dispatch(self.decode(payload))

    def _on_reconnect(self) -> None:
        self.gaps += 1
        log.warning("tenant_hub_gap", channel=self.channel, subscribers=sum(len(s) for s in self._subscribers.values()))


def tenant_hub(
    runtime: Any, channel: str, decode: Callable[[dict[str, Any]], Item], *, queue_size: int = 1000
) -> TenantHub[Item]:
    """The runtime's hub for ``channel``, made on first use over the runtime's notifier (the
    first caller's ``decode`` and ``queue_size`` hold: one channel carries one item type)."""
    key = f"tenant_hub:{channel}"
    found = runtime.services.get(key)
    if found is None:
        found = runtime.services[key] = TenantHub(notifier(runtime), channel, decode, queue_size=queue_size)
    return found  # type: ignore[no-any-return]


def notifier(runtime: Any) -> Notifier:
    """The runtime's notifier, made on first use (closed by ``Runtime.shutdown``)."""
    found = runtime.services.get("notifier")
    if found is None:
        found = runtime.services["notifier"] = Notifier(runtime.db)
    return found  # type: ignore[no-any-return]


async def close(runtime: Any) -> None:
    """Close the runtime's notifier if it was made."""
    found = runtime.services.pop("notifier", None)
    if found is not None:
        await found.close()

