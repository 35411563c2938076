"""Per-device and per-tenant rate limits for device messages, on :mod:`kernel.ratelimit`'s
buckets: in-process by default, shared by every gateway and MQTT bridge when
``LINLI_REDIS_URL`` is set.

A message is admitted only if both its device's and its tenant's bucket allow it; a message the
tenant's bucket refuses takes nothing from the device's. The MQTT bridge asks for a whole batch
at once (:meth:`DeviceRateLimiter.admit_many`): with Redis that is one round trip per batch, in
message order, as if asked one by one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from kernel.ratelimit import Buckets, Charge, Rate

_SCOPES = (None, "device", "tenant")


class DeviceRateLimiter:
    def __init__(
        self, device_rate: float, device_burst: float, tenant_rate: float, tenant_burst: float, buckets: Buckets | None = None
    ) -> None:
        self.device_rate = Rate(device_rate, float(device_burst))
        self.tenant_rate = Rate(tenant_rate, float(tenant_burst))
        self.buckets = buckets or Buckets()

    async def admit_many(self, messages: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> list[str | None]:
        """For each (tenant, device) message in order: None if admitted, else the scope that
        refused (``"device"`` or ``"tenant"``)."""
        d, t = self.device_rate, self.tenant_rate
        charges: list[Charge] = [(((("device", device), d), (("tenant", tenant), t)), 1.0) for tenant, device in messages]
        return [_SCOPES[position] for position, _ in await self.buckets.take_many(charges)]

    async def admit(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> str | None:
        """One message (the HTTP device API): None if admitted, else the scope that refused."""
        return (await self.admit_many([(tenant_id, device_id)]))[0]
