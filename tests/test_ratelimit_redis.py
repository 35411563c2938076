"""Rate limits shared through Redis (``LINLI_REDIS_URL``), against a real Redis server
(``LINLI_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``; skipped when it cannot be
reached, unless ``LINLI_REQUIRE_REDIS=1``). Each test uses its own key prefix and deletes its
keys afterwards.

Two limiter instances stand for two gateway processes: with Redis they draw on one budget (the
N × problem of in-process buckets is gone), and when Redis is down each falls back to its own
in-process buckets instead of failing the request."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from gateway.ratelimit import TokenBuckets
from kernel.devices.ratelimit import DeviceRateLimiter
from kernel.metrics import registry
from kernel.ratelimit import Buckets, LocalBuckets, Rate, RedisBuckets
from kernel.testing import eventually, missing

REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SLOW = 1e-6  # tokens per second: no noticeable refill during a test


async def _reachable(url: str) -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    from redis.asyncio import Redis

    if not await _reachable(REDIS_URL):
        missing("redis", f"Redis is not reachable at {REDIS_URL} (set LINLI_TEST_REDIS_URL)")
    name = f"linli-test:{uuid.uuid4().hex}"
    yield name
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=f"{name}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def shared(prefix: str) -> AsyncIterator[Callable[[], RedisBuckets]]:
    """Makes Redis-backed stores on the test's prefix (one per simulated process), closed after."""
    made: list[RedisBuckets] = []

    def make() -> RedisBuckets:
        made.append(RedisBuckets(REDIS_URL, prefix))
        return made[-1]

    yield make
    for store in made:
        await store.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_two_gateways_share_one_graphql_budget(shared):  # type: ignore[no-untyped-def]
    gateway_a = TokenBuckets(10, SLOW, Buckets(shared()))
    gateway_b = TokenBuckets(10, SLOW, Buckets(shared()))
    assert await gateway_a.charge("tenant-1", 6) is None
    retry = await gateway_b.charge("tenant-1", 6)  # only 4 left of the one budget
    assert retry is not None and retry > 0
    assert await gateway_b.charge("tenant-1", 4) is None
    assert await gateway_a.charge("tenant-1", 1) is not None

    # in-process buckets, for contrast: each process has the whole budget (N ×)
    local_a, local_b = TokenBuckets(10, SLOW), TokenBuckets(10, SLOW)
    assert await local_a.charge("tenant-1", 6) is None
    assert await local_b.charge("tenant-1", 6) is None


async def test_buckets_refill_over_time_and_say_when(shared):  # type: ignore[no-untyped-def]
    limiter = TokenBuckets(2, 20.0, Buckets(shared()))  # 2 tokens, one back every 50 ms
    assert await limiter.charge("t", 2) is None
    retry = await limiter.charge("t", 2)
    assert retry is not None and 0 < retry <= 0.1

    async def refilled() -> bool:
        return await limiter.charge("t", 2) is None

    await asyncio.sleep(retry)  # waiting the advised time is the behaviour tested; then poll, no margin guessed
    await eventually(refilled, within=1.0, what="the bucket refilled after the advised wait")


async def test_keys_expire_when_the_bucket_would_be_full_again(shared, prefix):  # type: ignore[no-untyped-def]
    store = shared()
    rate = Rate(per_second=10.0, burst=50.0)  # empty → full in 5 s
    assert await store.take_many([(((("graphql", "t1"), rate),), 1)]) == [(0, 0.0)]
    ttl = await store.client.pttl(f"{prefix}:graphql:t1")
    assert 5000 < ttl <= rate.ttl_ms == 6000


async def test_tenants_are_independent_and_a_batch_is_decided_in_order(shared):  # type: ignore[no-untyped-def]
    limiter = DeviceRateLimiter(SLOW, 2, SLOW, 3, Buckets(shared()))
    a, b = uuid.uuid4(), uuid.uuid4()
    a1, a2, b1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    verdicts = await limiter.admit_many([(a, a1), (a, a1), (a, a1), (a, a2), (a, a2), (b, b1)])
    # a1's burst is 2; tenant a's is 3, used up by a2's first message; tenant b is untouched
    assert verdicts == [None, None, "device", None, "tenant", None]
    assert await limiter.admit(b, b1) is None
    assert await limiter.admit(a, a2) == "tenant"


