"""``linli demo``'s people come through the product's paths (staff invitations accepted, owner and renter
claims approved by staff, the renter added by the owner, the developer's representative linked), every
built-in plugin is enabled, and the printed logins work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.identity.models import Account, Invitation
from kernel.plugins.enablement import enabled_plugins
from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from tenants.estate.models import Community, OwnerClaim, Person, Residency
from tests.fixtures.estates import fast_passwords  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")


def ok(r: dict) -> dict:
    assert not r.get("errors"), r
    return r["data"]


async def test_demo_people_and_plugins(runtime, gql) -> None:  # type: ignore[no-untyped-def]
    result = await seed_demo(runtime, units=40)
    tokens = {}
    for username, _ in result.logins:
        tokens[username] = await gql.login(username, DEMO_PASSWORD, DEMO_SLUG)  # every printed login works
    assert {"demo-admin", "demo-owner", "demo-renter", "demo-developer"} <= set(tokens)

    owner_units = ok(await gql("{ myUnits { number household { name kind current } } }", token=tokens["demo-owner"]))["myUnits"]
    assert len(owner_units) >= 1 and [(m["name"], m["kind"], m["current"]) for m in owner_units[0]["household"]] == [("周租客", "renter", True)]
    homes = ok(await gql("{ myHomes { number kind } }", token=tokens["demo-renter"]))["myHomes"]
    assert homes == [{"number": owner_units[0]["number"], "kind": "renter"}]
    # a newcomer's first calls answer, not PLUGIN_DISABLED
    for query in ("{ workOrders(first: 1) { edges { node { id } } } }",):
        r = await gql(query, token=tokens["demo-admin"])
        assert not r.get("errors"), r

    async with runtime.db.tenant(result.tenant_id) as s:
        assert {"workorders", "fees", "inspections", "governance", "funds", "notices", "devices"} <= await enabled_plugins(s)
        verified = (await s.execute(select(OwnerClaim.kind, OwnerClaim.route, OwnerClaim.status))).all()
        assert sorted(verified) == [("owner", "staff", "verified"), ("resident", "staff", "verified")]
        developer = await s.scalar(select(Person).where(Person.kind == "developer"))
        assert developer is not None and developer.account_id is not None
        assert await s.scalar(select(func.count()).select_from(Residency).where(Residency.kind == "renter")) == 1
        # staff and the developer's representative: invitations the admin sent, accepted
        accepted = (await s.execute(select(Account.username).join(Invitation, Invitation.account_id == Account.id).where(Invitation.accepted_at.is_not(None)))).scalars().all()
        assert sorted(accepted) == ["demo-auditor", "demo-committee", "demo-developer", "demo-grid", "demo-staff", "demo-tech"]
    again = await seed_demo(runtime, units=40)  # idempotent: the tenant exists
    assert again.tenant_id == result.tenant_id


async def test_the_demo_owner_can_invite_a_visitor_at_the_demo_gate(runtime, gql) -> None:  # type: ignore[no-untyped-def]
    """The resident app shows the visitor-pass tile to the demo's owner: ``linli demo`` gives each
    community a gate (the access plugin's ``on_demo_seeded``), which owners pass by default."""
    from datetime import timedelta

    from kernel.db.base import utcnow
    from plugins.access import DEMO_GATE
    from plugins.access.models import AccessPoint

    result = await seed_demo(runtime, units=40)
    await runtime.host.demo_seeded(runtime, result.tenant_id)  # as `linli demo` does after seeding
    await runtime.host.demo_seeded(runtime, result.tenant_id)  # every invocation: still one gate each
    async with runtime.db.tenant(result.tenant_id) as s:
        gates = (await s.execute(select(AccessPoint.community_id, AccessPoint.kind).where(AccessPoint.name == DEMO_GATE))).all()
        communities = set((await s.scalars(select(Community.id))).all())
    assert sorted(c for c, _ in gates) == sorted(communities) and {k for _, k in gates} == {"gate"}

    token = await gql.login("demo-owner", DEMO_PASSWORD, DEMO_SLUG)
    now = utcnow()
    issued = ok(
        await gql(
            """mutation($i: VisitorPassInput!) { createVisitorPass(input: $i) { code pass { pointIds status } } }""",
            {"i": {"visitorName": "王小明", "validFrom": (now - timedelta(minutes=5)).isoformat(), "validUntil": (now + timedelta(hours=2)).isoformat()}},
            token=token,
        )
    )["createVisitorPass"]
    assert issued["code"] and issued["pass"]["status"] == "active" and len(issued["pass"]["pointIds"]) == 1
