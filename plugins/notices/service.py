"""Notice operations: write, publish, withdraw, read receipts and the disclosure board.

Functions flush, never commit (the request is the unit of work) and validate before writing, so
bad input leaves nothing behind. Audience rules:

* a notice reaches the units of its scope (every unit of the community, of the building, or the
  one unit);
* an owner or resident sees a published notice when one of *their* units (owned, or lived in as
  a registered resident) is in that audience;
* a public disclosure (公示) is shown on its community's board to every owner and resident of the
  community, from publication until ``display_until``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.sdk import Conflict, Event, NotFound, audit, utcnow
from kernel.sdk.estate import Building, Community, Person, Residency, Unit, units_owned_by_account
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.notices.inputs import NewNotice
from plugins.notices.models import Notice, NoticeReceipt

EVENT_PUBLISHED = "notice.published"


@dataclass(frozen=True)
class Place:
    """Where a unit sits; used to match notices of every scope."""

    unit_id: uuid.UUID
    building_id: uuid.UUID
    community_id: uuid.UUID


# -- the caller's units ------------------------------------------------------------------------


async def places_of_account(session: AsyncSession, account_id: uuid.UUID | None) -> list[Place]:
    """Units the account owns (业主) or lives in today as a registered resident (住户; ended stays do not count)."""
    if account_id is None:
        return []
    owned = await units_owned_by_account(session, account_id)
    lived = (
        await session.scalars(
            select(Unit)
            .join(Residency, (Residency.unit_id == Unit.id) & (Residency.tenant_id == Unit.tenant_id))
            .join(Person, (Person.id == Residency.person_id) & (Person.tenant_id == Residency.tenant_id))
            .where(Person.account_id == account_id, Residency.current())
        )
    ).all()
    seen: dict[uuid.UUID, Place] = {}
    for u in [*owned, *lived]:
        seen.setdefault(u.id, Place(u.id, u.building_id, u.community_id))
    return list(seen.values())


def addressed_to(places: Iterable[Place]) -> ColumnElement[bool]:
    """SQL criterion: the notice's scope covers one of ``places``."""
    places = list(places)
    if not places:
        return false()
    units = {p.unit_id for p in places}
    buildings = {p.building_id for p in places}
    communities = {p.community_id for p in places}
    return or_(
        and_(Notice.scope == "unit", Notice.unit_id.in_(units)),
        and_(Notice.scope == "building", Notice.building_id.in_(buildings)),
        and_(Notice.scope == "community", Notice.community_id.in_(communities)),
    )


def places_reached(notice: Notice, places: Iterable[Place]) -> list[Place]:
    """The caller's places that ``notice`` reaches."""
    if notice.scope == "unit":
        return [p for p in places if p.unit_id == notice.unit_id]
    if notice.scope == "building":
        return [p for p in places if p.building_id == notice.building_id]
    return [p for p in places if p.community_id == notice.community_id]


# -- writing -----------------------------------------------------------------------------------


async def _target(session: AsyncSession, scope: str, target_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]:
    """(community, building, unit) of the target; NOT_FOUND when it is not this tenant's."""
    if scope == "community":
        found = await session.scalar(select(Community.id).where(Community.id == target_id))
        if found is None:
            raise NotFound("no community with this id", field="targetId")
        return found, None, None
    if scope == "building":
        b = await session.scalar(select(Building).where(Building.id == target_id))
        if b is None:
            raise NotFound("no building with this id", field="targetId")
        return b.community_id, b.id, None
    u = await session.scalar(select(Unit).where(Unit.id == target_id))
    if u is None:
        raise NotFound("no unit with this id", field="targetId")
    return u.community_id, u.building_id, u.id


async def _audit(session: AsyncSession, actor: str, action: str, target: uuid.UUID, **detail: object) -> None:
    """The service audits its own changes (``notices.<action>``), in the change's transaction."""
    await audit(session, tenant_id=session.info["tenant_id"], actor=actor, action=f"notices.{action}", target=str(target), detail=detail)


async def create_notice(
    session: AsyncSession,
    *,
    scope: str,
    target_id: uuid.UUID,
    title: str,
    body: str,
    category: str = "general",
    public_disclosure: bool = False,
    display_days: int | None = None,
    created_by: str = "",
) -> Notice:
    """Write a draft notice addressed to a community, building or unit of the session's tenant
    (validated by :class:`plugins.notices.inputs.NewNotice`), audited as ``notices.created``
    by ``created_by``."""
    spec = parse_input(
        NewNotice, title=title, body=body, category=category, public_disclosure=public_disclosure, display_days=display_days
    )
    community_id, building_id, unit_id = await _target(session, scope, target_id)
    notice = Notice(
        scope=scope,
        community_id=community_id,
        building_id=building_id,
        unit_id=unit_id,
        category=spec.category,
        title=spec.title,
        body=spec.body,
        public_disclosure=spec.public_disclosure,
        display_days=spec.display_days,
        created_by=created_by,
    )
    session.add(notice)
    await session.flush()
    await _audit(session, created_by or "system", "created", notice.id, scope=notice.scope)
    return notice


async def get_notice(session: AsyncSession, notice_id: uuid.UUID) -> Notice:
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id))
    if notice is None:
        raise NotFound("no notice with this id", field="id")
    return notice