async def test_a_message_refused_by_its_tenant_takes_nothing_from_its_device(shared, prefix):  # type: ignore[no-untyped-def]
    store = shared()
    limiter = DeviceRateLimiter(SLOW, 2, SLOW, 1, Buckets(store))
    tenant, device = uuid.uuid4(), uuid.uuid4()
    assert await limiter.admit_many([(tenant, device), (tenant, device)]) == [None, "tenant"]
    left = float((await store.client.get(f"{prefix}:device:{device}")).split()[0])  # "tokens last-refill"
    assert left == pytest.approx(1.0, abs=1e-3)


async def test_redis_decides_like_the_in_process_buckets(shared):  # type: ignore[no-untyped-def]
    """The Lua script and the in-process code are one algorithm: same charges, same answers."""
    fast, small = Rate(SLOW, 3), Rate(SLOW, 5)
    keys = [(("device", i), fast) for i in range(4)]
    tenant = (("tenant", "x"), small)
    charges = [((keys[i % 4], tenant), 1.0) for i in range(9)]
    charges += [((keys[1],), 2.0), ((keys[0],), 3.0), (((("graphql", "g"), small),), 6.0)]
    remote = await shared().take_many(charges)
    local = LocalBuckets().take_many(charges)
    # the tenant's 5 tokens, then its refusals (2nd bucket); device 1 has 2 left, device 0 only 1;
    # a cost over the burst is never admitted
    assert [code for code, _ in remote] == [0] * 5 + [2] * 4 + [0, 1, 1]
    assert [code for code, _ in local] == [code for code, _ in remote]
    assert [w for _, w in remote] == pytest.approx([w for _, w in local], rel=1e-6)


async def test_when_redis_is_down_each_process_falls_back_to_its_own_buckets():  # type: ignore[no-untyped-def]
    before = registry.get_sample_value("linli_rate_limit_fallback_total") or 0.0
    down = RedisBuckets(f"redis://127.0.0.1:{_closed_port()}/0", "unused")
    try:
        limiter = DeviceRateLimiter(SLOW, 1, SLOW, 10, Buckets(down))
        tenant, device = uuid.uuid4(), uuid.uuid4()
        assert await limiter.admit_many([(tenant, device), (tenant, device)]) == [None, "device"]
        # limits still hold, in-process; later calls do not wait for Redis again (retried later)
        assert await limiter.admit(tenant, device) == "device"
        gateway = TokenBuckets(5, SLOW, Buckets(down))
        assert await gateway.charge("t", 5) is None
        assert await gateway.charge("t", 1) is not None
    finally:
        await down.close()
    after = registry.get_sample_value("linli_rate_limit_fallback_total") or 0.0
    assert after - before == 5


async def test_graphql_rate_limited_across_two_gateways_with_code_and_retry_after(  # type: ignore[no-untyped-def]
    make_runtime, gql_factory, new_tenant, prefix
):
    t = await new_tenant()
    clients = []
    for _ in range(2):  # two gateways on one database and one Redis
        rt = make_runtime(rate_limit_cost_per_minute=3, redis_url=REDIS_URL)
        rt.services["redis_buckets"] = RedisBuckets(REDIS_URL, prefix)
        clients.append((rt, gql_factory(rt)))
    try:
        (_, a), (_, b) = clients
        query = "query { unitCount }"  # costs 1
        answers = [await a(query, token=t.token), await b(query, token=t.token), await a(query, token=t.token)]
        assert answers == [{"data": {"unitCount": 0}}] * 3, answers
        refused = await b(query, token=t.token)
        errors = refused["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["RATE_LIMITED"], refused
        assert 0 < errors[0]["extensions"]["retryAfter"] <= 20  # 1 token at 3 per minute
    finally:
        for rt, _ in clients:
            await rt.services["redis_buckets"].close()


async def test_graphql_requests_succeed_when_redis_is_unreachable(make_runtime, gql_factory, new_tenant):  # type: ignore[no-untyped-def]
    t = await new_tenant()
    rt = make_runtime(redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    client = gql_factory(rt)
    try:
        assert await client("query { unitCount }", token=t.token) == {"data": {"unitCount": 0}}
    finally:
        await rt.services["redis_buckets"].close()
