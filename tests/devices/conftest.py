"""Fixtures for the device tests.

* ``runtime`` (overridden) also loads ``device_event_probe``, a core test plugin hearing every
  ``device.*`` event, so tests can assert what was published;
* ``dev`` — helpers: a tenant with a community/building/unit, provisioning through GraphQL,
  posting to the ThingsBoard-compatible HTTP API, delivering the outbox;
* ``broker`` — a Mosquitto with the ``linli_auth`` plugin on a free port (skips where it cannot
  be built).
"""

from __future__ import annotations

import json
import types
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl
from kernel.testing import missing


@pytest.fixture
def broker(tmp_path):  # type: ignore[no-untyped-def]
    from kernel.devices.broker import BrokerUnavailable, LocalBroker

    b = LocalBroker(tmp_path / "mosquitto")
    try:
        b.start()
    except BrokerUnavailable as exc:
        missing("mqtt", str(exc))
    yield b
    b.stop()


def _probe() -> types.ModuleType:
    mod = types.ModuleType("device_event_probe")
    mod.MANIFEST = PluginManifest(name="device_event_probe", version="0", sdk_api=SDK_API_VERSION, default_enabled=True)  # type: ignore[attr-defined]
    mod.seen = []  # type: ignore[attr-defined]

    async def record(ctx: Any, event: Any) -> None:
        if event.type.startswith("device."):
            mod.seen.append(event)  # type: ignore[attr-defined]

    @hookimpl
    def register_event_handlers() -> dict[str, Any]:
        return {"*": record}

    mod.register_event_handlers = register_event_handlers  # type: ignore[attr-defined]
    return mod


@pytest_asyncio.fixture
async def probe() -> types.ModuleType:
    return _probe()


@pytest_asyncio.fixture
async def runtime(make_runtime, probe):  # type: ignore[no-untyped-def]
    rt = make_runtime(extra_plugins=[probe])
    from kernel.devices.config import DeviceSettings

    rt.services["device_settings"] = DeviceSettings()
    return rt


@dataclass
class Estate:
    tenant: Any
    community: str
    building: str
    unit: str


class DeviceHelpers:
    def __init__(self, runtime: Any, gql: Any, new_tenant: Any, probe: Any) -> None:
        self.runtime = runtime
        self.gql = gql
        self.new_tenant = new_tenant
        self.probe = probe

    async def estate(self, prefix: str = "firm") -> Estate:
        t = await self.new_tenant(prefix)
        r = await self.gql('mutation { createCommunity(code: "C1", name: "幸福里") { id } }', token=t.token)
        cid = r["data"]["createCommunity"]["id"]
        r = await self.gql('mutation($c: ID!) { createCompound(communityId: $c, name: "一期") { id } }', {"c": cid}, token=t.token)
        r = await self.gql('mutation($c: ID!) { createBuilding(compoundId: $c, name: "1幢", floors: 18) { id } }', {"c": r["data"]["createCompound"]["id"]}, token=t.token)
        bid = r["data"]["createBuilding"]["id"]
        r = await self.gql('mutation($b: ID!) { createUnit(input: {buildingId: $b, number: "101", registeredArea: 8963}) { id } }', {"b": bid}, token=t.token)
        return Estate(t, cid, bid, r["data"]["createUnit"]["id"])

    async def provision(self, estate: Estate, type_: str = "environment_sensor", place: str | None = None, name: str = "sensor 1") -> tuple[str, str]:
        r = await self.gql(
            "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token device { id type placeKind } } }",
            {"i": {"name": name, "type": type_, "placeId": place or estate.building}},
            token=estate.tenant.token,
        )
        assert not r.get("errors"), r
        return r["data"]["provisionDevice"]["device"]["id"], r["data"]["provisionDevice"]["token"]

    async def post(self, token: str, body: Any, kind: str = "telemetry", raw: bytes | None = None) -> Any:
        content = raw if raw is not None else json.dumps(body).encode()
        return await self.gql.http.post(f"/api/v1/{token}/{kind}", content=content, headers={"content-type": "application/json"})

    async def deliver(self, estate: Estate) -> list[Any]:
        """Deliver the estate's tenant's outbox; the device events it published, in order."""
        await self.runtime.outbox.drain(estate.tenant.tenant_id)
        return [e for e in self.probe.seen if e.tenant_id == estate.tenant.tenant_id]

    def events(self, type_: str, estate: Estate) -> list[Any]:
        return [e for e in self.probe.seen if e.type == type_ and e.tenant_id == estate.tenant.tenant_id]

    async def latest(self, estate: Estate, device_id: str) -> dict[str, Any]:
        r = await self.gql("query($d: ID!) { device(id: $d) { latest { key value unit ts } } }", {"d": device_id}, token=estate.tenant.token)
        assert not r.get("errors"), r
        return {v["key"]: v["value"] for v in r["data"]["device"]["latest"]}

    async def alarms(self, estate: Estate, **filters: Any) -> list[dict[str, Any]]:
        r = await self.gql(
            "query($s: String, $o: Boolean!) { alarms(status: $s, openOnly: $o, first: 100) { edges { node { id rule severity status count device { name } } } } }",
            {"s": filters.get("status"), "o": filters.get("open_only", False)},
            token=estate.tenant.token,
        )
        assert not r.get("errors"), r
        return [e["node"] for e in r["data"]["alarms"]["edges"]]

    async def device_uuid(self, gid: str) -> uuid.UUID:
        from strawberry import relay

        return uuid.UUID(relay.GlobalID.from_id(gid).node_id)


@pytest_asyncio.fixture
async def dev(runtime, gql, new_tenant, probe) -> DeviceHelpers:  # type: ignore[no-untyped-def]
    return DeviceHelpers(runtime, gql, new_tenant, probe)
