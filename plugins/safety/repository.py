"""Reading safety alarms and rule settings: the row-level access rules live here, once.

Safety alarms are staff data: ``safety:read`` sees every alarm of the firm; nobody else sees
any (a caller without it gets FORBIDDEN from the field's permission first, and NOT_FOUND for an
id through any other path)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false

from kernel.sdk.repository import Repository, Viewer
from plugins.safety.models import SafetyAlarm, SafetyRuleSetting
from plugins.safety.vocabulary import OPEN_STATUSES


def _staff_only(stmt: Select[Any], actor: Viewer) -> Select[Any]:
    return stmt if actor.allowed("safety", "read") else stmt.where(false())


class AlarmRepository(Repository[SafetyAlarm]):
    model = SafetyAlarm

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _staff_only(self.base_statement(), actor)

    def filtered(
        self,
        actor: Viewer,
        *,
        type: str | None = None,
        severity: str | None = None,
        status: str | None = None,
        open_only: bool = False,
        community_id: uuid.UUID | None = None,
        building_id: uuid.UUID | None = None,
        device_id: uuid.UUID | None = None,
        false_alarm: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Select[Any]:
        """The alarms ``actor`` may read, narrowed by the list's filters."""
        stmt = self.readable_statement(actor)
        for column, value in (
            (SafetyAlarm.type, type),
            (SafetyAlarm.severity, severity),
            (SafetyAlarm.status, status),
            (SafetyAlarm.community_id, community_id),
            (SafetyAlarm.building_id, building_id),
            (SafetyAlarm.device_id, device_id),
            (SafetyAlarm.false_alarm, false_alarm),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if open_only:
            stmt = stmt.where(SafetyAlarm.status.in_(OPEN_STATUSES))
        if since is not None:
            stmt = stmt.where(SafetyAlarm.raised_at >= since)
        if until is not None:
            stmt = stmt.where(SafetyAlarm.raised_at < until)
        return stmt


class RuleSettingRepository(Repository[SafetyRuleSetting]):
    model = SafetyRuleSetting

    def readable_statement(self, actor: Viewer) -> Select[Any]:
        return _staff_only(self.base_statement(), actor)
