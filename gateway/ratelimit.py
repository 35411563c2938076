"""Per-tenant token buckets priced by query cost (in-process).

Each process keeps its own buckets; with N gateway processes behind a balancer the effective
budget is N × the configured one. See docs/architecture.md for the Redis-backed option.
"""

from __future__ import annotations

import time


class TokenBuckets:
    def __init__(self, capacity: int, refill_per_second: float, max_keys: int = 100_000) -> None:
        self.capacity = capacity
        self.refill = refill_per_second
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}

    def charge(self, key: str, cost: int) -> float | None:
        """Take ``cost`` tokens; returns None if allowed, else seconds until it would be."""
        now = time.monotonic()
        tokens, last = self._state.get(key, (float(self.capacity), now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill)
        if tokens < cost:
            self._state[key] = (tokens, now)
            return (cost - tokens) / self.refill if self.refill else float("inf")
        if len(self._state) >= self.max_keys and key not in self._state:
            self._state.clear()
        self._state[key] = (tokens - cost, now)
        return None
