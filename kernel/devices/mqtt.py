"""The MQTT bridge: a worker inside ``linli serve`` and ``linli worker`` (run by the scheduler
as the ``devices.mqtt_bridge`` job) that takes device messages from Mosquitto into the store.

* Devices connect to Mosquitto ThingsBoard-style (username = token, QoS 1, topics
  ``v1/devices/me/telemetry``, ``v1/devices/me/attributes``, ``v1/devices/me/rpc/...``); the
  ``linli_auth`` broker plugin checks the token digest and rewrites the topic to
  ``linli/up/<digest>/...`` (see :mod:`kernel.devices.broker`).
* The bridge holds a persistent session (``clean_session=False``, fixed client id) subscribed
  to ``linli/up/#`` with QoS 1 and **acknowledges a message only after the transaction that
  stored it committed**, so a crash or a broker restart loses nothing: the broker redelivers,
  and a repeated (device, key, ts) is ignored by the store. Its connection is
  :mod:`kernel.devices.mqtt_client` (a protocol that parses a whole socket read at once and
  acknowledges a batch with one write; see that module for why not paho).
* Messages are batched by group commit: a batch is what arrived while the previous one was in
  the database, up to ``LINLI_DEVICES_BATCH_MAX_MESSAGES`` (``..._BATCH_MAX_WAIT_MS`` > 0 waits
  for a fuller batch instead), written one transaction per tenant (row-level security on); a message is stored whole or
  dropped whole. Malformed, unknown-token and rate-limited messages are dropped, acknowledged
  and counted (``linli_mqtt_dropped_total{reason}``); the bridge never stops for them.
* Messages held in memory are bounded (``LINLI_DEVICES_QUEUE_MAX_MESSAGES``): at the bound the
  bridge stops reading from the socket and the broker holds the rest (back-pressure, not OOM).
* Several bridges (processes) can share the load: with ``LINLI_DEVICES_BRIDGE_SHARE_GROUP`` set,
  each subscribes to ``$share/<group>/linli/up/#`` and the broker deals messages out among them;
  each needs its own ``LINLI_DEVICES_BRIDGE_CLIENT_ID``.
* After every (re)connection the bridge sends the broker the full set of valid token digests;
  provisioning, rotation and revocation send changes at once (a revoked device is kicked).
* Commands: queued calls of devices seen over MQTT are published to
  ``linli/down/<digest>/rpc/request/<id>``; the broker plugin hands them to that device only.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import structlog
from sqlalchemy import select

from kernel.db.sql import in_ids
from kernel.devices import ingest, rpc
from kernel.devices.config import DeviceSettings
from kernel.devices.metrics import (
    batch_seconds,
    device_messages,
    device_points,
    mqtt_dropped,
    mqtt_reconnects,
)
from kernel.devices.models import DeviceCredential
from kernel.devices.mqtt_client import MqttConnection, MqttConnectionError, tls_context
from kernel.devices.profiles import catalog
from kernel.devices.registry import DeviceIdentity
from kernel.errors import LinliError
from kernel.tenancy import Tenant, TenantStatus

log = structlog.get_logger("linli.mqtt")

CONTROL_TOPIC = "$CONTROL/linli/v1"
UP_PREFIX = "linli/up/"
SYNC_CHUNK = 5000
_UP = UP_PREFIX.encode()
_KINDS = {b"/telemetry": "telemetry", b"/attributes": "attributes"}
_RPC_RESPONSE = b"/rpc/response/"


@dataclass(slots=True)
class _Inbound:
    conn: MqttConnection | None  # the connection to acknowledge it on (None: nothing to ack)
    mid: int
    qos: int
    digest: str
    kind: str  # telemetry | attributes | rpc_response
    request_id: int | None
    payload: bytes
    received_at: float


class MqttBridge:
    def __init__(self, runtime: Any, url: str, settings: DeviceSettings | None = None) -> None:
        from kernel.devices.service import settings_of

        self.runtime = runtime
        self.settings = settings or settings_of(runtime)
        u = urlparse(url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (8883 if u.scheme == "mqtts" else 1883)
        self.tls = tls_context(u.scheme)
        self.username = unquote(u.username) if u.username else self.settings.bridge_username
        self.password = unquote(u.password) if u.password else self.settings.bridge_password
        group = self.settings.bridge_share_group
        self.subscription = f"$share/{group}/{UP_PREFIX}#" if group else UP_PREFIX + "#"
        #: Received and not yet taken into a batch (bounded by ``queue_max_messages``).
        self.pending: list[_Inbound] = []
        self._arrived = asyncio.Event()
        self._batch_full = asyncio.Event()
        self.client: MqttConnection | None = None
        self.connected = asyncio.Event()
        self.stats: dict[str, int] = defaultdict(int)
        #: (tenant, device) of devices seen over MQTT, with their digest: commands go to them.
        self.mqtt_devices: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
        #: Called with [(tenant_id, device_id, points, received_at, payload)] after each commit (benchmarks).
        self.stored_listeners: list[Any] = []
        self._flusher: asyncio.Task[None] | None = None
        rpc.signals(runtime).command_listeners.append(self._on_command)

    # -- connection ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, sync credentials, consume; reconnect with back-off until cancelled."""
        self.runtime.services["mqtt_bridge"] = self
        self._flusher = asyncio.create_task(self._flush_loop())
        delay = 0.2
        try:
            while True:
                try:
                    await self._session()
                    delay = 0.2
                except MqttConnectionError as exc:
                    self.connected.clear()
                    self.client = None
                    mqtt_reconnects.inc()
                    self.stats["reconnects"] += 1
                    log.warning("mqtt_bridge_disconnected", error=str(exc), retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            self.connected.clear()
            if self.client is not None:
                await self.client.close()
                self.client = None
            if self._flusher is not None:
                self._flusher.cancel()
                await asyncio.gather(self._flusher, return_exceptions=True)

    async def _session(self) -> None:
        client = await MqttConnection.open(
            self.host,
            self.port,
            client_id=self.settings.bridge_client_id,
            username=self.username,
            password=self.password,
            clean_session=False,
            tls=self.tls,
            on_publish=self._on_publish,
        )
        self.client = client
        try:
            # subscribe before admitting devices: on a session's very first connection the broker
            # queues nothing for the bridge until it has subscribed
            await client.subscribe(self.subscription, qos=1)
            await self.sync_credentials()
            self.connected.set()
            log.info("mqtt_bridge_connected", host=self.host, port=self.port, subscription=self.subscription)
            await client.closed  # raises MqttConnectionError when the connection is lost
        finally:
            self.connected.clear()
            self.client = None
        raise MqttConnectionError("the broker closed the connection")

    def _on_publish(self, conn: MqttConnection, topic: bytes, payload: bytes, qos: int, mid: int, received_at: float) -> None:
        """Called by the connection for each message, in the order received."""
        inbound = self._parse_topic(topic, payload, qos, mid, received_at)
        if inbound is None:
            if qos:
                conn.ack((mid,))
            return
        inbound.conn = conn
        pending = self.pending
        pending.append(inbound)
        if len(pending) == 1:
            self._arrived.set()
        if len(pending) >= self.settings.batch_max_messages:
            self._batch_full.set()
            if len(pending) >= self.settings.queue_max_messages:
                conn.pause_reading()  # back-pressure: the broker keeps the rest

    def _parse_topic(self, topic: bytes, payload: bytes, qos: int, mid: int, received_at: float) -> _Inbound | None:
        kind, request_id = None, None
        if topic.startswith(_UP) and len(topic) > 73:
            tail = topic[73:]
            kind = _KINDS.get(tail)
            if kind is None and tail.startswith(_RPC_RESPONSE) and tail[14:].isdigit():
                kind, request_id = "rpc_response", int(tail[14:])
        if kind is None:
            self._drop("bad_topic")
            return None
        return _Inbound(None, mid, qos, topic[9:73].decode("ascii", "replace"), kind, request_id, payload, received_at)

    def _ack(self, messages: list[_Inbound]) -> None:
        """Acknowledge on the connection each message came on; a message of an earlier
        connection is not acknowledged (the broker redelivers it)."""
        by_conn: dict[MqttConnection, list[int]] = {}
        for m in messages:
            if m.qos and m.conn is not None:
                by_conn.setdefault(m.conn, []).append(m.mid)
        for conn, mids in by_conn.items():
            conn.ack(mids)

    def _drop(self, reason: str) -> None:
        mqtt_dropped.labels(reason).inc()
        device_messages.labels("mqtt", reason).inc()
        self.stats[f"dropped_{reason}"] += 1

    # -- credentials -----------------------------------------------------------------------------

    async def _control(self, lines: list[str]) -> None:
        if self.client is None:
            return
        for i in range(0, max(len(lines), 1), SYNC_CHUNK):
            chunk = lines[i : i + SYNC_CHUNK]
            await self.client.publish(CONTROL_TOPIC, "\n".join(chunk).encode(), qos=1)

    async def sync_credentials(self) -> None:
        """Send the broker every valid token digest (replacing what it had)."""
        async with self.runtime.db.platform() as s:
            digests = list(
                await s.scalars(
                    select(DeviceCredential.token_digest)
                    .join(Tenant, Tenant.id == DeviceCredential.tenant_id)
                    .where(Tenant.status == TenantStatus.ACTIVE)
                )
            )
        await self._control(["="] + [f"+{d}" for d in digests])

    async def credentials_changed(self, added: list[str], removed: list[str]) -> None:
        try:
            await self._control([f"-{d}" for d in removed] + [f"+{d}" for d in added])
        except MqttConnectionError:
            log.warning("mqtt_credentials_not_sent", added=len(added), removed=len(removed))

    # -- ingestion -------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        """Group commit: a batch is what arrived while the previous one was in the database (at
        most ``batch_max_messages``), flushed as soon as that one committed — at once when the
        bridge is idle, so an idle system adds no batching delay, and as large as the load makes
        it under load. ``batch_max_wait_ms`` > 0 waits that long for a full batch instead (fewer,
        larger transactions at light load; each message waits up to that long)."""
        wait = self.settings.batch_max_wait_ms / 1000
        limit = self.settings.batch_max_messages
        while True:
            if not self.pending:
                self._arrived.clear()
                await self._arrived.wait()
            if wait > 0 and len(self.pending) < limit:
                try:  # a full batch, or whatever came within the wait
                    await asyncio.wait_for(self._batch_full.wait(), wait)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(0)  # what the socket has read already joins this batch
            batch = self.pending[:limit]
            del self.pending[:limit]
            if len(self.pending) < limit:
                self._batch_full.clear()
            if self.client is not None and self.client.paused and len(self.pending) < self.settings.queue_max_messages // 2:
                self.client.resume_reading()
            try:
                await self.process(batch)
            except Exception:  # the bridge never dies for a batch: unacked messages come again
                log.exception("mqtt_batch_failed", size=len(batch))
                self.stats["batch_failures"] += 1
                await asyncio.sleep(0.5)

    async def _identify(self, digests: set[str]) -> dict[str, DeviceIdentity]:
        async with self.runtime.db.platform() as s:
            rows = await s.execute(
                select(DeviceCredential.token_digest, DeviceCredential.tenant_id, DeviceCredential.device_id, Tenant.status)
                .join(Tenant, Tenant.id == DeviceCredential.tenant_id)
                .where(in_ids(s, DeviceCredential.token_digest, digests))
            )
            return {d: DeviceIdentity(t, dev, d, st == TenantStatus.ACTIVE) for d, t, dev, st in rows}

    async def process(self, batch: list[_Inbound]) -> None:
        """Store a batch: one transaction per tenant; each message whole or dropped; acks after."""
        from kernel.devices.service import limiter_of

        started = time.perf_counter()
        identities = await self._identify({m.digest for m in batch})
        done: list[_Inbound] = []
        telemetry: list[tuple[_Inbound, DeviceIdentity]] = []  # known devices' data, before rate limits
        for m in batch:
            ident = identities.get(m.digest)
            if ident is None or not ident.tenant_active:
                self._drop("unknown_token")
                done.append(m)
                continue
            self.mqtt_devices[(ident.tenant_id, ident.device_id)] = m.digest
            if m.kind == "rpc_response":
                try:
                    await rpc.answer(self.runtime, ident, m.request_id or 0, m.payload)
                except LinliError:
                    self._drop("bad_rpc_response")
                done.append(m)
                continue
            telemetry.append((m, ident))
        refusals = await limiter_of(self.runtime).admit_many((i.tenant_id, i.device_id) for _, i in telemetry)
        by_tenant: dict[uuid.UUID, list[tuple[_Inbound, DeviceIdentity]]] = defaultdict(list)
        for (m, ident), refused in zip(telemetry, refusals, strict=True):
            if refused is not None:
                self._drop("rate_limited")
                done.append(m)
            else:
                by_tenant[ident.tenant_id].append((m, ident))
        for tenant_id, items in by_tenant.items():
            done.extend(await self._store_tenant(tenant_id, items))
        self._ack(done)
        batch_seconds.labels("mqtt").observe(time.perf_counter() - started)

    async def _store_tenant(self, tenant_id: uuid.UUID, items: list[tuple[_Inbound, DeviceIdentity]]) -> list[_Inbound]:
        """Validate and store one tenant's messages in one transaction; the messages handled."""
        profiles = catalog(self.runtime)
        handled: list[_Inbound] = []
        valid: list[tuple[_Inbound, ingest.DeviceMessage]] = []
        try:
            async with self.runtime.db.tenant(tenant_id) as s:
                ids = {ident.device_id for _, ident in items}
                devices = await ingest.load_devices(s, ids)
                for m, ident in items:
                    device = devices.get(ident.device_id)
                    profile = profiles.get(device.type) if device else None
                    try:
                        if device is None or profile is None:
                            raise LinliError("unknown device or profile")
                        payload = ingest.decode(m.payload, self.settings)
                        if m.kind == "telemetry":
                            msg = ingest.DeviceMessage(device.id, ingest.parse_telemetry(payload, profile, self.settings))
                        else:
                            msg = ingest.DeviceMessage(device.id, [], ingest.parse_attributes(payload, self.settings))
                        valid.append((m, msg))
                    except LinliError as exc:
                        self._drop(f"malformed_{exc.details.get('reason', exc.code.lower())}")
                        handled.append(m)
                if valid:
                    await ingest.store_batch(s, self.runtime, profiles, tenant_id, [msg for _, msg in valid], devices)
        except Exception:
            if not valid:
                raise
            # one message may be the cause: store them one by one, drop only those that fail
            log.exception("mqtt_tenant_batch_failed", tenant=str(tenant_id), size=len(valid))
            for m, msg in valid:
                try:
                    await self._commit(tenant_id, [msg])
                except Exception:
                    log.exception("mqtt_message_store_failed", tenant=str(tenant_id))
                    self._drop("store_failed")
                    handled.append(m)
                    continue
                self._stored([(m, msg)], tenant_id)
                handled.append(m)
            return handled
        if valid:
            self._stored(valid, tenant_id)
        return handled + [m for m, _ in valid]

    async def _commit(self, tenant_id: uuid.UUID, messages: list[ingest.DeviceMessage]) -> None:
        async with self.runtime.db.tenant(tenant_id) as s:
            await ingest.store_batch(s, self.runtime, catalog(self.runtime), tenant_id, messages)

    def _stored(self, items: list[tuple[_Inbound, ingest.DeviceMessage]], tenant_id: uuid.UUID) -> None:
        points = sum(len(msg.readings) for _, msg in items)
        device_messages.labels("mqtt", "stored").inc(len(items))
        device_points.labels("mqtt").inc(points)
        self.stats["stored_messages"] += len(items)
        self.stats["stored_points"] += points
        for listener in self.stored_listeners:
            listener([(tenant_id, msg.device_id, len(msg.readings), m.received_at, m.payload) for m, msg in items])

    # -- commands --------------------------------------------------------------------------------

    def _on_command(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> None:
        if (tenant_id, device_id) in self.mqtt_devices and self.client is not None:
            asyncio.get_running_loop().create_task(self.push_commands(tenant_id, device_id))

    async def push_commands(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> int:
        """Publish the device's queued commands to it (ThingsBoard: id in the topic)."""
        digest = self.mqtt_devices.get((tenant_id, device_id))
        if digest is None or self.client is None:
            return 0
        calls = await rpc.take_queued(self.runtime, tenant_id, device_id)
        for call in calls:
            body = json.dumps({"method": call.method, "params": call.params}).encode()
            await self.client.publish(f"linli/down/{digest}/rpc/request/{call.request_id}", body, qos=1)
        return len(calls)
