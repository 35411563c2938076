"""The GraphQL budget: per-tenant token buckets priced by query cost, on
:mod:`kernel.ratelimit`'s buckets — in-process by default (behind N gateways the budget is then
N × the configured one), shared by all gateways when ``LINLI_REDIS_URL`` is set."""

from __future__ import annotations

from kernel.ratelimit import Buckets, Rate


class TokenBuckets:
    def __init__(self, capacity: int, refill_per_second: float, buckets: Buckets | None = None) -> None:
        self.rate = Rate(refill_per_second, float(capacity))
        self.buckets = buckets or Buckets()

    async def charge(self, key: str, cost: int) -> float | None:
        """Take ``cost`` tokens from ``key``'s budget; None if allowed, else seconds until it would be."""
        [(short, wait)] = await self.buckets.take_many([(((("graphql", key), self.rate),), cost)])
        return wait if short else None
