"""Fixtures for the parking plugin's tests: ``park`` builds a firm with the plugin enabled, an
estate (one community, two units), a lot with an entry and an exit lane, and drives barrier
reads through the device HTTP API (the path a lane camera takes) or straight into the service."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at production cost takes ~1 s per hash here; these tests are not about passwords."""
    from argon2 import PasswordHasher

    from kernel.identity import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def gid(type_name: str, value: Any) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def uid(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


def code_of(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


@dataclass
class Site:
    tenant: Any
    community_id: uuid.UUID
    units: list[uuid.UUID]
    lot_id: str = ""
    entry: dict[str, str] = field(default_factory=dict)  # {"id": gid, "token": device token}
    exit: dict[str, str] = field(default_factory=dict)


class Park:
    def __init__(
        self, runtime: Any, gql: Any, new_tenant: Any, actor: Any, enable_plugin: Any, deliver: Any
    ) -> None:
        self.runtime, self.gql, self.new_tenant, self.actor = runtime, gql, new_tenant, actor
        self.enable_plugin, self.deliver = enable_plugin, deliver

    async def ok(
        self, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        r = await self.gql(query, variables, token=token)
        assert not r.get("errors"), r
        return dict(r["data"])

    async def site(
        self, prefix: str = "park", *, plugins: tuple[str, ...] = (), lanes: bool = True
    ) -> Site:
        from tenants.estate import service as estate

        t = await self.new_tenant(prefix)
        for name in ("parking", *plugins):
            await self.enable_plugin(t, name)
        async with self.runtime.db.tenant(t.tenant_id) as s:
            c = await estate.create_community(s, code=f"C{uuid.uuid4().hex[:6]}", name="幸福里社区")
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b = await estate.create_building(s, compound_id=cp.id, name="1幢", floors=18)
            units = [
                (await estate.create_unit(s, building_id=b.id, number=n, registered_area=8963)).id
                for n in ("101", "102")
            ]
        site = Site(t, c.id, units)
        lot = await self.ok(
            t.token,
            """mutation($c: ID!) { createParkingLot(communityId: $c, name: "地下车库", capacity: 120,
                 tariff: {freeMinutes: 15, hourlyFen: 500, nightHourlyFen: 100, nightStart: 1320, nightEnd: 420,
                          dailyCapFen: 4000, noEntryFeeFen: 3000}) { id } }""",
            {"c": gid("Community", c.id)},
        )
        site.lot_id = lot["createParkingLot"]["id"]
        if lanes:
            site.entry = await self.lane(site, "entry")
            site.exit = await self.lane(site, "exit")
        return site

    async def device(self, site: Site, device_type: str, name: str) -> dict[str, str]:
        d = await self.ok(
            site.tenant.token,
            "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token device { id } } }",
            {
                "i": {
                    "name": name,
                    "type": device_type,
                    "placeId": gid("Community", site.community_id),
                }
            },
        )
        return {"id": d["provisionDevice"]["device"]["id"], "token": d["provisionDevice"]["token"]}

    async def lane(self, site: Site, direction: str) -> dict[str, str]:
        dev = await self.device(site, "parking_barrier", f"{direction} lane {uuid.uuid4().hex[:4]}")
        await self.ok(
            site.tenant.token,
            "mutation($l: ID!, $d: ID!, $dir: String!) { addParkingGate(lotId: $l, deviceId: $d, direction: $dir) { id } }",
            {"l": site.lot_id, "d": dev["id"], "dir": direction},
        )
        return dev

    async def telemetry(self, token: str, ts_ms: int, values: dict[str, Any]) -> None:
        r = await self.gql.http.post(
            f"/api/v1/{token}/telemetry",
            content=json.dumps({"ts": ts_ms, "values": values}).encode(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200, r.text

    async def read(
        self, site: Site, lane: dict[str, str], plate: str, ts_ms: int, *, deliver: bool = True
    ) -> None:
        """A plate read of a lane through the device API, then the outbox delivered."""
        await self.telemetry(lane["token"], ts_ms, {"plate": plate})
        if deliver:
            await self.deliver(site.tenant)

    async def direct(self, site: Site, lane: dict[str, str], plate: str, ts_ms: int) -> Any:
        """A plate read handed straight to the service (one transaction), as the handler does."""
        from plugins.parking import sessions

        async with self.runtime.db.tenant(site.tenant.tenant_id) as s:
            return await sessions.process_read(
                self.runtime,
                s,
                site.tenant.tenant_id,
                device_id=uid(lane["id"]),
                ts=ts_ms,
                plate=plate,
                publish=False,
            )

    async def link(self, site: Site, account_id: uuid.UUID, unit_id: uuid.UUID) -> None:
        """The owner register links ``account_id`` to the unit (as its resident)."""
        from kernel.sdk.estate import Person, Residency

        async with self.runtime.db.tenant(site.tenant.tenant_id) as s:
            person = Person(id=uuid.uuid4(), name="张三", account_id=account_id)
            s.add(person)
            await s.flush()
            s.add(Residency(id=uuid.uuid4(), unit_id=unit_id, person_id=person.id, kind="renter"))


@pytest_asyncio.fixture
async def park(runtime, gql, new_tenant, actor, enable_plugin, deliver) -> Park:  # type: ignore[no-untyped-def]
    return Park(runtime, gql, new_tenant, actor, enable_plugin, deliver)
