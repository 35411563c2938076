"""A site for the access tests: firm, estate, people, readers — built through the services.

* ``recorder`` — a test plugin hearing every event, so tests assert what was published;
* ``site`` — ``await site()`` builds one firm (``Site``); call it twice for two firms.
"""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl

PASSWORD = "correct horse battery"  # noqa: S105 - a test password


def _recorder() -> types.ModuleType:
    mod = types.ModuleType("access_event_recorder")
    mod.MANIFEST = PluginManifest(
        name="access_event_recorder", version="0", sdk_api=SDK_API_VERSION, default_enabled=True
    )  # type: ignore[attr-defined]
    mod.seen = []  # type: ignore[attr-defined]

    async def record(ctx: Any, event: Any) -> None:
        mod.seen.append(event)  # type: ignore[attr-defined]

    @hookimpl
    def register_event_handlers() -> dict[str, Any]:
        return {"*": record}

    mod.register_event_handlers = register_event_handlers  # type: ignore[attr-defined]
    return mod


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from kernel.identity import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest_asyncio.fixture
async def recorder() -> types.ModuleType:
    return _recorder()


@pytest_asyncio.fixture
async def runtime(make_runtime, recorder):  # type: ignore[no-untyped-def]
    return make_runtime(extra_plugins=[recorder])


@dataclass
class Person:
    account_id: uuid.UUID
    token: str
    person_id: uuid.UUID | None = None


@dataclass
class Site:
    tenant: Any
    community_id: uuid.UUID
    building1: uuid.UUID
    building2: uuid.UUID
    resident: Person
    neighbour: Person  # lives in building 2
    staff: Person
    technician: Person
    points: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    devices: dict[str, uuid.UUID] = field(default_factory=dict)

    def gid(self, type_name: str, value: uuid.UUID) -> str:
        from strawberry import relay

        return str(relay.GlobalID(type_name, str(value)))


@pytest_asyncio.fixture
async def site(runtime, gql, new_tenant):  # type: ignore[no-untyped-def]
    from kernel.identity import service as identity
    from kernel.identity.authz import Policies
    from kernel.identity.models import Account
    from kernel.sdk import devices
    from kernel.sdk.estate import Person as RegisterPerson
    from kernel.sdk.estate import Residency
    from plugins.access import service
    from tenants.estate import service as estate

    async def member(
        tenant: Any, role: str, unit: uuid.UUID | None = None, name: str = "张三明"
    ) -> Person:
        async with runtime.db.tenant(tenant.tenant_id) as s:
            acc = Account(
                username=f"{tenant.slug}-{role}-{uuid.uuid4().hex[:6]}",
                display_name=role,
                password_hash="x",
            )
            s.add(acc)
            await s.flush()
            pair = await identity.issue_tokens(s, runtime.settings, acc, tenant.tenant_id)
            await Policies(s, tenant.tenant_id).assign_role(acc.id, role)
            person_id = None
            if unit is not None:
                p = RegisterPerson(id=uuid.uuid4(), name=name, account_id=acc.id)
                s.add(p)
                await s.flush()
                s.add(Residency(id=uuid.uuid4(), unit_id=unit, person_id=p.id, kind="renter"))
                person_id = p.id
        return Person(acc.id, pair.access_token, person_id)

    async def make(prefix: str = "access") -> Site:
        t = await new_tenant(prefix)
        r = await gql('mutation { enablePlugin(name: "access") { name } }', token=t.token)
        assert not r.get("errors"), r
        async with runtime.db.tenant(t.tenant_id) as s:
            c = await estate.create_community(s, code=f"C{uuid.uuid4().hex[:6]}", name="幸福里")
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b1 = await estate.create_building(s, compound_id=cp.id, name="1幢", floors=18)
            b2 = await estate.create_building(s, compound_id=cp.id, name="2幢", floors=18)
            u1 = await estate.create_unit(
                s, building_id=b1.id, number="1201", registered_area=8963, floor=12
            )
            u2 = await estate.create_unit(
                s, building_id=b2.id, number="301", registered_area=8963, floor=3
            )
            cid, b1id, b2id, u1id, u2id = c.id, b1.id, b2.id, u1.id, u2.id
        site = Site(
            t,
            cid,
            b1id,
            b2id,
            resident=await member(t, "resident", u1id),
            neighbour=await member(t, "resident", u2id, name="李四"),
            staff=await member(t, "property_staff"),
            technician=await member(t, "technician"),
        )
        specs = {
            "gate": dict(kind="gate", building_id=None, anti_passback=True),
            "door1": dict(kind="door", building_id=b1id),
            "door2": dict(kind="door", building_id=b2id),
            "lift1": dict(kind="lift", building_id=b1id),
        }
        async with runtime.db.tenant(t.tenant_id) as s:  # one transaction for the four readers
            for name, spec in specs.items():
                device, token = await devices.provision(
                    s,
                    devices.profiles(runtime),
                    tenant_id=t.tenant_id,
                    name=f"{name} reader",
                    type="access_reader",
                    place_kind="community",
                    place_id=cid,
                    community_id=cid,
                )
                point = await service.create_point(
                    runtime,
                    s,
                    community_id=cid,
                    name=name,
                    device_id=device.id,
                    **spec,  # type: ignore[arg-type]
                )
                site.points[name], site.tokens[name], site.devices[name] = (
                    point.id,
                    token,
                    device.id,
                )
        return site

    return make


class Reader:
    """A reader speaking the plugin's HTTP API."""

    def __init__(self, gql: Any, token: str) -> None:
        self.gql, self.token = gql, token

    async def ask(
        self,
        kind: str,
        value: str,
        direction: str = "in",
        event_id: str | None = None,
        *,
        status: int = 200,
    ) -> dict[str, Any]:
        import json

        body: dict[str, Any] = {"kind": kind, "value": value, "direction": direction}
        if event_id:
            body["event_id"] = event_id
        r = await self.gql.http.post(
            f"/plugins/access/devices/{self.token}/decisions",
            content=json.dumps(body),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == status, r.text
        return dict(r.json())

    async def upload(self, events: list[dict[str, Any]], *, status: int = 200) -> dict[str, Any]:
        import json

        r = await self.gql.http.post(
            f"/plugins/access/devices/{self.token}/events",
            content=json.dumps({"events": events}),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == status, r.text
        return dict(r.json())
