"""Per-device and per-tenant token buckets for device messages (in-process).

Each process keeps its own buckets, like the GraphQL limiter; behind N gateways the effective
budget is N × the configured one. The maps are bounded: past ``max_keys`` they are reset, which
errs on the side of letting traffic through rather than growing without limit.
"""

from __future__ import annotations

import time


class Buckets:
    def __init__(self, rate_per_second: float, burst: float, max_keys: int = 200_000) -> None:
        self.rate = rate_per_second
        self.burst = float(burst)
        self.max_keys = max_keys
        self._state: dict[object, tuple[float, float]] = {}

    def take(self, key: object, n: float = 1.0, now: float | None = None) -> bool:
        """Take ``n`` tokens for ``key``; False (and nothing taken) if there are not enough."""
        now = time.monotonic() if now is None else now
        tokens, last = self._state.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < n:
            self._state[key] = (tokens, now)
            return False
        if len(self._state) >= self.max_keys and key not in self._state:
            self._state.clear()
        self._state[key] = (tokens - n, now)
        return True

    def give_back(self, key: object, n: float = 1.0) -> None:
        tokens, last = self._state.get(key, (self.burst, time.monotonic()))
        self._state[key] = (min(self.burst, tokens + n), last)


class DeviceRateLimiter:
    """A message is admitted only if both its device's and its tenant's bucket allow it."""

    def __init__(self, device_rate: float, device_burst: float, tenant_rate: float, tenant_burst: float) -> None:
        self.devices = Buckets(device_rate, device_burst)
        self.tenants = Buckets(tenant_rate, tenant_burst)

    def admit(self, tenant_id: object, device_id: object) -> str | None:
        """None if admitted, else the scope that refused (``"device"`` or ``"tenant"``)."""
        if not self.devices.take(device_id):
            return "device"
        if not self.tenants.take(tenant_id):
            self.devices.give_back(device_id)
            return "tenant"
        return None
