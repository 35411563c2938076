"""What every participation operation shares: the audit entry and the event, both in the
change's transaction, with ids and facts only (no personal data, no comment text)."""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import Event, audit


async def audited(session: Any, actor: str, action: str, target: uuid.UUID, **detail: Any) -> None:
    """``participation.<action>`` in the tenant's audit log."""
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"participation.{action}",
        target=str(target),
        detail=detail,
    )


async def publish(
    session: Any, bus: Any, kind: str, payload: dict[str, Any], actor: str = "system"
) -> None:
    """``participation.<kind>`` on the bus, delivered after commit through the outbox."""
    await bus.publish(
        session, Event(f"participation.{kind}", session.info["tenant_id"], payload, actor=actor)
    )
