"""The bridge's MQTT connection parser (kernel.devices.mqtt_client): whatever way a byte stream
of PUBLISH packets is cut into socket reads, every message comes out once, whole and in order.
Packets are encoded here from the MQTT 3.1.1 specification (§2.2, §3.3), not with the module's
own encoder. The connection against a real Mosquitto is exercised by test_devices_mqtt.py."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.devices.mqtt_client import MqttConnection, MqttConnectionError


def _varint(n: int) -> bytes:
    out = []
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (128 if n else 0))
        if not n:
            return bytes(out)


def publish_packet(topic: bytes, payload: bytes, qos: int, mid: int) -> bytes:
    variable = len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"")
    return bytes([0x30 | (qos << 1)]) + _varint(len(variable) + len(payload)) + variable + payload


messages = st.lists(
    st.tuples(
        st.binary(min_size=1, max_size=80),
        st.binary(max_size=20_000),  # crosses the 1-, 2- and 3-byte remaining-length forms
        st.sampled_from([0, 1]),
        st.integers(1, 65535),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(messages=messages, cuts=st.lists(st.integers(0, 10_000), max_size=30))
def test_any_split_of_the_stream_gives_every_message_once(messages, cuts):  # type: ignore[no-untyped-def]
    stream = b"".join(publish_packet(*m) for m in messages)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    received: list[tuple[bytes, bytes, int, int]] = []

    async def feed() -> None:
        conn = MqttConnection(lambda _c, t, p, q, mid, _at: received.append((bytes(t), bytes(p), q, mid)), keepalive=0)
        for a, b in zip(points, points[1:], strict=False):
            if b > a:
                conn.data_received(stream[a:b])
        assert conn._buffer == b""

    asyncio.run(feed())
    assert received == [(t, p, q, mid if q else 0) for t, p, q, mid in messages]


def test_a_malformed_length_closes_the_connection_instead_of_reading_on():  # type: ignore[no-untyped-def]
    async def feed() -> MqttConnection:
        conn = MqttConnection(lambda *a: None, keepalive=0)
        conn.data_received(bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))  # five length bytes
        return conn

    conn = asyncio.run(feed())
    assert conn.closed.done() and isinstance(conn.closed.exception(), MqttConnectionError)
