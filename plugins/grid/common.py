"""What every grid operation shares: auditing (``grid.<action>``, never with personal data),
events on the bus (ids and facts only), sealing sensitive fields with the tenant's key."""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import Event, audit


async def record(session: Any, actor: str, action: str, target: uuid.UUID, **detail: Any) -> None:
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"grid.{action}",
        target=str(target),
        detail=detail,
    )


async def publish(
    session: Any, bus: Any, kind: str, payload: dict[str, Any], actor: str = "system"
) -> None:
    """``kind`` (a full event type) on the bus, in the change's transaction."""
    await bus.publish(session, Event(kind, session.info["tenant_id"], payload, actor=actor))


def seal(vault: Any, tenant_id: uuid.UUID, text: str | None) -> str | None:
    """The encrypted form of ``text`` (``None`` or empty stays ``None``)."""
    return vault.encrypt(tenant_id, text) if text else None


def unseal(vault: Any, tenant_id: uuid.UUID, token: str | None) -> str | None:
    return vault.decrypt(tenant_id, token) if token else None
