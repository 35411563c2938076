"""The duty roster: who is on duty, where, at which escalation level and when.

A shift (:class:`~kernel.notifications.models.DutyShift`) puts one login of the firm on duty at
a level (1 = first responder, 2 = supervisor, 3 = manager…) in one community or in all of
them, on chosen weekdays, over a daily window of local time. :func:`on_duty` answers "whom do
we tell now" for an alarm; alerts that must be acknowledged walk up the levels
(:mod:`kernel.notifications.escalation`).

Windows: ``start < end`` is a window inside the day (08:00–18:00); ``start > end`` crosses
midnight (22:00–06:00), and its weekday is the day the shift *starts* (a Friday night shift
covers Saturday 02:00); ``start == end`` is the whole day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db.base import utcnow
from kernel.errors import BadUserInput, NotFound
from kernel.identity.members import require_member
from kernel.identity.models import Account
from kernel.notifications.audience import accounts_with_roles
from kernel.notifications.models import DutyShift
from kernel.notifications.service import DEFAULT_TIMEZONE, Recipient

ALL_WEEKDAYS = tuple(range(1, 8))
EVERY_DAY = 0b1111111
MAX_LEVEL = 9
#: Who is told when the roster has nobody on duty at a level: level 1 the property staff,
#: every higher level the firm's admins.
FALLBACK_ROLES: dict[int, tuple[str, ...]] = {1: ("property_staff",)}
SUPERVISOR_FALLBACK_ROLES: tuple[str, ...] = ("tenant_admin",)


def weekday_mask(days: Iterable[int]) -> int:
    """The bit mask of ISO weekdays (Monday = 1 … Sunday = 7); BAD_USER_INPUT for others."""
    mask = 0
    for d in days:
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7:
            raise BadUserInput("weekdays are 1 (Monday) to 7 (Sunday)", field="weekdays")
        mask |= 1 << (d - 1)
    if not mask:
        raise BadUserInput("a shift needs at least one weekday", field="weekdays")
    return mask


def weekdays_of(mask: int) -> list[int]:
    return [d for d in ALL_WEEKDAYS if mask & (1 << (d - 1))]


def shift_covers(
    start_minute: int,
    end_minute: int,
    weekdays: int,
    at: datetime,
    timezone: str = DEFAULT_TIMEZONE,
) -> bool:
    """Whether a shift of ``[start_minute, end_minute)`` (minutes after local midnight) on the
    ``weekdays`` mask covers the instant ``at`` (aware). A window crossing midnight belongs to
    the weekday it starts on."""
    local = at.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    today = 1 << (local.isoweekday() - 1)
    if start_minute == end_minute:
        return bool(weekdays & today)
    if start_minute < end_minute:
        return start_minute <= minute < end_minute and bool(weekdays & today)
    if minute >= start_minute:
        return bool(weekdays & today)
    if minute < end_minute:
        yesterday = 1 << ((local - timedelta(days=1)).isoweekday() - 1)
        return bool(weekdays & yesterday)
    return False


def parse_minute(value: str, field: str) -> int:
    """``HH:MM`` → minutes after midnight; BAD_USER_INPUT naming ``field`` otherwise."""
    try:
        t = time.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadUserInput("a time of day is HH:MM (00:00–23:59)", field=field) from None
    if t.second or t.microsecond or t.tzinfo is not None:
        raise BadUserInput("a time of day is HH:MM (00:00–23:59)", field=field)
    return t.hour * 60 + t.minute


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadUserInput(f"unknown time zone {tz!r}", field="timezone") from None
    return tz


def check_level(level: int) -> int:
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= MAX_LEVEL:
        raise BadUserInput(f"an escalation level is 1 to {MAX_LEVEL}", field="level")
    return level


def default_fallback_roles(level: int) -> tuple[str, ...]:
    return FALLBACK_ROLES.get(level, SUPERVISOR_FALLBACK_ROLES)


async def add_shift(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    community_id: uuid.UUID | None,
    level: int = 1,
    start: str,
    end: str,
    weekdays: Sequence[int] = ALL_WEEKDAYS,
    timezone: str = DEFAULT_TIMEZONE,
    note: str = "",
) -> DutyShift:
    """Put a login of the firm on the roster (flushes). NOT_FOUND for an account (or a
    community) the firm does not have — another firm's answers the same; BAD_USER_INPUT for a
    malformed window, level, weekday or time zone."""
    check_level(level)
    start_minute, end_minute = parse_minute(start, "start"), parse_minute(end, "end")
    mask = weekday_mask(weekdays)
    check_timezone(timezone)
    if len(note) > 200:
        raise BadUserInput("a note is at most 200 characters", field="note")
    await require_member(session, account_id)
    if community_id is not None:
        await require_community(session, community_id)
    shift = DutyShift(
        account_id=account_id,
        community_id=community_id,
        level=level,
        start_minute=start_minute,
        end_minute=end_minute,
        weekdays=mask,
        timezone=timezone,
        note=note,
    )
    session.add(shift)
    await session.flush()
    return shift


async def remove_shift(session: AsyncSession, shift_id: uuid.UUID) -> None:
    """Take a shift off the roster; NOT_FOUND when the firm has no such shift."""
    shift = await session.scalar(select(DutyShift).where(DutyShift.id == shift_id))
    if shift is None:
        raise NotFound("no such duty shift", field="id")
    await session.delete(shift)
    await session.flush()


async def require_community(session: AsyncSession, community_id: uuid.UUID) -> None:
    """NOT_FOUND unless the session's firm has this community."""
    from kernel.sdk.estate import community_exists

    if not await community_exists(session, community_id):
        raise NotFound("no such community", field="communityId")


