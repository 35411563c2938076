"""Fixtures of the governance tests: SQLite runs on the embedded EVM, PostgreSQL on a real anvil.

``voting_estate`` builds one tenant with a small community whose counting exercises the Art. 278 rules: a
buyer of two units (one person), a co-owned unit (one person), an unsold unit (the developer), owners in a
second building, a renter, a staff member and a committee member who owns nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from strawberry import relay

from kernel.testing import GraphQLClient, unique_slug
from tests.chain.conftest import anvil_node, chain_runtime  # noqa: F401
from tests.fixtures.estates import fast_passwords  # noqa: F401

PASSWORD = "correct horse battery"


def gid(kind: str, value: uuid.UUID) -> str:
    return str(relay.GlobalID(kind, str(value)))


@dataclass
class VotingEstate:
    tenant_id: uuid.UUID
    slug: str
    community: uuid.UUID
    buildings: list[uuid.UUID]
    units: dict[str, uuid.UUID]
    tokens: dict[str, str] = field(default_factory=dict)
    persons: dict[str, uuid.UUID] = field(default_factory=dict)

    def community_gid(self) -> str:
        return gid("Community", self.community)


async def build_voting_estate(runtime: Any, gql: GraphQLClient, prefix: str = "gov") -> VotingEstate:
    """The tenant described in the module docstring, with logins for every actor."""
    from kernel.identity import service as identity
    from kernel.identity.authz import Policies
    from tenants.estate import service
    from tenants.lifecycle import provision

    slug = unique_slug(prefix)
    p = await provision(runtime, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password=PASSWORD)
    tid = p.tenant_id
    accounts: dict[str, uuid.UUID] = {}
    roles = {"a": "owner", "c": "owner", "e": "owner", "f": "owner", "renter": "resident", "staff": "property_staff", "committee": "committee_member"}
    async with runtime.db.tenant(tid) as s:
        for name in roles:
            acc = await identity.create_account(s, f"{slug}-{name}", PASSWORD, name)
            accounts[name] = acc.id
    async with runtime.db.tenant(tid) as s:
        policies = Policies(s, tid)
        for name, role in roles.items():
            await policies.assign_role(accounts[name], role, source="tenant")
        c = await service.create_community(s, code="G1", name="治理社区", street_code="滨江街道")
        cp = await service.create_compound(s, community_id=c.id, name="一期")
        b1 = await service.create_building(s, compound_id=cp.id, name="1幢")
        b2 = await service.create_building(s, compound_id=cp.id, name="2幢")
        units = {}
        for key, b, area, sold in (("u1", b1, 10000, True), ("u2", b1, 8000, True), ("u3", b1, 9000, True), ("u4", b1, 3000, False), ("u5", b2, 12000, True), ("u6", b2, 7000, True)):
            u = await service.create_unit(s, building_id=b.id, number=key, registered_area=area, sold=sold)
            units[key] = u.id
        persons = {}
        for name, account in (("a", "a"), ("c", "c"), ("d", None), ("e", "e"), ("f", "f"), ("renter", "renter")):
            person = await service.register_person(s, runtime.vault, tid, name=f"业主{name}", account_id=accounts[account] if account else None)
            persons[name] = person.id
        for unit, person in (("u1", "a"), ("u2", "a"), ("u3", "c"), ("u5", "e"), ("u6", "f")):
            await service.add_ownership(s, unit_id=units[unit], person_id=persons[person], share_bp=5000 if unit == "u3" else 10000)
        await service.add_ownership(s, unit_id=units["u3"], person_id=persons["d"], share_bp=5000)
        await service.add_residency(s, unit_id=units["u1"], person_id=persons["renter"], kind="renter")
    estate = VotingEstate(tid, slug, c.id, [b1.id, b2.id], units, persons=persons)
    estate.tokens["admin"] = await gql.login(f"{slug}-admin", PASSWORD, slug)
    for name in roles:
        estate.tokens[name] = await gql.login(f"{slug}-{name}", PASSWORD, slug)
    return estate
