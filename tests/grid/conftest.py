"""Fixtures for the grid plugin: a firm with grid enabled, a community with two buildings, two
grids with a grid worker each, and helpers to run GraphQL and read what was stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay

from kernel.sdk import grant_consent
from kernel.sdk.testing import Member, TenantFixture


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


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert not result.get("errors"), result
    return result["data"]  # type: ignore[no-any-return]


@dataclass
class Firm:
    tenant: TenantFixture
    community_id: uuid.UUID
    buildings: tuple[uuid.UUID, uuid.UUID]
    grids: tuple[str, str]
    workers: tuple[Member, Member]
    street: str


class GridKit:
    """Helpers bound to one test's runtime and GraphQL client."""

    def __init__(
        self, runtime: Any, gql: Any, new_tenant: Any, enable_plugin: Any, actor: Any
    ) -> None:
        self.runtime, self.gql, self.new_tenant = runtime, gql, new_tenant
        self.enable_plugin, self.actor = enable_plugin, actor

    async def q(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str
    ) -> dict[str, Any]:
        return await self.gql(query, variables or {}, token=token)  # type: ignore[no-any-return]

    async def firm(self, prefix: str = "grid", street: str | None = None) -> Firm:
        from tenants.estate import service as estate

        t = await self.new_tenant(prefix)
        await self.enable_plugin(t, "grid")
        street = street or f"S-{uuid.uuid4().hex[:6]}"
        async with self.runtime.db.tenant(t.tenant_id) as s:
            c = await estate.create_community(
                s, code=f"C{uuid.uuid4().hex[:5]}", name="和平里社区", street_code=street
            )
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b1 = await estate.create_building(s, compound_id=cp.id, name="1幢", floors=6)
            b2 = await estate.create_building(s, compound_id=cp.id, name="2幢", floors=6)
        grids = []
        workers = []
        for name, building in (("第一网格", b1.id), ("第二网格", b2.id)):
            g = ok(
                await self.q(
                    "mutation($c: ID!, $n: String!) { createGrid(communityId: $c, name: $n) { id } }",
                    {"c": gid("Community", c.id), "n": name},
                    token=t.token,
                )
            )["createGrid"]["id"]
            ok(
                await self.q(
                    "mutation($g: ID!, $b: ID!) { addGridBuilding(gridId: $g, buildingId: $b) { id } }",
                    {"g": g, "b": gid("Building", building)},
                    token=t.token,
                )
            )
            worker = await self.actor(t, "grid_worker")
            ok(
                await self.q(
                    "mutation($g: ID!, $a: ID!) { addGridMember(gridId: $g, accountId: $a, role: grid_worker) { id } }",
                    {"g": g, "a": str(worker.account_id)},
                    token=t.token,
                )
            )
            grids.append(g)
            workers.append(worker)
        return Firm(t, c.id, (b1.id, b2.id), (grids[0], grids[1]), (workers[0], workers[1]), street)

    async def person(self, firm: Firm, name: str, account_id: uuid.UUID | None = None) -> uuid.UUID:
        from tenants.estate import service as estate

        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            p = await estate.register_person(
                s, self.runtime.vault, firm.tenant.tenant_id, name=name, account_id=account_id
            )
        return p.id  # type: ignore[no-any-return]

    async def consent(self, firm: Firm, person_id: uuid.UUID, purpose: str) -> None:
        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            await grant_consent(
                s,
                person_id=person_id,
                purpose=purpose,
                actor="staff:paper-form",
                wording_version="1",
                runtime=self.runtime,
            )

    async def route(
        self, firm: Firm, grid: str, *, interval: int = 60, starts_at: str | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        """A route of ``grid`` with two QR checkpoints: (route id, checkpoints with tag codes)."""
        r = ok(
            await self.q(
                'mutation($g: ID!, $i: Int!, $s: DateTime) { createPatrolRoute(gridId: $g, name: "夜间巡查", intervalMinutes: $i, startsAt: $s) { id } }',
                {"g": grid, "i": interval, "s": starts_at},
                token=firm.tenant.token,
            )
        )["createPatrolRoute"]["id"]
        points = []
        for name in ("东门", "地下车库"):
            points.append(
                ok(
                    await self.q(
                        "mutation($r: ID!, $n: String!) { addPatrolCheckpoint(routeId: $r, name: $n) { id name position tagKind tagCode } }",
                        {"r": r, "n": name},
                        token=firm.tenant.token,
                    )
                )["addPatrolCheckpoint"]
            )
        return r, points

    async def notified(self, firm: Firm, template: str) -> list[Any]:
        from sqlalchemy import select

        from kernel.notifications.models import Notification

        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            return list(
                await s.scalars(select(Notification).where(Notification.template == template))
            )

    async def audit_actions(self, tenant_id: uuid.UUID, prefix: str) -> list[str]:
        from sqlalchemy import select

        from kernel.audit import AuditEntry

        async with self.runtime.db.tenant(tenant_id) as s:
            return list(
                await s.scalars(
                    select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
                )
            )


@pytest_asyncio.fixture
async def kit(runtime, gql, new_tenant, enable_plugin, actor) -> GridKit:  # type: ignore[no-untyped-def]
    return GridKit(runtime, gql, new_tenant, enable_plugin, actor)
