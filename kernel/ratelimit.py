"""Token buckets for every rate limit (the GraphQL cost budget, device messages): in-process by
default, shared by all processes through Redis when ``LINLI_REDIS_URL`` is set.

In-process buckets are cheap and lock-free, but each process keeps its own, so behind N gateways
the effective budget is N × the configured one. With Redis, one Lua script refills and charges
atomically, so every gateway and MQTT bridge draws on the same budget. A caller hands over a
whole batch of charges (the MQTT bridge: one per message) and gets one answer per charge back —
one round trip per batch, not per message.

A *charge* takes ``cost`` tokens from one or more buckets all-or-nothing (a device message takes
one from its device's and one from its tenant's bucket); the answer is ``(0, 0.0)`` if taken,
else ``(position of the first bucket that is short, 1-based; seconds until it would have
enough)``. A bucket holds at most ``burst`` tokens and refills at ``per_second``; a bucket
never seen is full. Redis keys expire once the bucket would be full again anyway, so idle
buckets cost nothing.

When Redis cannot be reached the buckets fall back to the in-process ones (never an error for
the request): the decisions are counted (``linli_rate_limit_fallback_total``), the failure is
logged (``rate_limit_redis_unavailable``, then ``rate_limit_redis_back``), and Redis is tried
again after ``RETRY_SECONDS``. Limits are then per process until it is back.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from kernel.metrics import (
    rate_limit_fallback,
    tenant_cache_entries,
    tenant_cache_evictions,
    tenant_cache_lookups,
)

log = structlog.get_logger("linli.ratelimit")
_RATE_HITS = tenant_cache_lookups.labels("rate_buckets", "hit")
_RATE_MISSES = tenant_cache_lookups.labels("rate_buckets", "miss")
_RATE_EVICTED = tenant_cache_evictions.labels("rate_buckets")
_RATE_SIZE = tenant_cache_entries.labels("rate_buckets")

#: How long to use the in-process buckets after Redis failed, before trying it again.
RETRY_SECONDS = 5.0
#: Redis calls give up after this long (connect or reply): a slow Redis must not stall requests.
REDIS_TIMEOUT_SECONDS = 0.5
#: Idle keys are kept at most this long (a bucket that never refills would otherwise stay forever).
MAX_TTL_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: float

    @property
    def ttl_ms(self) -> int:
        """How long an idle bucket is worth keeping: after that it would be full anyway."""
        if self.per_second <= 0:
            return MAX_TTL_MS
        return min(MAX_TTL_MS, math.ceil(self.burst / self.per_second * 1000) + 1000)


#: One bucket: its key (scope, id) and its rate.
Bucket = tuple[tuple[str, Hashable], Rate]
#: One charge: the buckets it takes from, all-or-nothing, and the cost.
Charge = tuple[Sequence[Bucket], float]
#: The answer to a charge: (0, 0.0) if taken, else (1-based position of the bucket short, seconds).
Verdict = tuple[int, float]
ADMITTED: Verdict = (0, 0.0)


#: In-process buckets kept by default (``LINLI_RATE_BUCKET_CACHE_SIZE``).
DEFAULT_MAX_KEYS = 100_000


class LocalBuckets:
    """In-process buckets, at most ``max_keys`` of them: past that the least recently used bucket
    is dropped (it starts full when its key comes back, which errs on the side of letting traffic
    through rather than growing without limit). Lookups and evictions are counted per batch as
    the ``rate_buckets`` cache (:mod:`kernel.caches`' metrics)."""

    def __init__(self, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.max_keys = max_keys
        self._state: OrderedDict[tuple[str, Hashable], tuple[float, float]] = OrderedDict()
        self.hits = self.misses = self.evictions = 0

    def __len__(self) -> int:
        return len(self._state)

    def take_many(self, charges: Sequence[Charge], now: float | None = None) -> list[Verdict]:
        now = time.monotonic() if now is None else now
        state = self._state
        get, touch = state.get, state.move_to_end
        verdicts: list[Verdict] = []
        misses = lookups = 0
        for buckets, cost in charges:
            levels: list[tuple[tuple[str, Hashable], float]] = []
            for key, rate in buckets:
                lookups += 1
                old = get(key)
                if old is None:
                    misses += 1
                    tokens = rate.burst
                else:
                    tokens = min(rate.burst, old[0] + (now - old[1]) * rate.per_second)
                if tokens < cost:  # refused: the buckets seen so far are refreshed, nothing taken
                    state[key] = (tokens, now)
                    touch(key)
                    for seen, level in levels:
                        state[seen] = (level, now)
                        touch(seen)
                    wait = (cost - tokens) / rate.per_second if rate.per_second > 0 else math.inf
                    verdicts.append((len(levels) + 1, wait))
                    break
                levels.append((key, tokens))
            else:
                for seen, level in levels:
                    state[seen] = (level - cost, now)
                    touch(seen)
                verdicts.append(ADMITTED)
        evicted = 0
        while len(state) > self.max_keys:
            state.popitem(last=False)
            evicted += 1
        self._count(lookups - misses, misses, evicted)
        return verdicts

    def _count(self, hits: int, misses: int, evicted: int) -> None:
        # once per batch, not per bucket: the MQTT bridge charges tens of thousands a second
        self.hits += hits
        self.misses += misses
        self.evictions += evicted
        if hits:
            _RATE_HITS.inc(hits)
        if misses:
            _RATE_MISSES.inc(misses)
        if evicted:
            _RATE_EVICTED.inc(evicted)
        _RATE_SIZE.set(len(self._state))


# KEYS: the buckets. ARGV (JSON, so that a batch of thousands is three arguments, not tens of
# thousands): [1] the rates [[per ms, burst, ttl ms], ...]; [2] per key, its rate's index;
# [3] the charges, flat: cost, number of buckets, their indexes into KEYS, ... Returns {one digit
# per charge (0 = taken, else the position of the bucket short; so at most 9 buckets a charge),
# the wait in ms of each refused charge (-1: never)}. Server time, so processes with skewed
# clocks agree.
_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local MAX_WAIT = 31536000000  -- a year in ms: the reply is an integer
local rates, rate_of, plan = cjson.decode(ARGV[1]), cjson.decode(ARGV[2]), cjson.decode(ARGV[3])
local nk = #KEYS
local rate, burst, ttl, tokens = {}, {}, {}, {}
for first = 1, nk, 1000 do  -- a bucket is one string "tokens last-refill-ms"; read 1000 at a time
  local last = math.min(nk, first + 999)
  local got = redis.call('MGET', unpack(KEYS, first, last))
  for i = first, last do
    local r = rates[rate_of[i]]
    rate[i], burst[i], ttl[i] = r[1], r[2], r[3]
    local v = got[i - first + 1]
    if v then
      local sp = string.find(v, ' ', 1, true)
      local level, ts = tonumber(string.sub(v, 1, sp - 1)), tonumber(string.sub(v, sp + 1))
      tokens[i] = math.min(burst[i], level + math.max(0, now - ts) * rate[i])
    else
      tokens[i] = burst[i]
    end
  end
end
local codes, waits = {}, {}
local p, n = 1, #plan
while p <= n do
  local cost, m = plan[p], plan[p + 1]
  local short = 0
  for j = 1, m do
    local k = plan[p + 1 + j]
    if tokens[k] < cost then
      short = j
      if rate[k] > 0 then
        waits[#waits + 1] = math.min(MAX_WAIT, math.ceil((cost - tokens[k]) / rate[k]))
      else
        waits[#waits + 1] = -1
      end
      break
    end
  end
  if short == 0 then
    for j = 1, m do
      local k = plan[p + 1 + j]
      tokens[k] = tokens[k] - cost
    end
  end
  codes[#codes + 1] = short
  p = p + 2 + m
end
for i = 1, nk do
  redis.call('SET', KEYS[i], string.format('%.17g %.17g', tokens[i], now), 'PX', ttl[i])
end
return {table.concat(codes), waits}
"""


class RedisBuckets:
    """The buckets in Redis (one client per process, shared by every limiter). ``take_many``
    returns None when Redis cannot answer; the caller then decides in-process."""

    def __init__(self, url: str, prefix: str = "linli:rl") -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.prefix = prefix
        # No retries: a failure goes to the in-process fallback at once, and is retried later.
        self.client = Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self.script = self.client.register_script(_SCRIPT)  # EVALSHA, loaded again on NOSCRIPT
        self._down_until = 0.0

    async def take_many(self, charges: Sequence[Charge]) -> list[Verdict] | None:
        if time.monotonic() < self._down_until:
            return None
        index: dict[tuple[str, Hashable], int] = {}
        keys: list[str] = []
        rates: dict[Rate, int] = {}
        rate_of: list[int] = []
        plan: list[float] = []
        prefix = self.prefix
        for buckets, cost in charges:
            plan += (cost, len(buckets))
            for key, rate in buckets:
                i = index.get(key)
                if i is None:
                    i = index[key] = len(keys) + 1
                    keys.append(f"{prefix}:{key[0]}:{key[1]}")
                    rate_of.append(rates.setdefault(rate, len(rates) + 1))
                plan.append(i)
        limits = [(r.per_second / 1000, r.burst, r.ttl_ms) for r in rates]
        try:
            codes, waits = await self.script(keys=keys, args=[orjson.dumps(limits), orjson.dumps(rate_of), orjson.dumps(plan)])
        except Exception as exc:  # unreachable, timed out, refused: decide in-process for a while
            self._down_until = time.monotonic() + RETRY_SECONDS
            log.warning("rate_limit_redis_unavailable", error=type(exc).__name__, retry_in_s=RETRY_SECONDS)
            return None
        if self._down_until:
            self._down_until = 0.0
            log.info("rate_limit_redis_back")
        wait_iter = iter(waits)
        return [ADMITTED if c == 48 else (c - 48, _seconds(next(wait_iter))) for c in codes]

    async def close(self) -> None:
        await self.client.aclose()


def _seconds(ms: int) -> float:
    return math.inf if ms < 0 else ms / 1000


class Buckets:
    """One limiter's buckets: in Redis when configured (falling back to its own in-process
    buckets while Redis is unavailable), else in-process."""

    def __init__(self, shared: RedisBuckets | None = None, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.shared = shared
        self.local = LocalBuckets(max_keys)

    async def take_many(self, charges: Sequence[Charge]) -> list[Verdict]:
        if not charges:
            return []
        if self.shared is not None:
            verdicts = await self.shared.take_many(charges)
            if verdicts is not None:
                return verdicts
            rate_limit_fallback.inc(len(charges))
        return self.local.take_many(charges)


def buckets_for(runtime: Any) -> Buckets:
    """Fresh buckets for one limiter of ``runtime``: in Redis when ``LINLI_REDIS_URL`` is set
    (one client per process, kept in ``runtime.services["redis_buckets"]``), else in-process."""
    url = runtime.settings.redis_url
    max_keys = runtime.settings.rate_bucket_cache_size
    if not url:
        return Buckets(max_keys=max_keys)
    shared = runtime.services.get("redis_buckets")
    if shared is None:
        shared = runtime.services["redis_buckets"] = RedisBuckets(url)
    return Buckets(shared, max_keys=max_keys)


async def close(runtime: Any) -> None:
    shared = runtime.services.pop("redis_buckets", None)
    if shared is not None:
        await shared.close()
