"""Device operations over the kernel's device registry (:mod:`kernel.sdk.devices`). Flush,
never commit; validate before writing.

Each change is audited here, in the change's transaction (``device.provisioned``,
``device.token_rotated``, ``device.token_revoked``, ``device.alarm_acknowledged``,
``device.alarm_cleared``), and a token change is announced to the MQTT broker
(:func:`kernel.sdk.devices.broker_credentials_changed`, sent only when the transaction commits),
so a revoked or rotated token is refused at once. The alarm lifecycle publishes its own events
(``device.alarm_acknowledged`` / ``device.alarm_cleared``) from the registry.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import audit, devices
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.devices.inputs import NewDevice, command_params


async def _audit(
    session: AsyncSession, tenant_id: uuid.UUID, actor: str, action: str, target: uuid.UUID
) -> None:
    await audit(session, tenant_id=tenant_id, actor=actor, action=action, target=str(target))


async def provision(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    name: str,
    type: str,
    place_kind: str,
    place_id: uuid.UUID,
    community_id: uuid.UUID | None,
    serial: str = "",
    inactivity_timeout_seconds: int | None = None,
    actor: str,
) -> tuple[Any, str]:
    """Register a device at a place (validated by :class:`plugins.devices.inputs.NewDevice`)
    and issue its first token: ``(device, token)`` — the token is shown once, only its digest
    is stored. Audited as ``device.provisioned``."""
    catalog = devices.profiles(runtime)
    spec = parse_input(
        NewDevice,
        known_types=tuple(p.type for p in catalog.all()),
        name=name,
        type=type,
        serial=serial,
        inactivity_timeout_seconds=inactivity_timeout_seconds,
    )
    row, token = await devices.provision(
        session,
        catalog,
        tenant_id=tenant_id,
        name=spec.name,
        type=spec.type,
        place_kind=place_kind,
        place_id=place_id,
        community_id=community_id,
        serial=spec.serial,
        inactivity_timeout_seconds=spec.inactivity_timeout_seconds,
    )
    await devices.broker_credentials_changed(
        runtime, added=[devices.token_digest(token)], session=session
    )
    await _audit(session, tenant_id, actor, "device.provisioned", row.id)
    return row, token


async def rotate_token(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    actor: str,
) -> tuple[Any, str]:
    """Replace a device's token (the old one stops working at once): ``(device, new token)``.
    Audited as ``device.token_rotated``."""
    row, token, old = await devices.rotate(session, device_id)
    await devices.broker_credentials_changed(
        runtime, added=[devices.token_digest(token)], removed=old, session=session
    )
    await _audit(session, tenant_id, actor, "device.token_rotated", row.id)
    return row, token


async def revoke_token(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    actor: str,
) -> Any:
    """Revoke a device's token: HTTP and MQTT refuse it at once. Audited as
    ``device.token_revoked``."""
    row, old = await devices.revoke(session, device_id)
    await devices.broker_credentials_changed(runtime, removed=old, session=session)
    await _audit(session, tenant_id, actor, "device.token_revoked", row.id)
    return row


async def acknowledge_alarm(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    alarm_id: uuid.UUID,
    actor: str,
) -> Any:
    """Acknowledge an open alarm (the registry publishes ``device.alarm_acknowledged``).
    Audited as ``device.alarm_acknowledged``."""
    row = await devices.acknowledge_alarm(session, runtime, alarm_id, actor)
    await _audit(session, tenant_id, actor, "device.alarm_acknowledged", row.id)
    return row


async def clear_alarm(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    alarm_id: uuid.UUID,
    actor: str,
) -> Any:
    """Clear an alarm (the registry publishes ``device.alarm_cleared``). Audited as
    ``device.alarm_cleared``."""
    row = await devices.clear_alarm(session, runtime, alarm_id, actor)
    await _audit(session, tenant_id, actor, "device.alarm_cleared", row.id)
    return row


async def send_command(
    session: AsyncSession,
    runtime: Runtime,
    *,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    method: str,
    params: Any,
    timeout_seconds: int | None,
    actor: str,
    waiting: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
) -> Any:
    """Queue a command (RPC) for a device; it is committed at once, in a session of its own
    (not with the caller's transaction). With ``waiting`` (the request's bounded wait slot) the
    answer is awaited up to the command's timeout, holding no pooled connection meanwhile."""
    params = command_params(params)
    # the caller's own session must see the device first (tenant scope + RLS), so a foreign id
    # is NOT_FOUND before anything is queued
    await devices.get_device(session, device_id)
    async with waiting() if waiting is not None else contextlib.nullcontext():
        call = await devices.send_command(
            runtime,
            tenant_id,
            device_id,
            method,
            params,
            timeout_seconds=timeout_seconds,
            actor=actor,
        )
        if waiting is not None:
            left = (call.expires_at - datetime.now(UTC)).total_seconds()
            call = await devices.wait_command(runtime, tenant_id, call.id, left)
    return call
