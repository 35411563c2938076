"""Reading devices and alarms: the row-level access rules live here, once.

Devices and their alarms are staff data: ``devices:read`` sees every device of the tenant and
``alarms:read`` every alarm; nobody else sees any (a caller without the permission gets
FORBIDDEN from the field's permission first, so the rule is the second line of defence). The
models are the kernel's device registry, reached through :mod:`kernel.sdk.devices`; the session
is already scoped to one tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, select

from kernel.sdk import devices
from kernel.sdk.repository import Repository, Viewer


def _only_with(stmt: Select[Any], actor: Viewer, obj: str) -> Select[Any]:
    return stmt if actor.allowed(obj, "read") else stmt.where(false())


def _narrowed(stmt: Select[Any], filters: Select[Any]) -> Select[Any]:
    """``stmt`` with the WHERE clause of the registry's filter statement (the filters are the
    kernel's, :func:`kernel.sdk.devices.devices_query` / ``alarms_query``)."""
    clause = filters.whereclause
    return stmt if clause is None else stmt.where(clause)


class DeviceRepository(Repository[Any]):
    """Devices of the tenant (``kernel.sdk.devices.Device``)."""

    model = devices.Device

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _only_with(self.base_statement(), actor, "devices")

    def filtered(
        self,
        actor: Viewer,
        *,
        type: str | None = None,
        place_id: uuid.UUID | None = None,
        community_id: uuid.UUID | None = None,
        online: bool | None = None,
        revoked: bool | None = None,
        search: str | None = None,
    ) -> Select[Any]:
        """The devices ``actor`` may read, narrowed by the list's filters (unordered: the caller
        paginates). ``search`` matches a part of the name literally."""
        filters = devices.devices_query(
            type=type,
            place_id=place_id,
            community_id=community_id,
            online=online,
            revoked=revoked,
            search=search,
        )
        return _narrowed(self.readable_statement(actor), filters)


class AlarmRepository(Repository[Any]):
    """Device alarms of the tenant (``kernel.sdk.devices.DeviceAlarm``)."""

    model = devices.DeviceAlarm

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _only_with(self.base_statement(), actor, "alarms")

    def filtered(
        self,
        actor: Viewer,
        *,
        status: str | None = None,
        severity: str | None = None,
        device_id: uuid.UUID | None = None,
        open_only: bool = False,
        community_id: uuid.UUID | None = None,
    ) -> Select[Any]:
        """The alarms ``actor`` may read, narrowed by the list's filters (unordered);
        ``community_id``: of the devices placed in that community only."""
        filters = devices.alarms_query(
            status=status, severity=severity, device_id=device_id, open_only=open_only
        )
        stmt = _narrowed(self.readable_statement(actor), filters)
        if community_id is not None:
            stmt = stmt.where(
                devices.DeviceAlarm.device_id.in_(
                    select(devices.Device.id).where(devices.Device.community_id == community_id)
                )
            )
        return stmt
