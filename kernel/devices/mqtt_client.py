"""The MQTT 3.1.1 client connection the bridge uses on its hot path.

Why not paho-mqtt / aiomqtt here: the bridge receives thousands of QoS 1 messages a second and
must acknowledge each one only after the transaction that stored it committed. paho reads a
packet a few bytes at a time (a ``recv`` per header byte), runs several callbacks and an
asyncio hop per message and sends each PUBACK as its own write; measured on the benchmark
machine that came to about 100 µs of CPU per message, more than validating and storing it
(docs/benchmarks.md). This connection is an :class:`asyncio.Protocol` that parses every packet
in a socket read in one loop, hands PUBLISH packets to a callback as ``(topic, payload, qos,
mid)``, and acknowledges any number of messages with a single write. It implements exactly what
the bridge needs of the client side of MQTT 3.1.1 (OASIS standard, 2014): CONNECT/CONNACK,
SUBSCRIBE/SUBACK, PUBLISH QoS 0/1 both ways with PUBACK, PINGREQ/PINGRESP, DISCONNECT. Devices,
tests and tools keep using aiomqtt.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 1, 2, 3, 4, 8, 9, 12, 13, 14
_PUBACK = struct.Struct("!BBH")
_CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}

#: ``on_publish(connection, topic, payload, qos, mid, received_at)`` for every PUBLISH the broker
#: sends — with the connection, since a session's backlog may arrive in the same read as CONNACK.
PublishCallback = Callable[["MqttConnection", bytes, bytes, int, int, float], None]


class MqttConnectionError(Exception):
    """The connection could not be made, was refused, or was lost."""


def _string(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + _remaining_length(len(body)) + body


class MqttConnection(asyncio.Protocol):
    """One connection to the broker. Open it with :meth:`open`; ``closed`` resolves (with the
    reason as an exception, or None after :meth:`close`) when it ends."""

    #: How long SUBSCRIBE and QoS 1 PUBLISH wait for the broker's acknowledgement.
    answer_seconds = 10.0

    def __init__(self, on_publish: PublishCallback, keepalive: int) -> None:
        self.on_publish = on_publish
        self.keepalive = keepalive
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._connack: asyncio.Future[tuple[bool, int]] = self._loop.create_future()
        self._waiting: dict[tuple[int, int], asyncio.Future[bytes]] = {}  # (packet type, mid)
        self._next_mid = 0
        self._last_in = time.monotonic()
        self._pinger: asyncio.Task[None] | None = None
        self.session_present = False
        #: Reading is paused (the owner's back-pressure): no more messages are handed over, even
        #: from the rest of the read in hand, until :meth:`resume_reading`.
        self.paused = False

    # -- opening and closing -----------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        clean_session: bool = True,
        keepalive: int = 30,
        tls: ssl.SSLContext | None = None,
        on_publish: PublishCallback,
        connect_seconds: float = 10.0,
    ) -> MqttConnection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: cls(on_publish, keepalive), host, port, ssl=tls), connect_seconds
            )
        except (OSError, TimeoutError) as exc:
            raise MqttConnectionError(f"cannot connect to the broker at {host}:{port}: {exc}") from exc
        flags = 0x02 if clean_session else 0
        payload = _string(client_id)
        if username is not None:
            flags |= 0x80
            payload += _string(username)
            if password is not None:
                flags |= 0x40
                payload += _string(password)
        conn._write(_packet(CONNECT << 4, _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload))
        try:
            present, code = await asyncio.wait_for(asyncio.shield(conn._connack), connect_seconds)
        except TimeoutError as exc:
            conn.abort()
            raise MqttConnectionError("the broker did not answer CONNECT") from exc
        except MqttConnectionError:
            conn.abort()
            raise
        if code != 0:
            conn.abort()
            raise MqttConnectionError(f"the broker refused the connection: {_CONNACK_REASONS.get(code, code)}")
        conn.session_present = present
        if keepalive:
            conn._pinger = asyncio.create_task(conn._keepalive())
        return conn

    async def close(self) -> None:
        """Send DISCONNECT and close (the broker keeps a persistent session's subscriptions)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(bytes([DISCONNECT << 4, 0]))
            self.transport.close()
        await asyncio.gather(asyncio.shield(self.closed), return_exceptions=True)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    async def _keepalive(self) -> None:
        interval = self.keepalive / 2
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_in > self.keepalive * 1.5:
                self._lost(MqttConnectionError("the broker stopped answering (keepalive)"))
                return
            self._write(bytes([PINGREQ << 4, 0]))

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(MqttConnectionError(f"connection lost: {exc}") if exc else None)

    def _lost(self, exc: Exception | None) -> None:
        if self._pinger is not None and self._pinger is not asyncio.current_task():
            self._pinger.cancel()
        error = exc or MqttConnectionError("connection closed")
        futures: list[asyncio.Future[Any]] = [self._connack, *self._waiting.values()]
        for fut in futures:
            if not fut.done():
                fut.set_exception(error)
                fut.exception()  # retrieved: a waiter still gets it, no one waiting is no warning
        self._waiting.clear()
        if not self.closed.done():
            if exc is None:
                self.closed.set_result(None)
            else:
                self.closed.set_exception(exc)
                self.closed.exception()  # mark it retrieved: whoever awaits it sees it anyway
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        buf = self._buffer + data if self._buffer else data
        end_of_data = len(buf)
        pos = 0
        now = time.time()
        self._last_in = time.monotonic()
        on_publish = self.on_publish
        try:
            while end_of_data - pos >= 2:
                first = buf[pos]
                # remaining length: 1-4 bytes, 7 bits each
                length, shift, i, complete = 0, 0, pos + 1, False
                while i < end_of_data:
                    byte = buf[i]
                    i += 1
                    length |= (byte & 0x7F) << shift
                    if byte < 0x80:
                        complete = True
                        break
                    shift += 7
                    if shift > 21:
                        raise MqttConnectionError("malformed remaining length")
                if not complete:
                    break  # header incomplete
                end = i + length
                if end > end_of_data:
                    break  # body incomplete
                kind = first >> 4
                if kind == PUBLISH:
                    topic_end = i + 2 + ((buf[i] << 8) | buf[i + 1])
                    qos = (first >> 1) & 3
                    if qos:
                        mid = (buf[topic_end] << 8) | buf[topic_end + 1]
                        on_publish(self, buf[i + 2 : topic_end], buf[topic_end + 2 : end], qos, mid, now)
                    else:
                        on_publish(self, buf[i + 2 : topic_end], buf[topic_end:end], 0, 0, now)
                else:
                    self._control(kind, buf[i:end])
                pos = end
                if self.paused:
                    break  # the owner is full: keep the rest of this read until it resumes us
        except MqttConnectionError as exc:
            self._lost(exc)
            return
        self._buffer = buf[pos:] if pos < end_of_data else b""

    def _control(self, kind: int, body: bytes) -> None:
        if kind == CONNACK:
            if not self._connack.done():
                self._connack.set_result((bool(body[0] & 1), body[1]))
        elif kind in (PUBACK, SUBACK):
            fut = self._waiting.pop((kind, (body[0] << 8) | body[1]), None)
            if fut is not None and not fut.done():
                fut.set_result(body[2:])
        elif kind == PINGRESP:
            pass
        else:
            raise MqttConnectionError(f"unexpected packet type {kind} from the broker")

    # -- sending ---------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise MqttConnectionError("not connected")
        self.transport.write(data)

    def _mid(self) -> int:
        for _ in range(65535):
            self._next_mid = self._next_mid % 65535 + 1
            if (PUBACK, self._next_mid) not in self._waiting and (SUBACK, self._next_mid) not in self._waiting:
                return self._next_mid
        raise MqttConnectionError("no free packet identifier")  # pragma: no cover - 65,535 in flight

    async def _request(self, answer: int, mid: int, packet: bytes) -> bytes:
        fut: asyncio.Future[bytes] = self._loop.create_future()
        self._waiting[(answer, mid)] = fut
        self._write(packet)
        try:
            return await asyncio.wait_for(fut, self.answer_seconds)
        except TimeoutError as exc:
            self._waiting.pop((answer, mid), None)
            raise MqttConnectionError("the broker did not acknowledge in time") from exc

    async def subscribe(self, topic: str, qos: int = 1) -> int:
        """Subscribe; returns the granted QoS (MqttConnectionError if refused)."""
        mid = self._mid()
        body = struct.pack("!H", mid) + _string(topic) + bytes([qos])
        granted = (await self._request(SUBACK, mid, _packet((SUBSCRIBE << 4) | 0x02, body)))[0]
        if granted == 0x80:
            raise MqttConnectionError(f"the broker refused the subscription to {topic}")
        return granted

    async def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Publish; with QoS 1, return when the broker acknowledged it."""
        if qos == 0:
            self._write(_packet(PUBLISH << 4, _string(topic) + payload))
            return
        mid = self._mid()
        body = _string(topic) + struct.pack("!H", mid) + payload
        await self._request(PUBACK, mid, _packet((PUBLISH << 4) | 0x02, body))

    def ack(self, mids: Iterable[int]) -> None:
        """Acknowledge received QoS 1 messages, all in one write. A no-op once the connection
        is gone: the broker redelivers what was not acknowledged to the next one."""
        if self.transport is None or self.transport.is_closing():
            return
        data = b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids])
        if data:
            self.transport.write(data)

    def pause_reading(self) -> None:
        if not self.paused and self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
            self.paused = True

    def resume_reading(self) -> None:
        """Take what was held back of the last read first (which may pause again), then read on."""
        if not self.paused:
            return
        self.paused = False
        if self._buffer:
            self.data_received(b"")
        if not self.paused and self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing() and not self.closed.done()


def tls_context(scheme: str) -> ssl.SSLContext | None:
    """``mqtts://`` → the system's default TLS context; ``mqtt://`` → plain TCP."""
    return ssl.create_default_context() if scheme == "mqtts" else None

