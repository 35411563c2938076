"""The activity job: marks devices offline after their inactivity timeout (``device.offline``
events) and raises missing-data alarms. Runs every ``LINLI_DEVICES_ACTIVITY_CHECK_SECONDS`` in
the scheduler of ``linli serve`` / ``linli worker``, tenant by tenant (row-level security on).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kernel.db.base import utcnow
from kernel.devices import alarms, events
from kernel.devices.models import Device, LatestTelemetry
from kernel.devices.profiles import catalog
from kernel.tenancy import Tenant, TenantStatus


async def active_tenants(runtime: Any) -> list[uuid.UUID]:
    async with runtime.db.platform() as s:
        return list((await s.scalars(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE))).all())


async def check_tenant(runtime: Any, tenant_id: uuid.UUID, now: datetime | None = None) -> dict[str, int]:
    """Run the checks for one tenant; returns counts of what changed."""
    now = now or utcnow()
    profiles = catalog(runtime)
    went_offline = raised = 0
    async with runtime.db.tenant(tenant_id) as s:
        devices = list(await s.scalars(select(Device).where(Device.revoked_at.is_(None))))
        for device in devices:
            profile = profiles.get(device.type)
            if profile is None:
                continue
            timeout = device.inactivity_timeout_seconds or profile.inactivity_timeout_seconds
            if device.online and device.last_activity_at and device.last_activity_at < now - timedelta(seconds=timeout):
                device.online = False
                went_offline += 1
                await events.publish(runtime, s, "device.offline", tenant_id, {"device_id": str(device.id), "name": device.name})
            missing = [r for r in profile.alarms if r.kind == "missing"]
            if not missing:
                continue
            latest = {
                k: ts
                for k, ts in (await s.execute(select(LatestTelemetry.key, LatestTelemetry.ts).where(LatestTelemetry.device_id == device.id))).all()
            }
            for rule in missing:
                if rule.key is None:
                    last_seen = device.last_activity_at or device.created_at
                else:
                    ts = latest.get(rule.key)
                    last_seen = datetime.fromtimestamp(ts / 1000, tz=now.tzinfo) if ts else device.created_at
                if last_seen < now - timedelta(seconds=rule.duration_seconds):
                    _, new = await alarms.raise_alarm(
                        s, runtime, device, rule, {"key": rule.key, "last_seen": last_seen.isoformat()}
                    )
                    raised += int(new)
        from kernel.devices import rpc

        expired = await rpc.expire(runtime, s)
    return {"offline": went_offline, "raised": raised, "commands_timed_out": expired}


async def run(runtime: Any) -> None:
    """The scheduled job: every active tenant."""
    for tenant_id in await active_tenants(runtime):
        await check_tenant(runtime, tenant_id)
