"""Live occupancy per lot (the ``parkingOccupancyChanges`` subscription) in every process: a
plate read that lets a car in or out publishes a :class:`Change` of its lot on the SDK's tenant
hub (channel ``linli_parking_occupancy``) in the read's transaction, so subscribers hear it once
it commits and nothing for a rollback. The change names the lot only — no plate; a subscriber
counts the lot again from committed rows, so concurrent reads can never leave it on a stale
count (the last change it hears is counted after the last commit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel.sdk import TenantHub, tenant_hub, utcnow
from kernel.sdk.runtime import Runtime

CHANNEL = "linli_parking_occupancy"


@dataclass(frozen=True)
class Change:
    """A lot whose occupancy changed (a car entered or left)."""

    tenant_id: uuid.UUID
    lot_id: uuid.UUID
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant_id": str(self.tenant_id),
            "lot_id": str(self.lot_id),
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            uuid.UUID(data["tenant_id"]),
            uuid.UUID(data["lot_id"]),
            datetime.fromisoformat(data["at"]),
        )


def hub(runtime: Runtime) -> TenantHub[Change]:
    """The runtime's occupancy hub (subscribers: ``subscribe(tenant_id)``)."""
    return tenant_hub(runtime, CHANNEL, Change.from_json, queue_size=1000)


async def lot_changed(runtime: Runtime, session: Any, tenant_id: uuid.UUID, lot_id: uuid.UUID) -> None:
    """Announce, after commit, that a car entered or left ``lot_id``."""
    await hub(runtime).publish(session, Change(tenant_id, lot_id, utcnow()))
