"""Live bill changes for their payers (the ``myBillChanges`` GraphQL subscription), in every
process of the deployment.

A payment recorded against a bill (:func:`plugins.fees.service.apply_payment`: the provider's
webhook or the counter) publishes a :class:`BillChange` on the runtime's notifier (channel
``linli_fee_bill_changes``: PostgreSQL ``LISTEN/NOTIFY``, in-process after commit on SQLite)
in the payment's transaction — nothing for one that rolls back. A change carries ids, the
status and the amounts, never who paid or the receipt; the subscription passes a subscriber
only the changes of the units they own. Live, not durable (see :mod:`kernel.sdk.live`).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from kernel.sdk import TenantHub, tenant_hub, utcnow
from kernel.sdk.runtime import Runtime

CHANNEL = "linli_fee_bill_changes"


@dataclass(frozen=True)
class BillChange:
    type: str
    tenant_id: uuid.UUID
    bill_id: str
    unit_id: str
    status: str
    amount: int
    paid: int
    at: datetime

    @classmethod
    def of(cls, bill: Any) -> BillChange:
        return cls(
            type="fee.bill_changed",
            tenant_id=bill.tenant_id,
            bill_id=str(bill.id),
            unit_id=str(bill.unit_id),
            status=bill.status,
            amount=bill.amount,
            paid=bill.paid,
            at=utcnow(),
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tenant_id": str(self.tenant_id), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BillChange:
        return cls(
            **{
                **data,
                "tenant_id": uuid.UUID(data["tenant_id"]),
                "at": datetime.fromisoformat(data["at"]),
            }
        )


def hub(runtime: Runtime) -> TenantHub[BillChange]:
    """The runtime's bill change hub (subscribers: ``subscribe(tenant_id)``)."""
    return tenant_hub(runtime, CHANNEL, BillChange.from_json, queue_size=200)
