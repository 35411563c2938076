"""``linli demo``'s people come through the product's paths (staff invitations accepted, owner and renter
claims approved by staff, the renter added by the owner, the developer's representative linked), every
built-in plugin is enabled, and the printed logins work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.identity.models import Account, Invitation
from kernel.plugins.enablement import enabled_plugins
from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo
from tenants.estate.models import OwnerClaim, Person, Residency
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
