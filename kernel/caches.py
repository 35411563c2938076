"""Bounded per-process caches for what is kept per tenant (casbin enforcers, rate buckets, data
keys): least recently used entries go first, so memory stays flat however many tenants a process
has served, and every cache reports its lookups and evictions to Prometheus.

``linli_tenant_cache_lookups_total{cache, outcome="hit"|"miss"}`` gives the hit rate
(``hit / (hit + miss)``); ``linli_tenant_cache_evictions_total{cache}`` and
``linli_tenant_cache_entries{cache}`` show whether the bound (``LINLI_TENANT_CACHE_SIZE``) is
too small for the tenants that are active at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kernel.metrics import tenant_cache_entries, tenant_cache_evictions, tenant_cache_lookups

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A least-recently-used map of at most ``max_entries`` entries, named ``name`` in metrics."""

    def __init__(self, name: str, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"cache {name!r}: max_entries must be at least 1, not {max_entries}")
        self.name = name
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._hit = tenant_cache_lookups.labels(name, "hit")
        self._miss = tenant_cache_lookups.labels(name, "miss")
        self._evicted = tenant_cache_evictions.labels(name)
        self._size = tenant_cache_entries.labels(name)

    def get(self, key: K, fresh: Callable[[V], bool] | None = None) -> V | None:
        """The entry (now the most recently used), or None — counted as a hit or a miss. An
        entry ``fresh`` rejects (stale) is a miss and is returned as None."""
        found = self._entries.get(key)
        if found is None or (fresh is not None and not fresh(found)):
            self.misses += 1
            self._miss.inc()
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        self._hit.inc()
        return found

    def put(self, key: K, value: V) -> None:
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)
            self.evictions += 1
            self._evicted.inc()
        self._size.set(len(entries))

    def pop(self, key: K) -> V | None:
        value = self._entries.pop(key, None)
        self._size.set(len(self._entries))
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def hit_rate(self) -> float:
        """Hits ÷ lookups since the cache was made (0.0 before any lookup)."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0
