"""GraphQL of an owner's own units: co-owners, who votes for a co-owned unit, the household living there;
and the staff's side (designations from the co-owners' written choice, the developer's representative).

Owners act on their own units only: another unit's id — of this firm or another — answers NOT_FOUND, as
an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import strawberry
from sqlalchemy import and_, select
from strawberry import relay
from strawberry.permission import BasePermission

from kernel.crypto import mask_name, mask_phone
from kernel.errors import Forbidden, NotFound
from kernel.graphql.ids import decode_id
from kernel.graphql.permissions import Allowed
from tenants.estate import households, owners
from tenants.estate import models as m
from tenants.estate.models import local_today, natural_key
from tenants.estate.service import format_area


@strawberry.type(description="A co-owner of one of your units, as every co-owner sees them")
class CoOwner:
    person_id: strawberry.ID
    name: str
    share_bp: int
    is_me: bool


@strawberry.type(description="Who casts a co-owned unit's one ballot (chosen by its co-owners)")
class UnitVoter:
    person_id: strawberry.ID | None
    name: str | None
    designated_by: str | None = strawberry.field(description="Who recorded the choice: a co-owner's name, or \"staff\" (the co-owners' written choice)")


@strawberry.type(description="Someone living in a unit (住户): family member, renter or owner-occupier. Phones are masked.")
class HouseholdMember:
    id: strawberry.ID
    name: str
    phone: str | None
    kind: str = strawberry.field(description="family | renter | owner")
    since: date | None = strawberry.field(description="First day living there")
    until: date | None = strawberry.field(description="Last day living there (null: open-ended)")
    current: bool = strawberry.field(description="Living there today (ended or future stays do not count)")

    @staticmethod
    def from_member(member: households.Member, *, mask: bool) -> HouseholdMember:
        return HouseholdMember(
            id=strawberry.ID(str(member.residency_id)),
            name=(mask_name(member.name) or "") if mask else member.name,
            phone=mask_phone(member.phone),
            kind=member.kind,
            since=member.since,
            until=member.until,
            current=member.current,
        )


@strawberry.type(description="A unit the caller lives in today")
class MyHome:
    unit_id: strawberry.ID
    number: str
    building_name: str
    kind: str = strawberry.field(description="owner | family | renter")


@strawberry.type(description="A unit the caller owns (or represents, for the developer)")
class MyUnit:
    id: strawberry.ID
    number: str
    sort_key: strawberry.Private[str]
    building_name: str
    registered_area: int = strawberry.field(description="Hundredths of m²")
    unit_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def area_m2(self) -> str:
        return format_area(self.registered_area)

    @strawberry.field(description="Every owner of the unit (several: co-owned)")
    async def co_owners(self, info: strawberry.Info) -> list[CoOwner]:
        ctx = info.context
        mine = await owners.persons_of(ctx.session, ctx.actor.account_id)
        rows = await ctx.session.execute(
            select(m.Person.id, m.Person.name, m.Ownership.share_bp)
            .join(m.Ownership, and_(m.Ownership.person_id == m.Person.id, m.Ownership.tenant_id == m.Person.tenant_id))
            .where(m.Ownership.unit_id == self.unit_id)
            .order_by(m.Person.name)
        )
        return [CoOwner(person_id=strawberry.ID(str(pid)), name=name, share_bp=share, is_me=pid in mine) for pid, name, share in rows]

    @strawberry.field(description="Who lives there: current and coming stays (and ended ones with includePast)")
    async def household(self, info: strawberry.Info, include_past: bool = False) -> list[HouseholdMember]:
        ctx = info.context
        members = await households.household(ctx.session, ctx.runtime.vault, ctx.require_tenant(), self.unit_id, today=local_today(), include_past=include_past)
        return [HouseholdMember.from_member(m_, mask=False) for m_ in members]

    @strawberry.field(description="The co-owners' designated voter; null fields while none is designated")
    async def voter(self, info: strawberry.Info) -> UnitVoter:
        v = await owners.unit_voter(info.context.session, self.unit_id)
        return UnitVoter(person_id=strawberry.ID(str(v.person_id)) if v.person_id else None, name=v.name, designated_by=v.designated_by)


async def my_units(info: strawberry.Info) -> list[MyUnit]:
    ctx = info.context
    mine = await owners.persons_of(ctx.session, ctx.actor.account_id)
    if not mine:
        return []
    rows = await ctx.session.execute(
        select(m.Unit.id, m.Unit.number, m.Unit.registered_area, m.Building.name)
        .join(m.Building, and_(m.Building.id == m.Unit.building_id, m.Building.tenant_id == m.Unit.tenant_id))
        .join(m.Ownership, and_(m.Ownership.unit_id == m.Unit.id, m.Ownership.tenant_id == m.Unit.tenant_id))
        .where(m.Ownership.person_id.in_(list(mine)))
        .distinct()
    )
    units = [
        MyUnit(id=strawberry.ID(str(relay.GlobalID("Unit", str(uid)))), number=number, sort_key=natural_key(number), building_name=building, registered_area=area, unit_id=uid)
        for uid, number, area, building in rows
    ]
    return sorted(units, key=lambda u: (u.building_name, u.sort_key))


@strawberry.type
class HouseholdQuery:
    @strawberry.field(permission_classes=[Allowed("household", "read")], description="The caller's own units (as owner)")
    async def my_units(self, info: strawberry.Info) -> list[MyUnit]:
        return await my_units(info)

    @strawberry.field(permission_classes=[Allowed("household", "read")], description="The units the caller lives in today (owner-occupier, family, renter)")
    async def my_homes(self, info: strawberry.Info) -> list[MyHome]:
        ctx = info.context
        homes = await households.homes_of(ctx.session, ctx.actor.account_id, today=local_today())
        names = dict((await ctx.session.execute(select(m.Building.id, m.Building.name).where(m.Building.id.in_([u.building_id for u, _ in homes])))).all()) if homes else {}
        out = [MyHome(unit_id=strawberry.ID(str(relay.GlobalID("Unit", str(u.id)))), number=u.number, building_name=names.get(u.building_id, ""), kind=kind) for u, kind in homes]
        return sorted(out, key=lambda h: (h.building_name, natural_key(h.number)))

    @strawberry.field(permission_classes=[Allowed("persons", "read")], description="Staff: who lives in a unit (names and phones masked)")
    async def unit_household(self, info: strawberry.Info, unit_id: relay.GlobalID, include_past: bool = False) -> list[HouseholdMember]:
        ctx = info.context
        unit = decode_id(unit_id, "Unit")
        if await ctx.session.scalar(select(m.Unit.id).where(m.Unit.id == unit)) is None:
            raise NotFound("no unit with this id")
        members = await households.household(ctx.session, ctx.runtime.vault, ctx.require_tenant(), unit, today=local_today(), include_past=include_past)
        return [HouseholdMember.from_member(m_, mask=True) for m_ in members]


def _is_staff(info: strawberry.Info) -> bool:
    return bool(info.context.allowed("persons", "write"))


class OwnerOrStaff(BasePermission):
    """Owners act on their own units (``household:manage``); staff on any (``persons:write``)."""

    message = "you lack the permission household:manage"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        ctx = info.context
        ctx.require_tenant()
        if not (ctx.allowed("household", "manage") or ctx.allowed("persons", "write")):
            raise Forbidden(self.message, permission="household:manage")
        return True


@strawberry.type
class HouseholdMutation:
    @strawberry.mutation(
        permission_classes=[OwnerOrStaff],
        description="Designate the co-owner who votes for a co-owned unit (a co-owner, or staff recording the co-owners' written choice). Audited; shown to every co-owner.",
    )
    async def designate_unit_voter(self, info: strawberry.Info, unit_id: relay.GlobalID, person_id: strawberry.ID) -> UnitVoter:
        ctx = info.context
        try:
            person = uuid.UUID(str(person_id))
        except ValueError:
            person = uuid.uuid4()  # answers like any person who does not own the unit
        unit = decode_id(unit_id, "Unit")
        row = await owners.designate_voter(ctx.session, unit_id=unit, person_id=person, by_account=ctx.actor.account_id, by_staff=_is_staff(info), label=ctx.actor.label)
        await ctx.audit("estate.unit_voter_designated", str(unit), person=str(person))
        v = await owners.unit_voter(ctx.session, row.unit_id)
        return UnitVoter(person_id=strawberry.ID(str(v.person_id)), name=v.name, designated_by=v.designated_by)

    @strawberry.mutation(permission_classes=[OwnerOrStaff], description="Remove a unit's designated voter (any co-owner may vote again).")
    async def clear_unit_voter(self, info: strawberry.Info, unit_id: relay.GlobalID) -> bool:
        ctx = info.context
        unit = decode_id(unit_id, "Unit")
        cleared = await owners.clear_designation(ctx.session, unit_id=unit, by_account=ctx.actor.account_id, by_staff=_is_staff(info))
        if cleared:
            await ctx.audit("estate.unit_voter_cleared", str(unit))
        return cleared

    @strawberry.mutation(
        permission_classes=[OwnerOrStaff],
        description="Add a family member or renter living in your unit from `since` (default today) to `until` (null: open-ended). Gives no owner rights.",
    )
    async def add_household_member(
        self, info: strawberry.Info, unit_id: relay.GlobalID, name: str, kind: str, phone: str | None = None, since: date | None = None, until: date | None = None
    ) -> HouseholdMember:
        ctx = info.context
        tenant_id = ctx.require_tenant()
        unit = decode_id(unit_id, "Unit")
        row = await households.add_member(
            ctx.session, ctx.runtime.vault, tenant_id, unit_id=unit, account_id=ctx.actor.account_id, staff=_is_staff(info),
            name=name, kind=kind, phone=phone, since=since, until=until, today=local_today(),
        )
        await ctx.audit("estate.household_member_added", str(unit), residency=str(row.id), kind=kind)
        members = await households.household(ctx.session, ctx.runtime.vault, tenant_id, unit, today=local_today(), include_past=True)
        return HouseholdMember.from_member(next(x for x in members if x.residency_id == row.id), mask=False)

    @strawberry.mutation(permission_classes=[OwnerOrStaff], description="Set the last day of a household member's stay (today ends it).")
    async def end_household_stay(self, info: strawberry.Info, id: strawberry.ID, until: date | None = None) -> HouseholdMember:
        ctx = info.context
        tenant_id = ctx.require_tenant()
        try:
            residency = uuid.UUID(str(id))
        except ValueError:
            raise NotFound("no household member with this id") from None
        today = local_today()
        row = await households.end_stay(ctx.session, residency_id=residency, account_id=ctx.actor.account_id, staff=_is_staff(info), until=until or today, today=today)
        await ctx.audit("estate.household_stay_ended", str(row.unit_id), residency=str(row.id), until=row.until.isoformat() if row.until else None)
        members = await households.household(ctx.session, ctx.runtime.vault, tenant_id, row.unit_id, today=today, include_past=True)
        return HouseholdMember.from_member(next(x for x in members if x.residency_id == row.id), mask=False)

    @strawberry.mutation(
        permission_classes=[Allowed("persons", "write")],
        description="Link a login of this firm as the developer's representative (it votes once for all unsold units); null unlinks.",
    )
    async def link_developer_representative(self, info: strawberry.Info, account_id: strawberry.ID | None) -> bool:
        ctx = info.context
        account: uuid.UUID | None = None
        if account_id is not None:
            try:
                account = uuid.UUID(str(account_id))
            except ValueError:
                raise NotFound("no member of this firm with this id") from None
        developer = await owners.link_developer_representative(ctx.session, ctx.require_tenant(), account)
        await ctx.audit("estate.developer_representative_linked", str(developer.id), account=str(account) if account else None)
        return True
