"""Safety KPI for the street office: how fast alarms are acknowledged (from the SDK's escalations)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kernel.sdk.escalation import acknowledgement_samples
from kernel.sdk.regulator import MEDIAN, KpiSample, RegulatorKpi
from plugins.safety.escalation import SOURCE


async def ack_samples(session: Any, community_ids: Sequence[uuid.UUID], since: datetime, until: datetime) -> list[KpiSample]:
    return await acknowledgement_samples(session, source=SOURCE, community_ids=community_ids, since=since, until=until)


KPIS = [
    RegulatorKpi("safety.alarm_ack_seconds", "安防告警确认用时", "seconds", MEDIAN, ack_samples, personal=False,
                 description="Median seconds from a safety alarm's escalation to its acknowledgement (alarms concern places, not persons)."),
]
