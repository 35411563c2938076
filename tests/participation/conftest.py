"""Fixtures for the participation plugin: a firm with participation enabled and a small estate —
two buildings, six units owned by owners A–F (unit 6 co-owned by F and G, two logins), a renter
living in unit 1, a committee member, and a login with the owner role but no register person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from strawberry import relay

from kernel.sdk.testing import TenantFixture


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at production cost takes ~1 s per hash here; these tests are not about passwords."""
    from argon2 import PasswordHasher

    from kernel.identity import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def gid(type_name: str, value: uuid.UUID | str) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def code_of(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


def ext(result: dict[str, Any]) -> dict[str, Any]:
    return (result.get("errors") or [{}])[0].get("extensions", {})  # type: ignore[no-any-return]


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert not result.get("errors"), result
    return result["data"]  # type: ignore[no-any-return]


@dataclass
class Firm:
    tenant: TenantFixture
    community_id: uuid.UUID
    street: str
    units: list[uuid.UUID] = field(default_factory=list)
    #: tokens by name: A–G (owners), renter, committee, stranger (owner role, not registered)
    tokens: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def community(self) -> str:
        return gid("Community", self.community_id)


OWNERS = "ABCDEFG"


class Hall:
    """Helpers bound to one test's runtime and GraphQL client."""

    def __init__(
        self, runtime: Any, gql: Any, new_tenant: Any, enable_plugin: Any, actor: Any
    ) -> None:
        self.runtime, self.gql, self.new_tenant, self.enable_plugin, self.actor = (
            runtime,
            gql,
            new_tenant,
            enable_plugin,
            actor,
        )

    async def firm(self, prefix: str = "part", street: str | None = None) -> Firm:
        from tenants.estate import service as estate

        t = await self.new_tenant(prefix)
        await self.enable_plugin(t, "participation")
        street = street or f"S-{uuid.uuid4().hex[:6]}"
        members = {name: await self.actor(t, "owner") for name in OWNERS}
        members["renter"] = await self.actor(t, "resident")
        members["committee"] = await self.actor(t, "committee_member")
        members["stranger"] = await self.actor(t, "owner")
        async with self.runtime.db.tenant(t.tenant_id) as s:
            c = await estate.create_community(
                s, code=f"C{uuid.uuid4().hex[:5]}", name="和谐家园", street_code=street
            )
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b1 = await estate.create_building(s, compound_id=cp.id, name="1幢", floors=6)
            b2 = await estate.create_building(s, compound_id=cp.id, name="2幢", floors=6)
            units = []
            for i in range(6):
                u = await estate.create_unit(
                    s,
                    building_id=(b1 if i < 3 else b2).id,
                    number=f"{i + 1}01",
                    registered_area=9000,
                )
                units.append(u.id)
            persons = {}
            for name in (*OWNERS, "renter"):
                p = await estate.register_person(
                    s,
                    self.runtime.vault,
                    t.tenant_id,
                    name=f"业主{name}",
                    account_id=members[name].account_id,
                )
                persons[name] = p.id
            for i, name in enumerate("ABCDEF"):
                await estate.add_ownership(
                    s,
                    unit_id=units[i],
                    person_id=persons[name],
                    share_bp=5000 if name == "F" else 10000,
                )
            await estate.add_ownership(s, unit_id=units[5], person_id=persons["G"], share_bp=5000)
            await estate.add_residency(
                s, unit_id=units[0], person_id=persons["renter"], kind="renter"
            )
        return Firm(
            t,
            c.id,
            street,
            units,
            {k: v.token for k, v in members.items()},
            {k: v.account_id for k, v in members.items()},
        )

    async def configure(self, firm: Firm, kind: str, value: int, days: int = 15) -> dict[str, Any]:
        r = await self.gql(
            "mutation($c: ID!, $k: CoSignThresholdKind!, $v: Int!, $d: Int!) { configureParticipation(communityId: $c, thresholdKind: $k, thresholdValue: $v, answerWithinDays: $d) { thresholdKind thresholdValue answerWithinDays owners thresholdNow } }",
            {"c": firm.community, "k": kind, "v": value, "d": days},
            token=firm.tokens["committee"],
        )
        return ok(r)["configureParticipation"]  # type: ignore[no-any-return]

    async def open(
        self, firm: Firm, who: str = "A", title: str = "增设电动自行车充电桩"
    ) -> dict[str, Any]:
        return await self.gql(  # type: ignore[no-any-return]
            "mutation($c: ID!, $t: String!, $b: String!) { openDeliberationTopic(communityId: $c, title: $t, body: $b) { id status threshold coSignatures answerDueAt openedByMe signedByMe } }",
            {
                "c": firm.community,
                "t": title,
                "b": "建议在2幢北侧增设集中充电桩，杜绝飞线充电的消防隐患。",
            },
            token=firm.tokens[who],
        )

    async def co_sign(self, firm: Firm, topic: str, who: str) -> dict[str, Any]:
        return await self.gql(  # type: ignore[no-any-return]
            "mutation($t: ID!) { coSignDeliberationTopic(topicId: $t) { status coSignatures threshold answerDueAt signedByMe } }",
            {"t": topic},
            token=firm.tokens[who],
        )

    async def notified(self, firm: Firm, template: str) -> list[Any]:
        from kernel.notifications.models import Notification

        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            return list(
                await s.scalars(select(Notification).where(Notification.template == template))
            )

    async def audit_actions(self, tenant_id: uuid.UUID, prefix: str) -> list[str]:
        from kernel.audit import AuditEntry

        async with self.runtime.db.tenant(tenant_id) as s:
            return list(
                await s.scalars(
                    select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
                )
            )

    async def board(self, firm: Firm, who: str = "B") -> list[dict[str, Any]]:
        r = await self.gql(
            "query($c: ID!) { disclosureBoard(communityId: $c) { title body category } }",
            {"c": firm.community},
            token=firm.tokens[who],
        )
        return ok(r)["disclosureBoard"]  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def hall(runtime, gql, new_tenant, enable_plugin, actor) -> Hall:  # type: ignore[no-untyped-def]
    return Hall(runtime, gql, new_tenant, enable_plugin, actor)
