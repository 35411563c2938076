"""The device registry: provisioning, token rotation and revocation, token lookup.

A device token is opaque (ThingsBoard-compatible: firmware sends it as the URL segment or the
MQTT username). It is shown once at provisioning or rotation; only its SHA-256 digest is kept, in
the global ``device_credentials`` table, which maps it to the tenant and device **before** any
tenant is known. Deleting that row revokes the token at once for HTTP and (through the broker
credential sync, see :mod:`kernel.devices.broker`) for MQTT.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.devices.models import PLACE_KINDS, Device, DeviceCredential
from kernel.devices.profiles import ProfileCatalog
from kernel.errors import BadUserInput, NotFound
from kernel.identity.tokens import digest

TOKEN_BYTES = 24
TOKEN_HINT_CHARS = 4


@dataclass(frozen=True)
class DeviceIdentity:
    """Who a device token belongs to."""

    tenant_id: uuid.UUID
    device_id: uuid.UUID
    token_digest: str
    tenant_active: bool = True


def new_token() -> str:
    """A fresh opaque device token (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def _issue(session: AsyncSession, device: Device) -> tuple[str, str]:
    token = new_token()
    token_digest = digest(token)
    session.add(DeviceCredential(token_digest=token_digest, tenant_id=device.tenant_id, device_id=device.id))
    device.token_hint = token[:TOKEN_HINT_CHARS]
    device.revoked_at = None
    await session.flush()
    return token, token_digest


async def provision(
    session: AsyncSession,
    catalog: ProfileCatalog,
    *,
    tenant_id: uuid.UUID,
    name: str,
    type: str,
    place_kind: str,
    place_id: uuid.UUID,
    community_id: uuid.UUID | None = None,
    serial: str = "",
    inactivity_timeout_seconds: int | None = None,
) -> tuple[Device, str]:
    """Register a device and issue its first token. Returns ``(device, token)``; the token is
    not stored and cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadUserInput("a device name is 1–200 characters", field="name")
    if type not in catalog:
        known = ", ".join(p.type for p in catalog.all())
        raise BadUserInput(f"no device profile {type!r}; known profiles: {known}", field="type")
    if place_kind not in PLACE_KINDS:
        raise BadUserInput(f"a device's place is one of {', '.join(PLACE_KINDS)}", field="placeKind")
    if inactivity_timeout_seconds is not None and not 10 <= inactivity_timeout_seconds <= 7 * 86400:
        raise BadUserInput("the inactivity timeout is 10 s to 7 days", field="inactivityTimeoutSeconds")
    device = Device(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=name,
        type=type,
        place_kind=place_kind,
        place_id=place_id,
        community_id=community_id,
        serial=serial.strip()[:64],
        inactivity_timeout_seconds=inactivity_timeout_seconds,
        attributes={},
    )
    session.add(device)
    await session.flush()
    token, _ = await _issue(session, device)
    return device, token


async def get_device(session: AsyncSession, device_id: uuid.UUID) -> Device:
    """The device in the session's tenant, or NOT_FOUND (also for another tenant's id)."""
    device = await session.scalar(select(Device).where(Device.id == device_id))
    if device is None:
        raise NotFound("no such device")
    return device


async def current_digests(session: AsyncSession, device: Device) -> list[str]:
    rows = await session.scalars(
        select(DeviceCredential.token_digest).where(
            DeviceCredential.tenant_id == device.tenant_id, DeviceCredential.device_id == device.id
        )
    )
    return list(rows)


async def rotate(session: AsyncSession, device_id: uuid.UUID) -> tuple[Device, str, list[str]]:
    """Replace the device's token. Returns ``(device, new token, revoked digests)``."""
    device = await get_device(session, device_id)
    old = await _delete_credentials(session, device)
    token, _ = await _issue(session, device)
    return device, token, old


async def revoke(session: AsyncSession, device_id: uuid.UUID) -> tuple[Device, list[str]]:
    """Revoke the device's token: it stops working at once. Returns ``(device, revoked digests)``."""
    device = await get_device(session, device_id)
    old = await _delete_credentials(session, device)
    device.revoked_at = utcnow()
    device.token_hint = None
    device.online = False
    await session.flush()
    return device, old


async def _delete_credentials(session: AsyncSession, device: Device) -> list[str]:
    old = await current_digests(session, device)
    await session.execute(
        delete(DeviceCredential).where(
            DeviceCredential.tenant_id == device.tenant_id, DeviceCredential.device_id == device.id
        )
    )
    return old


async def identify(db: Any, token: str) -> DeviceIdentity | None:
    """Resolve a token to its tenant and device (one primary-key read on the global table)."""
    if not token or len(token) > 128:
        return None
    token_digest = digest(token)
    return await identify_digest(db, token_digest)


async def identify_digest(db: Any, token_digest: str) -> DeviceIdentity | None:
    from kernel.tenancy import Tenant, TenantStatus

    async with db.platform() as s:
        row = (
            await s.execute(
                select(DeviceCredential.tenant_id, DeviceCredential.device_id, Tenant.status)
                .join(Tenant, Tenant.id == DeviceCredential.tenant_id)
                .where(DeviceCredential.token_digest == token_digest)
            )
        ).first()
    if row is None:
        return None
    return DeviceIdentity(row[0], row[1], token_digest, row[2] == TenantStatus.ACTIVE)