async def publish(session: AsyncSession, runtime: Runtime, tenant_id: uuid.UUID, notice_id: uuid.UUID, *, actor: str) -> Notice:
    """Publish a draft (or re-publish a withdrawn) notice, audited as ``notices.published``, and
    emit ``notice.published``.

    The event goes through the outbox in this transaction: subscribers hear of it only if the
    publication commits.
    """
    notice = await get_notice(session, notice_id)
    if notice.status == "published":
        raise Conflict("this notice is already published")
    now = utcnow()
    notice.status = "published"
    notice.published_at = now
    notice.withdrawn_at = None
    notice.display_until = now + timedelta(days=notice.display_days) if notice.public_disclosure and notice.display_days else None
    await session.flush()
    event = Event(
        EVENT_PUBLISHED,
        tenant_id,
        {
            "notice_id": str(notice.id),
            "scope": notice.scope,
            "community_id": str(notice.community_id),
            "building_id": str(notice.building_id) if notice.building_id else None,
            "unit_id": str(notice.unit_id) if notice.unit_id else None,
            "category": notice.category,
            "title": notice.title,
            "public_disclosure": notice.public_disclosure,
        },
        actor=actor,
    )
    await _audit(session, actor, "published", notice.id)
    await runtime.bus.publish(session, event)
    return notice


async def withdraw(session: AsyncSession, notice_id: uuid.UUID, *, actor: str = "system") -> Notice:
    """Take a published notice down (撤回), audited as ``notices.withdrawn``; it leaves owners'
    lists and the disclosure board."""
    notice = await get_notice(session, notice_id)
    if notice.status != "published":
        raise Conflict("only a published notice can be withdrawn")
    notice.status = "withdrawn"
    notice.withdrawn_at = utcnow()
    await session.flush()
    await _audit(session, actor, "withdrawn", notice.id)
    return notice


# -- reading -----------------------------------------------------------------------------------


def visible_to(places: list[Place]) -> ColumnElement[bool]:
    """Published notices addressed to one of ``places``."""
    return and_(Notice.status == "published", addressed_to(places))


def on_board(community_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """Published disclosures of a community still within their display period."""
    return and_(
        Notice.community_id == community_id,
        Notice.status == "published",
        Notice.public_disclosure.is_(True),
        Notice.display_until > now,
    )


async def mark_read(session: AsyncSession, notice_id: uuid.UUID, account_id: uuid.UUID, places: list[Place]) -> int:
    """Record a receipt for each of the reader's units the notice reaches; returns how many
    were new. A notice not addressed to the reader is NOT_FOUND (its existence is not revealed)."""
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id, visible_to(places)))
    if notice is None:
        raise NotFound("no notice with this id", field="id")
    reached = {p.unit_id for p in places_reached(notice, places)}
    done = set(
        (await session.scalars(select(NoticeReceipt.unit_id).where(NoticeReceipt.notice_id == notice.id, NoticeReceipt.unit_id.in_(reached)))).all()
    )
    now = utcnow()
    new = sorted(reached - done)
    for unit_id in new:
        session.add(NoticeReceipt(notice_id=notice.id, unit_id=unit_id, account_id=account_id, read_at=now))
    await session.flush()
    return len(new)


def audience_units(notice: Notice) -> ColumnElement[bool]:
    """SQL criterion on ``Unit``: the units ``notice`` is addressed to."""
    if notice.scope == "unit":
        return Unit.id == notice.unit_id
    if notice.scope == "building":
        return Unit.building_id == notice.building_id
    return Unit.community_id == notice.community_id


@dataclass(frozen=True)
class BuildingReadCount:
    building_id: uuid.UUID
    building_name: str
    read: int
    unread: int


@dataclass(frozen=True)
class ReceiptSummary:
    total_units: int
    read_units: int
    by_building: list[BuildingReadCount]

    @property
    def unread_units(self) -> int:
        return self.total_units - self.read_units


def read_receipt_exists(notice_id: uuid.UUID) -> ColumnElement[bool]:
    return (
        select(NoticeReceipt.id)
        .where(NoticeReceipt.notice_id == notice_id, NoticeReceipt.unit_id == Unit.id, NoticeReceipt.tenant_id == Unit.tenant_id)
        .exists()
    )


async def receipt_summary(session: AsyncSession, notice: Notice) -> ReceiptSummary:
    """Read and unread unit counts of a notice, in total and per building (two grouped queries)."""
    read = read_receipt_exists(notice.id)
    rows = (
        await session.execute(
            select(Building.id, Building.name, func.count(Unit.id), func.count(Unit.id).filter(read))
            .join(Unit, (Unit.building_id == Building.id) & (Unit.tenant_id == Building.tenant_id))
            .where(audience_units(notice))
            .group_by(Building.id, Building.name)
            .order_by(Building.name)
        )
    ).all()
    by_building = [BuildingReadCount(bid, name, int(n_read), int(total) - int(n_read)) for bid, name, total, n_read in rows]
    return ReceiptSummary(
        total_units=sum(b.read + b.unread for b in by_building),
        read_units=sum(b.read for b in by_building),
        by_building=by_building,
    )
