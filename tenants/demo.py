"""The demo tenant: one property firm, two communities, ~1,000 units with realistic areas,
owners including multi-unit buyers, co-owners and the developer's unsold units, staff accounts.

Its people arrive through the product's own paths, so the demo proves them: the owner's login is a
claim approved by staff (the queue of ``tenants.estate.claims``), the renter is added by that owner
to their household and claims as a resident, the developer's representative is linked by staff; every
built-in plugin is enabled for the demo firm. Staff logins are invitations the admin sent and the
person accepted (``kernel.identity.invitations``)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from kernel import audit
from kernel.identity import invitations
from kernel.plugins import enablement
from kernel.runtime import Runtime
from kernel.tenancy import Tenant
from tenants.estate import claims, households, owners
from tenants.estate import models as m
from tenants.lifecycle import provision

DEMO_SLUG = "demo"
DEMO_PASSWORD = "linli-demo-2026"  # noqa: S105 - published demo login
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀兰霞平刚桂英华"
STAFF = (
    ("admin", "tenant_admin", "物业管理员"),
    ("staff", "property_staff", "客服专员"),
    ("tech", "technician", "维修师傅"),
    ("grid", "grid_worker", "网格员"),
    ("committee", "committee_member", "业委会主任"),
    ("auditor", "auditor", "审计员"),
)
#: The demo's street office: its communities' street and the district above it (docs/regulator.md).
DEMO_DISTRICT = ("滨江区", "杭州市滨江区")
DEMO_STREET = ("滨江街道", "滨江街道办事处")
#: Regulator logins (no tenant): the street office and the district.
DEMO_REGULATORS = (("demo-street", DEMO_STREET), ("demo-district", DEMO_DISTRICT))
#: Published demo phone numbers (the owner's is in the register; the renter is added by the owner).
DEMO_OWNER_PHONE = "13800138000"
DEMO_RENTER_PHONE = "13800138001"


@dataclass
class DemoResult:
    tenant_id: uuid.UUID
    logins: list[tuple[str, str]] = field(default_factory=list)
    #: (username, jurisdiction) of the street office's logins: no tenant.
    regulator_logins: list[tuple[str, str]] = field(default_factory=list)
    units: int = 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def seed_demo(runtime: Runtime, *, units: int = 1000, console: Console | None = None, seed: int = 278) -> DemoResult:
    """Create the demo tenant unless it exists; returns its logins."""
    rng = random.Random(seed)
    async with runtime.db.platform() as s:
        existing = await s.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
    result = DemoResult(tenant_id=existing.id if existing else uuid.uuid4())
    result.logins = [(f"demo-{u}", role) for u, role, _ in STAFF] + [
        ("demo-owner", "owner"),
        ("demo-renter", "resident"),
        ("demo-developer", "owner (developer's representative)"),
    ]
    result.regulator_logins = [(username, code) for username, (code, _) in DEMO_REGULATORS]
    await _street_office(runtime)
    if existing is not None:
        return result
    p = await provision(runtime, slug=DEMO_SLUG, name="邻里示范物业服务有限公司", admin_username="demo-admin", admin_password=DEMO_PASSWORD, admin_name="物业管理员")
    tid = result.tenant_id = p.tenant_id
    accounts: dict[str, uuid.UUID] = {"demo-admin": p.admin_account_id}
    async with runtime.db.tenant(tid) as s:
        for username, role, display in STAFF[1:]:  # invited by the admin, invitation accepted
            accounts[f"demo-{username}"] = await _invited(runtime, s, tid, p.admin_account_id, f"demo-{username}", role, display)
    half = units // 2
    street = DEMO_STREET[0]
    layout = [("C001", "幸福里社区", street, half), ("C002", "和睦园社区", street, units - half)]
    with Progress(console=console or Console(), transient=True) as progress:
        task = progress.add_task("seeding demo units", total=units)
        async with runtime.db.tenant(tid) as ts:
            developer = m.Person(id=uuid.uuid4(), kind="developer", name="示范置业开发有限公司")
            ts.add(developer)
            await ts.flush()
            first_owner: tuple[uuid.UUID, str] | None = None  # (unit, name): the demo owner claims it
            repeat_buyers: list[m.Person] = []
            for code, cname, street, n in layout:
                community = m.Community(id=uuid.uuid4(), code=code, name=cname, city="杭州市", district=DEMO_DISTRICT[0], street_code=street)
                ts.add(community)
                compound = m.Compound(id=uuid.uuid4(), community_id=community.id, name=f"{cname}一期", address=f"{street}{code}号")
                ts.add(compound)
                await ts.flush()
                per_building = 60
                for b in range((n + per_building - 1) // per_building):
                    building = m.Building(id=uuid.uuid4(), compound_id=compound.id, community_id=community.id, name=f"{b + 1:02d}幢", floors=18)
                    ts.add(building)
                    await ts.flush()
                    rows = []
                    pending: list[m.Ownership] = []
                    for i in range(min(per_building, n - b * per_building)):
                        floor = i // 4 + 1
                        area = rng.choice((4512, 6890, 8963, 8963, 10450, 12788, 14320, 17905))
                        sold = rng.random() > 0.06
                        unit = m.Unit(id=uuid.uuid4(),
                            building_id=building.id, community_id=community.id, number=f"{floor}{i % 4 + 1:02d}",
                            floor=floor, registered_area=area + rng.randint(-150, 150), sold=sold,
                        )
                        rows.append(unit)
                        ts.add(unit)
                        if not sold:
                            pending.append(m.Ownership(unit_id=unit.id, person_id=developer.id))
                            continue
                        if repeat_buyers and rng.random() < 0.05:
                            pending.append(m.Ownership(unit_id=unit.id, person_id=rng.choice(repeat_buyers).id))
                            continue
                        owner = m.Person(id=uuid.uuid4(), name=_name(rng), account_id=None)
                        if first_owner is None:
                            owner.phone_enc = runtime.vault.encrypt(tid, DEMO_OWNER_PHONE)
                            first_owner = (unit.id, owner.name)
                        ts.add(owner)
                        if rng.random() < 0.1:
                            repeat_buyers.append(owner)
                        if rng.random() < 0.08:
                            spouse = m.Person(id=uuid.uuid4(), name=_name(rng))
                            ts.add(spouse)
                            pending.append(m.Ownership(unit_id=unit.id, person_id=owner.id, share_bp=5000))
                            pending.append(m.Ownership(unit_id=unit.id, person_id=spouse.id, share_bp=5000))
                        else:
                            pending.append(m.Ownership(unit_id=unit.id, person_id=owner.id))
                    await ts.flush()
                    ts.add_all(pending)
                    await ts.flush()
                    progress.advance(task, len(rows))
                    result.units += len(rows)
    assert first_owner is not None
    await _people_through_the_product(runtime, tid, accounts["demo-admin"], *first_owner)
    return result


async def _street_office(runtime: Runtime) -> None:
    """The demo's district and street (jurisdictions) and a regulator login for each; idempotent, so
    a demo seeded before jurisdictions existed gets them on the next ``linli demo``."""
    from kernel.identity.models import PlatformAccount
    from kernel.identity.platform import create_platform_account
    from kernel.supervision.jurisdictions import create_jurisdiction
    from kernel.supervision.models import Jurisdiction

    async with runtime.db.platform() as s:
        if await s.get(Jurisdiction, DEMO_DISTRICT[0]) is None:
            await create_jurisdiction(s, code=DEMO_DISTRICT[0], name=DEMO_DISTRICT[1], kind="district")
        if await s.get(Jurisdiction, DEMO_STREET[0]) is None:
            await create_jurisdiction(s, code=DEMO_STREET[0], name=DEMO_STREET[1], parent_code=DEMO_DISTRICT[0])
        for username, (code, name) in DEMO_REGULATORS:
            if await s.scalar(select(PlatformAccount.id).where(PlatformAccount.username == username)) is None:
                await create_platform_account(s, username, DEMO_PASSWORD, name, regulator_street_code=code)


async def _invited(runtime: Runtime, s: Any, tid: uuid.UUID, admin: uuid.UUID, username: str, role: str, display: str) -> uuid.UUID:
    """A login made the way a firm makes staff logins: the admin invites, the person accepts the code."""
    contact = invitations.Contact("email", f"{username}@demo.linli.example")
    invited = await invitations.invite(
        s, runtime.vault, tenant_id=tid, tenant_slug=DEMO_SLUG, contact=contact, roles=[role], display_name=display, created_by=admin
    )
    account, _ = await invitations.accept(s, runtime.vault, tid, code=invited.code, username=username, password=DEMO_PASSWORD, display_name=display)
    return account.id


async def _people_through_the_product(runtime: Runtime, tid: uuid.UUID, admin: uuid.UUID, unit_id: uuid.UUID, owner_name: str) -> None:
    """The demo's owner, renter and developer's representative, made the way a firm makes them."""
    staff = f"account:{admin}"
    async with runtime.db.tenant(tid) as s:
        # The owner claims their unit; staff approve it from the evidence (the register's phone matches).
        owner = await claims.start_claim(
            s, runtime, tid, unit_id=unit_id, phone=DEMO_OWNER_PHONE, name=owner_name, kind="owner", username="demo-owner",
            password=DEMO_PASSWORD, route="staff", evidence="示范：业主持房产证到物业前台办理",
        )
        await claims.approve_claim(s, tid, owner.claim.id, person_id=None, actor=staff)
        await audit.record(s, tenant_id=tid, actor=staff, action="estate.claim_approved", target=str(owner.claim.id), detail={"kind": "owner"})
        # The owner adds a renter for a year; the renter claims as a resident.
        today = m.local_today()
        await households.add_member(
            s, runtime.vault, tid, unit_id=unit_id, account_id=owner.claim.account_id, staff=False, name="周租客", kind="renter",
            phone=DEMO_RENTER_PHONE, until=today.replace(year=today.year + 1) - timedelta(days=1), today=today,
        )
        renter = await claims.start_claim(
            s, runtime, tid, unit_id=unit_id, phone=DEMO_RENTER_PHONE, name="周租客", kind="resident", username="demo-renter",
            password=DEMO_PASSWORD, route="staff", evidence="示范：租赁合同已核验",
        )
        await claims.approve_claim(s, tid, renter.claim.id, person_id=None, actor=staff)
        await audit.record(s, tenant_id=tid, actor=staff, action="estate.claim_approved", target=str(renter.claim.id), detail={"kind": "resident"})
        # The developer's representative, linked by staff: one ballot for all unsold units.
        developer = await _invited(runtime, s, tid, admin, "demo-developer", "owner", "开发商代表")
        await owners.link_developer_representative(s, tid, developer)
        await audit.record(s, tenant_id=tid, actor=staff, action="estate.developer_representative_linked", target=str(developer))
        # Every built-in plugin, so a newcomer's first call never answers PLUGIN_DISABLED.
        enabled = await enablement.enabled_plugins(s)
        for name, loaded in runtime.host.plugins.items():
            if loaded.builtin and not loaded.manifest.core and name not in enabled:
                await enablement.enable(runtime.host, s, tid, name)
                enabled.add(name)
