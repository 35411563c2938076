"""The consent this plugin processes health and activity data under (PIPL Art. 28: sensitive
personal information, separate consent), and the checks every processing path makes."""

from __future__ import annotations

import uuid
from typing import Any

from kernel.sdk import ConsentPurpose, Forbidden, require_consent

PURPOSE = "care.health_monitoring"

HEALTH_MONITORING = ConsentPurpose(
    key=PURPOSE,
    description=(
        "居家养老看护：处理您的健康状况、居家活动规律（手环、门磁、水表、智能插座等设备数据）、每日报平安"
        "记录和紧急联系人信息，仅用于紧急告警、上门服务和看护计划；您可随时撤回，撤回后立即停止处理。"
    ),
    categories=("health", "behaviour", "location", "contact"),
    sensitive=True,
    wording_version="1",
    title_zh="居家养老看护",
    title_en="Home care monitoring",
)


async def consents(session: Any, person_id: uuid.UUID) -> bool:
    """Whether the person currently consents (for jobs and handlers, which skip instead of failing)."""
    try:
        await require_consent(session, person_id, PURPOSE)
    except Forbidden:
        return False
    return True
