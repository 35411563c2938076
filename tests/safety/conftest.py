"""Helpers for the safety tests: ``site`` — a firm with a community, a building and a unit,
``workorders`` and ``safety`` enabled, a property-staff member on duty (the roster's fallback),
devices provisioned through GraphQL and telemetry posted to the ThingsBoard-compatible HTTP API."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from strawberry import relay


def node_uuid(gid: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(gid).node_id)


@dataclass
class Site:
    tenant: Any
    community: str
    building: str
    unit: str
    staff: Any


class SafetyHelpers:
    def __init__(
        self, runtime: Any, gql: Any, new_tenant: Any, actor: Any, enable_plugin: Any
    ) -> None:
        self.runtime, self.gql, self.new_tenant, self.actor, self.enable = (
            runtime,
            gql,
            new_tenant,
            actor,
            enable_plugin,
        )

    async def site(
        self, prefix: str = "safe", *, plugins: tuple[str, ...] = ("workorders", "safety")
    ) -> Site:
        t = await self.new_tenant(prefix)
        for name in plugins:
            await self.enable(t, name)
        r = await self.q(
            'mutation { createCommunity(code: "C1", name: "幸福里") { id } }', token=t.token
        )
        cid = r["createCommunity"]["id"]
        r = await self.q(
            'mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }',
            {"c": cid},
            token=t.token,
        )
        r = await self.q(
            'mutation($c: ID!) { createBuilding(compoundId: $c, name: "3幢", floors: 18) { id } }',
            {"c": r["createCompound"]["id"]},
            token=t.token,
        )
        bid = r["createBuilding"]["id"]
        r = await self.q(
            'mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "1201", registeredArea: 8963}) { id } }',
            {"b": bid},
            token=t.token,
        )
        staff = await self.actor(t, "property_staff")
        return Site(t, cid, bid, r["createUnit"]["id"], staff)

    async def q(self, query: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
        r = await self.gql(query, variables or {}, token=token)
        assert not r.get("errors"), r
        return r["data"]

    async def provision(
        self, site: Site, type_: str, name: str, place: str | None = None
    ) -> tuple[str, str]:
        r = await self.q(
            "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token device { id } } }",
            {"i": {"name": name, "type": type_, "placeId": place or site.building}},
            token=site.tenant.token,
        )
        return r["provisionDevice"]["device"]["id"], r["provisionDevice"]["token"]

    async def post(self, token: str, body: Any) -> None:
        r = await self.gql.http.post(
            f"/api/v1/{token}/telemetry",
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200, r.text

    async def deliver(self, site: Site, rounds: int = 4) -> None:
        """Run the outbox until quiet (events → alarms → work orders → links)."""
        for _ in range(rounds):
            if not await self.runtime.outbox.drain(site.tenant.tenant_id):
                return

    async def alarms(
        self, site: Site, token: str | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        args = ", ".join(f"{k}: {v}" for k, v in filters.items())
        r = await self.q(
            "query { safetyAlarms"
            + (f"({args})" if args else "")
            + " { edges { node { id type severity status location floorFrom floorTo clipRef count "
            "communityId buildingId deviceId workOrderRef workOrderId liftCommandId escalated falseAlarm "
            "raisedAt acknowledgedAt arrivedAt resolvedAt } } } }",
            token=token or site.tenant.token,
        )
        return [e["node"] for e in r["safetyAlarms"]["edges"]]

    async def work_orders(self, site: Site) -> dict[str, dict[str, Any]]:
        """The firm's work orders by global id."""
        r = await self.q(
            "query { workOrders(first: 100) { edges { node { id kind source category priority status title location communityId } } } }",
            token=site.tenant.token,
        )
        return {e["node"]["id"]: e["node"] for e in r["workOrders"]["edges"]}

    async def notifications(self, site: Site, template: str = "safety.alarm") -> list[Any]:
        from kernel.notifications.models import Notification

        async with self.runtime.db.tenant(site.tenant.tenant_id) as s:
            return list(
                await s.scalars(select(Notification).where(Notification.template == template))
            )


@pytest_asyncio.fixture
async def safety(runtime, gql, new_tenant, actor, enable_plugin) -> SafetyHelpers:  # type: ignore[no-untyped-def]
    return SafetyHelpers(runtime, gql, new_tenant, actor, enable_plugin)
