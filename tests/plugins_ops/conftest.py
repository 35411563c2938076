"""Fixtures for the property-operations plugins (workorders, fees, inspections).

* ``runtime`` (overridden) also loads ``recorder``, a core test plugin that hears every event,
  so tests can assert what was published;
* ``ops`` — helpers: enable a plugin, add members with a role, build a small estate, deliver
  events, read what was published.
"""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl

PASSWORD = "correct horse battery"


def _recorder() -> types.ModuleType:
    # enabled for every tenant provisioned here (core=True is reserved to the kernel's own)
    mod = types.ModuleType("ops_event_recorder")
    mod.MANIFEST = PluginManifest(
        name="ops_event_recorder", version="0", sdk_api=SDK_API_VERSION, default_enabled=True
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
    """argon2id at production cost takes ~1 s per hash here; these tests are not about passwords."""
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


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        from kernel.identity.passwords import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class Estate:
    community_id: uuid.UUID
    building_id: uuid.UUID
    units: list[uuid.UUID] = field(default_factory=list)


class Ops:
    def __init__(self, runtime: Any, gql: Any, recorder: types.ModuleType) -> None:
        self.runtime = runtime
        self.gql = gql
        self.recorder = recorder

    async def enable(self, token: str, *names: str) -> None:
        for name in names:
            r = await self.gql(
                "mutation($n: String!) { enablePlugin(name: $n) { name enabled } }",
                {"n": name},
                token=token,
            )
            assert not r.get("errors"), r

    async def member(
        self, tenant: Any, role: str, username: str | None = None
    ) -> tuple[uuid.UUID, str]:
        """A new account with ``role`` in the tenant; returns (account id, access token).

        Skips argon2 (hashing and login are tested by the kernel): the account gets a fixed
        hash and its token is issued directly, which keeps these tests fast.
        """
        from kernel.identity import service as identity
        from kernel.identity.authz import Policies
        from kernel.identity.models import Account

        username = username or f"{tenant.slug}-{role}-{uuid.uuid4().hex[:6]}"
        async with self.runtime.db.tenant(tenant.tenant_id) as s:
            acc = Account(username=username, display_name=role, password_hash=_password_hash())
            s.add(acc)
            await s.flush()
            pair = await identity.issue_tokens(s, self.runtime.settings, acc, tenant.tenant_id)
            await Policies(s, tenant.tenant_id).assign_role(acc.id, role)
        return acc.id, pair.access_token

    async def estate(
        self, tenant_id: uuid.UUID, *, units: list[int] = (8963,), code: str | None = None
    ) -> Estate:  # type: ignore[assignment]
        from tenants.estate import service as estate

        async with self.runtime.db.tenant(tenant_id) as s:
            c = await estate.create_community(
                s, code=code or f"C{uuid.uuid4().hex[:6]}", name="幸福里社区"
            )
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b = await estate.create_building(s, compound_id=cp.id, name="1幢", floors=18)
            e = Estate(c.id, b.id)
            for i, area in enumerate(units):
                u = await estate.create_unit(
                    s, building_id=b.id, number=f"{100 + i + 1}", registered_area=area
                )
                e.units.append(u.id)
        return e

    async def own(
        self, tenant_id: uuid.UUID, unit_id: uuid.UUID, account_id: uuid.UUID, name: str = "张三明"
    ) -> None:
        from tenants.estate import service as estate

        async with self.runtime.db.tenant(tenant_id) as s:
            p = await estate.register_person(
                s, self.runtime.vault, tenant_id, name=name, account_id=account_id
            )
            await estate.add_ownership(s, unit_id=unit_id, person_id=p.id)

    async def publish(self, tenant_id: uuid.UUID, event_type: str, payload: dict[str, Any]) -> None:
        from kernel.sdk import Event

        async with self.runtime.db.tenant(tenant_id) as s:
            await self.runtime.bus.publish(s, Event(event_type, tenant_id, payload))

    async def deliver(self, tenant_id: uuid.UUID) -> int:
        return await self.runtime.outbox.drain(tenant_id)

    async def events(self, tenant_id: uuid.UUID, prefix: str = "") -> list[Any]:
        await self.deliver(tenant_id)
        return [
            e for e in self.recorder.seen if e.tenant_id == tenant_id and e.type.startswith(prefix)
        ]


@pytest_asyncio.fixture
async def ops(runtime, gql, recorder) -> Ops:  # type: ignore[no-untyped-def]
    return Ops(runtime, gql, recorder)