async def shifts(session: AsyncSession, community_id: uuid.UUID | None = None) -> list[DutyShift]:
    """The roster (of one community: its own shifts and those for every community), by level
    and start."""
    stmt = select(DutyShift)
    if community_id is not None:
        stmt = stmt.where(
            or_(DutyShift.community_id.is_(None), DutyShift.community_id == community_id)
        )
    stmt = stmt.order_by(
        DutyShift.level, DutyShift.start_minute, DutyShift.created_at, DutyShift.id
    )
    return list((await session.scalars(stmt)).all())


async def on_duty_accounts(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    community_id: uuid.UUID | None,
    level: int = 1,
    at: datetime | None = None,
    fallback: Sequence[str] | None = None,
) -> tuple[list[uuid.UUID], bool]:
    """``(account ids, from the roster)``: the active logins on duty, or — when the roster has
    nobody on duty at that level and place right now — the holders of the fallback roles
    (``from the roster`` then False)."""
    check_level(level)
    at = at or utcnow()
    stmt = select(DutyShift).where(DutyShift.level == level)
    if community_id is not None:
        stmt = stmt.where(
            or_(DutyShift.community_id.is_(None), DutyShift.community_id == community_id)
        )
    found = {
        s.account_id
        for s in await session.scalars(stmt)
        if shift_covers(s.start_minute, s.end_minute, s.weekdays, at, s.timezone)
    }
    if found:
        active = await session.scalars(
            select(Account.id).where(Account.id.in_(found), Account.disabled.is_(False))
        )
        ids = sorted(active.all(), key=str)
        if ids:
            return ids, True
    roles = tuple(fallback) if fallback is not None else default_fallback_roles(level)
    return await accounts_with_roles(session, tenant_id, roles), False


async def on_duty(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    community_id: uuid.UUID | None,
    level: int = 1,
    at: datetime | None = None,
    fallback_roles: Sequence[str] | None = None,
) -> list[Recipient]:
    """Whom to tell now: the firm's active logins on the duty roster at ``level`` for
    ``community_id`` (shifts of that community and shifts for every community; with
    ``community_id=None``, every shift of the level) at the instant ``at`` (default now).

    **Fallback:** when the roster has nobody on duty at that level and place at that instant
    (no shift, or none covering ``at``, or only deactivated logins), the answer is the holders
    of ``fallback_roles`` — by default ``property_staff`` for level 1 and ``tenant_admin`` for
    level 2 and above (``accounts_with_roles``) — so an alarm always reaches someone in a firm
    that has not set up its roster.
    """
    ids, _ = await on_duty_accounts(
        session,
        tenant_id=tenant_id,
        community_id=community_id,
        level=level,
        at=at,
        fallback=fallback_roles,
    )
    return [Recipient(account_id=a) for a in ids]
