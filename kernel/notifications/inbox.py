"""The in-app inbox's live signal: "these logins got these notifications", committed anywhere in
the deployment, reaching the ``notificationReceived`` subscribers of every gateway.

It rides the runtime's :class:`kernel.notify.TenantHub` on channel ``linli_inbox`` (PostgreSQL
LISTEN/NOTIFY; in-process after commit on SQLite), like work-order changes and device events.
A signal carries ids only — never a subject, a body or a contact — and one signal names up to
:data:`PER_SIGNAL` logins, so a notice to a thousand residents is a handful of notifications,
not a thousand. Live, not durable: the inbox itself (``myNotifications``) is the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kernel.notify import TenantHub, tenant_hub

CHANNEL = "linli_inbox"
#: Logins per signal: (36-char id + quotes) × 2 per login stays well under 8,000 bytes.
PER_SIGNAL = 80


@dataclass(frozen=True)
class InboxSignal:
    tenant_id: uuid.UUID
    #: ``(account_id, notification_id)`` pairs as strings.
    deliveries: tuple[tuple[str, str], ...]
    type: str = "notification.received"

    def to_json(self) -> dict[str, Any]:
        return {"tenant_id": str(self.tenant_id), "deliveries": [list(d) for d in self.deliveries]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboxSignal:
        return cls(tenant_id=uuid.UUID(data["tenant_id"]), deliveries=tuple((a, n) for a, n in data["deliveries"]))


def hub(runtime: Any) -> TenantHub[InboxSignal]:
    return tenant_hub(runtime, CHANNEL, InboxSignal.from_json, queue_size=1000)


async def announce(runtime: Any, session: Any, tenant_id: uuid.UUID, deliveries: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Signal the inbox subscribers once ``session``'s transaction commits."""
    pairs = [(str(a), str(n)) for a, n in deliveries]
    for i in range(0, len(pairs), PER_SIGNAL):
        await hub(runtime).publish(session, InboxSignal(tenant_id, tuple(pairs[i : i + PER_SIGNAL])))
