"""The consents this plugin processes sensitive personal data under (PIPL Art. 28: separate
consent): a grid worker's location at a patrol check-in, and a vulnerable resident's follow-up."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kernel.sdk import ConsentPurpose, Forbidden, require_consent
from kernel.sdk.estate import Person

PATROL_LOCATION = "grid.patrol_location"
VULNERABLE_FOLLOW_UP = "grid.vulnerable_follow_up"

PURPOSES = (
    ConsentPurpose(
        key=PATROL_LOCATION,
        description=(
            "网格巡查定位：在您扫描巡查点二维码或NFC标签时记录您当时的位置，仅用于证明巡查到位；"
            "不提供位置也可以打卡。您可随时撤回，撤回后不再记录位置。"
        ),
        categories=("location",),
        sensitive=True,
        wording_version="1",
        title_zh="网格巡查定位",
        title_en="Patrol check-in location",
    ),
    ConsentPurpose(
        key=VULNERABLE_FOLLOW_UP,
        description=(
            "网格关爱走访：将您登记为需关注的居民（独居老人、残疾人、留守儿童等），据此安排网格员定期走访"
            "并记录走访情况；您可随时撤回，撤回后暂停走访安排。"
        ),
        categories=("health", "identity"),
        sensitive=True,
        wording_version="1",
        title_zh="网格关爱走访",
        title_en="Vulnerable resident follow-up",
    ),
)


async def person_of_account(session: Any, account_id: uuid.UUID | None) -> uuid.UUID | None:
    """The register person linked to a login (``None`` when there is none)."""
    if account_id is None:
        return None
    return await session.scalar(select(Person.id).where(Person.account_id == account_id).limit(1))  # type: ignore[no-any-return]


async def require_location_consent(session: Any, account_id: uuid.UUID | None) -> None:
    """FORBIDDEN (reason ``consent_required``) unless the worker's register person consented to
    ``grid.patrol_location``; a login without a register person cannot have consented."""
    person_id = await person_of_account(session, account_id)
    if person_id is None:
        raise Forbidden(
            "recording a location needs your consent (grid.patrol_location); you have none on record",
            reason="consent_required",
        )
    await require_consent(session, person_id, PATROL_LOCATION)


async def consents(session: Any, person_id: uuid.UUID, purpose: str) -> bool:
    """Whether the person consents now (jobs skip instead of failing)."""
    try:
        await require_consent(session, person_id, purpose)
    except Forbidden:
        return False
    return True
