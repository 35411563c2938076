"""The device API answers hostile input with coded 4xx, never a 5xx (issue 16): command ids
beyond BIGINT, answers with NaN, Infinity, lone surrogates or NUL, and generated payloads."""

from __future__ import annotations

import asyncio
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kernel.devices.models import RpcCall

SEND = 'mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "raise", params: {reason: "visitor"}) { requestId } }'


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.json()["error"]["code"])


async def test_command_answers_that_a_database_cannot_store_are_bad_input(dev, gql):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    device_id, token = await dev.provision(estate, "barrier_gate", name="东门道闸")
    r = await gql(SEND, {"d": device_id}, token=estate.tenant.token)
    assert r["data"]["sendDeviceCommand"]["requestId"] == 1, r
    http = dev.gql.http
    for request_id in (2**63, 2**63 + 5, 10**30, 0, -1):
        response = await http.post(f"/api/v1/{token}/rpc/{request_id}", json={"ok": True})
        assert response.status_code == 404 and _code(response) == "NOT_FOUND", (request_id, response.text)
        assert response.headers.get("x-request-id")
    for body in (b'{"ok": NaN}', b'{"temperature": Infinity}', b'{"v": -Infinity}', b'{"s": "\\udfff"}', b'{"s": "a\\u0000b"}', b'{"\\u0000": 1}', b"[1e999]"):
        response = await http.post(f"/api/v1/{token}/rpc/1", content=body)
        assert response.status_code == 400 and _code(response) == "BAD_USER_INPUT", (body, response.text)
    # the command is still open and takes a proper answer
    response = await http.post(f"/api/v1/{token}/rpc/1", json={"ok": True})
    assert response.status_code == 200, response.text
    async with dev.runtime.db.tenant(estate.tenant.tenant_id) as s:
        calls = [(c.request_id, c.status, c.response) for c in await s.scalars(select(RpcCall))]
    assert calls == [(1, "answered", {"ok": True})], calls


async def test_telemetry_with_nul_is_bad_input(dev):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    _, token = await dev.provision(estate)
    for body in (b'{"note": "a\\u0000b"}', b'{"a\\u0000": 1}'):
        response = await dev.post(token, None, raw=body)
        assert response.status_code == 400 and _code(response) == "BAD_USER_INPUT", (body, response.text)


_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_json = st.recursive(_json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
_values = st.dictionaries(st.text(max_size=10), st.one_of(_json_scalars, st.text(max_size=40)), min_size=1, max_size=4)
_telemetry = st.one_of(_values, st.fixed_dictionaries({"ts": st.integers(min_value=-(2**64), max_value=2**64), "values": _values}))
_raw = st.one_of(
    _json.map(lambda v: json.dumps(v).encode()),
    _telemetry.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.sampled_from([b"NaN", b'{"t": NaN}', b'{"ts": 1e400, "values": {"a": 1}}', b'{"ts": -1, "values": {}}', b'{"ts": 99999999999999999999, "values": {"a": 1}}', b'\xff\xfe', b'{"a": "\\ud800"}']),
)
#: Examples per run: bounded so the suite stays fast; counts by status are in docs/security.md.
FUZZ_EXAMPLES = 150


async def test_generated_device_payloads_never_get_a_5xx(dev):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    _, token = await dev.provision(estate)
    http = dev.gql.http
    seen: dict[int, int] = {}
    sent: list[tuple[str, bytes]] = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
    @given(kind=st.sampled_from(["telemetry", "attributes", "rpc/1", "rpc/9223372036854775808"]), raw=_raw)
    def collect(kind: str, raw: bytes) -> None:
        sent.append((kind, raw))

    collect()
    for kind, raw in sent:
        response = await http.post(f"/api/v1/{token}/{kind}", content=raw)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (kind, raw, response.text)
        if response.status_code >= 400:
            assert response.json()["error"]["code"], (kind, raw, response.text)
    print(f"device fuzz: {len(sent)} payloads, by status {dict(sorted(seen.items()))}")
    assert len(sent) >= 100


WAIT = 'mutation($d: ID!) { sendDeviceCommand(deviceId: $d, method: "raise", timeoutSeconds: 4, wait: true) { status } }'


async def test_waiting_commands_hold_no_connection_and_are_bounded_per_tenant(dev, make_runtime, gql_factory, probe):  # type: ignore[no-untyped-def]
    """On a pool of two connections, one tenant's four waiting commands (each used to hold a
    pooled connection for its whole wait) leave another tenant's queries served at once; a
    fifth concurrent wait is RATE_LIMITED."""
    a = await dev.estate()
    b = await dev.estate("other")
    gates = [(await dev.provision(a, "barrier_gate", name=f"{n}号道闸"))[0] for n in range(5)]
    small = make_runtime(
        database_pool_size=2, database_max_overflow=0, database_pool_timeout=3, max_waits_per_tenant=4, extra_plugins=[probe]
    )
    client = gql_factory(small)
    waits = [asyncio.create_task(client(WAIT, {"d": gate}, token=a.tenant.token)) for gate in gates[:4]]
    for _ in range(400):
        if small.services.get("waits_per_tenant", {}).get(a.tenant.tenant_id) == 4:
            break
        await asyncio.sleep(0.025)
    else:
        raise AssertionError(f"the waits did not start: {[w.result() for w in waits if w.done()]}")
    r = await client(WAIT, {"d": gates[4]}, token=a.tenant.token)
    assert [e["extensions"]["code"] for e in r["errors"]] == ["RATE_LIMITED"], r
    for _ in range(5):
        started = time.perf_counter()
        r = await client("{ communities { edges { node { name } } } }", token=b.tenant.token)
        assert not r.get("errors") and r["data"]["communities"]["edges"], r
        assert time.perf_counter() - started < 2.5
    assert not any(w.done() for w in waits)  # the other tenant was served while they waited
    for r in await asyncio.gather(*waits):
        assert r == {"data": {"sendDeviceCommand": {"status": "timed_out"}}}, r
    assert not small.services["waits_per_tenant"]
