"""GraphQL for the estate: communities → compounds/buildings → units → owners, with Relay ids,
keyset connections and per-request DataLoaders (no N+1). Names are masked in lists."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.dataloader import DataLoader

from kernel.crypto import mask_name
from kernel.graphql.ids import decode_id, load_nodes
from kernel.graphql.pagination import Connection, paginate, requested_page_size
from kernel.graphql.permissions import Allowed
from tenants.estate import models as m
from tenants.estate import service

_first = requested_page_size


@strawberry.type
class Owner:
    person_id: strawberry.ID
    kind: str
    #: Masked (张*明); the full name is only in the person's own dashboard.
    name: str
    share_bp: int


def _owners_loader(session) -> DataLoader[uuid.UUID, list[Owner]]:  # type: ignore[no-untyped-def]
    async def load(unit_ids: list[uuid.UUID]) -> list[list[Owner]]:
        rows = await session.execute(
            select(m.Ownership.unit_id, m.Ownership.share_bp, m.Person.id, m.Person.kind, m.Person.name)
            .join(m.Person, (m.Person.id == m.Ownership.person_id) & (m.Person.tenant_id == m.Ownership.tenant_id))
            .where(m.Ownership.unit_id.in_(unit_ids))
        )
        by_unit: dict[uuid.UUID, list[Owner]] = defaultdict(list)
        for unit_id, share, pid, kind, name in rows:
            by_unit[unit_id].append(Owner(person_id=strawberry.ID(str(pid)), kind=kind, name=mask_name(name) or "", share_bp=share))
        return [by_unit.get(u, []) for u in unit_ids]

    return DataLoader(load_fn=load)


@strawberry.type
class Unit(relay.Node):
    id: relay.NodeID[str]
    number: str
    floor: int
    registered_area: int = strawberry.field(description="Hundredths of m² (8963 = 89.63 m²)")
    area_source: str
    sold: bool
    building_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Registered area in m² as a decimal string")
    def area_m2(self) -> str:
        return service.format_area(self.registered_area)

    @strawberry.field(permission_classes=[Allowed("persons", "read")])
    async def owners(self, info: strawberry.Info) -> list[Owner]:
        loader = info.context.loader("estate.owners", lambda: _owners_loader(info.context.session))
        return await loader.load(uuid.UUID(self.id))

    @classmethod
    def from_row(cls, row: m.Unit) -> Unit:
        return cls(
            id=str(row.id), number=row.number, floor=row.floor, registered_area=row.registered_area,
            area_source=row.area_source, sold=row.sold, building_id=row.building_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.Unit, cls.from_row, node_ids)


@strawberry.type
class Building(relay.Node):
    id: relay.NodeID[str]
    name: str
    floors: int
    latitude: float | None = strawberry.field(default=None, description="WGS-84 degrees, if set (setBuildingLocation)")
    longitude: float | None = strawberry.field(default=None, description="WGS-84 degrees, if set (setBuildingLocation)")

    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def units(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[Unit]:
        stmt = select(m.Unit).where(m.Unit.building_id == uuid.UUID(self.id))
        return await paginate(info.context.session, stmt, order_by=[m.Unit.number_key, m.Unit.number], first=_first(info, first), after=after, to_node=Unit.from_row)

    @classmethod
    def from_row(cls, row: m.Building) -> Building:
        return cls(id=str(row.id), name=row.name, floors=row.floors, latitude=row.latitude, longitude=row.longitude)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.Building, cls.from_row, node_ids)


@strawberry.type
class Compound(relay.Node):
    id: relay.NodeID[str]
    name: str
    address: str

    @classmethod
    def from_row(cls, row: m.Compound) -> Compound:
        return cls(id=str(row.id), name=row.name, address=row.address)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.Compound, cls.from_row, node_ids)


@strawberry.type
class AreaTotals:
    units: int
    area: int = strawberry.field(description="Hundredths of m²")
    persons: int = strawberry.field(description="Owners counted per Civil Code Art. 278 / SPC Arts. 8–9")


@strawberry.type
class Community(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    city: str
    district: str
    street_code: str

    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def compounds(self, info: strawberry.Info) -> list[Compound]:
        rows = await info.context.session.scalars(select(m.Compound).where(m.Compound.community_id == uuid.UUID(self.id)).order_by(m.Compound.name))
        return [Compound.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def buildings(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[Building]:
        stmt = select(m.Building).where(m.Building.community_id == uuid.UUID(self.id))
        return await paginate(info.context.session, stmt, order_by=[m.Building.name], first=_first(info, first), after=after, to_node=Building.from_row)

    @strawberry.field(permission_classes=[Allowed("estate", "read")], description="Totals under the Art. 278 counting rules")
    async def voting_totals(self, info: strawberry.Info) -> AreaTotals:
        from tenants.estate.voting import totals, voting_units

        units = await voting_units(info.context.session, uuid.UUID(self.id))
        t = totals(units)
        return AreaTotals(units=len(units), area=t.area, persons=t.persons)

    @classmethod
    def from_row(cls, row: m.Community) -> Community:
        return cls(id=str(row.id), code=row.code, name=row.name, city=row.city, district=row.district, street_code=row.street_code)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):  # type: ignore[no-untyped-def,override]
        return await _resolve(info, m.Community, cls.from_row, node_ids)


async def _resolve(info: strawberry.Info, model, to_node, node_ids: Iterable[str]):  # type: ignore[no-untyped-def]
    return await load_nodes(info, model, to_node, node_ids, permission=("estate", "read"))


@strawberry.type
class EstateQuery:
    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def communities(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> Connection[Community]:
        return await paginate(info.context.session, select(m.Community), order_by=[m.Community.code], first=_first(info, first), after=after, to_node=Community.from_row)

    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def community(self, info: strawberry.Info, id: relay.GlobalID) -> Community | None:
        row = await info.context.session.scalar(select(m.Community).where(m.Community.id == decode_id(id, "Community")))
        return Community.from_row(row) if row else None

    @strawberry.field(permission_classes=[Allowed("estate", "read")])
    async def unit_count(self, info: strawberry.Info) -> int:
        return int(await info.context.session.scalar(select(func.count()).select_from(m.Unit)) or 0)


@strawberry.input
class UnitInput:
    building_id: relay.GlobalID
    number: str
    registered_area: int = strawberry.field(description="Hundredths of m²")
    floor: int = 1
    sold: bool = True


@strawberry.type
class EstateMutation:
    @strawberry.mutation(permission_classes=[Allowed("estate", "write")])
    async def create_community(self, info: strawberry.Info, code: str, name: str, city: str = "", district: str = "", street_code: str = "") -> Community:
        ctx = info.context
        row = await service.create_community(ctx.session, code=code, name=name, city=city, district=district, street_code=street_code)
        await ctx.audit("estate.community_created", str(row.id))
        return Community.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("estate", "write")])
    async def create_compound(self, info: strawberry.Info, community_id: relay.GlobalID, name: str, address: str = "") -> Compound:
        ctx = info.context
        row = await service.create_compound(ctx.session, community_id=decode_id(community_id, "Community"), name=name, address=address)
        await ctx.audit("estate.compound_created", str(row.id))
        return Compound.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("estate", "write")])
    async def create_building(self, info: strawberry.Info, compound_id: relay.GlobalID, name: str, floors: int = 1) -> Building:
        ctx = info.context
        row = await service.create_building(ctx.session, compound_id=decode_id(compound_id, "Compound"), name=name, floors=floors)
        await ctx.audit("estate.building_created", str(row.id))
        return Building.from_row(row)

    @strawberry.mutation(
        permission_classes=[Allowed("estate", "write")],
        description="Set a building's coordinates (WGS-84 degrees; both, or neither to clear them): the dashboard draws a map of a community whose buildings have them.",
    )
    async def set_building_location(
        self, info: strawberry.Info, id: relay.GlobalID, latitude: float | None = None, longitude: float | None = None
    ) -> Building:
        ctx = info.context
        row = await service.set_building_location(ctx.session, building_id=decode_id(id, "Building"), latitude=latitude, longitude=longitude)
        await ctx.audit("estate.building_located", str(row.id))
        return Building.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("estate", "write")])
    async def create_unit(self, info: strawberry.Info, input: UnitInput) -> Unit:
        ctx = info.context
        row = await service.create_unit(
            ctx.session, building_id=decode_id(input.building_id, "Building"), number=input.number,
            registered_area=input.registered_area, floor=input.floor, sold=input.sold,
        )
        await ctx.audit("estate.unit_created", str(row.id))
        return Unit.from_row(row)

    @strawberry.mutation(permission_classes=[Allowed("persons", "write")], description="Register an owner of a unit (find-or-create the person by ID number).")
    async def register_owner(
        self, info: strawberry.Info, unit_id: relay.GlobalID, name: str, phone: str | None = None, id_number: str | None = None, share_bp: int = 10000
    ) -> Owner:
        ctx = info.context
        person = await service.register_person(ctx.session, ctx.runtime.vault, ctx.tenant.id, name=name, phone=phone, id_number=id_number)
        own = await service.add_ownership(ctx.session, unit_id=decode_id(unit_id, "Unit"), person_id=person.id, share_bp=share_bp)
        await ctx.audit("estate.owner_registered", str(own.id))
        return Owner(person_id=strawberry.ID(str(person.id)), kind=person.kind, name=mask_name(person.name) or "", share_bp=own.share_bp)
