"""Live safety-alarm changes for staff (the ``safetyAlarmChanges`` subscription) in every process:
the service publishes a :class:`Change` on the SDK's tenant hub (channel
``linli_safety_alarms``) in the transaction of the change, so subscribers hear it once it
commits, and nothing for a rollback. Ids, type, severity and status only — no notes."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kernel.sdk import Event, TenantHub, tenant_hub
from kernel.sdk.runtime import Runtime

CHANNEL = "linli_safety_alarms"


@dataclass(frozen=True)
class Change:
    """One committed alarm change as live subscribers see it."""

    type: str
    tenant_id: uuid.UUID
    alarm_id: str
    alarm_type: str
    severity: str
    status: str
    community_id: str | None
    at: datetime

    @classmethod
    def of(cls, event: Event) -> Change:
        p = event.payload
        return cls(
            type=event.type,
            tenant_id=event.tenant_id,
            alarm_id=p["alarm_id"],
            alarm_type=p["alarm_type"],
            severity=p["severity"],
            status=p["status"],
            community_id=p.get("community_id"),
            at=event.occurred_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tenant_id": str(self.tenant_id), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(
            **{
                **data,
                "tenant_id": uuid.UUID(data["tenant_id"]),
                "at": datetime.fromisoformat(data["at"]),
            }
        )


def hub(runtime: Runtime) -> TenantHub[Change]:
    """The runtime's safety-alarm hub (subscribers: ``subscribe(tenant_id)``)."""
    return tenant_hub(runtime, CHANNEL, Change.from_json, queue_size=500)
