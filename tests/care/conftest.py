"""Fixtures for the care plugin: a firm with care enabled, a small estate, an elder in the
register with a login, and helpers to consent, enrol, provision care devices and read what was
notified."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from strawberry import relay

from kernel.sdk import grant_consent, revoke_consent
from kernel.sdk.testing import PASSWORD, TenantFixture

PURPOSE = "care.health_monitoring"


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
class Elder:
    person_id: uuid.UUID
    account_id: uuid.UUID
    token: str


@dataclass
class Firm:
    tenant: TenantFixture
    community_id: uuid.UUID
    unit_id: uuid.UUID
    street: str


class Care:
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

    async def firm(self, prefix: str = "care", street: str | None = None) -> Firm:
        from tenants.estate import service as estate

        t = await self.new_tenant(prefix)
        await self.enable_plugin(t, "care")
        street = street or f"S-{uuid.uuid4().hex[:6]}"
        async with self.runtime.db.tenant(t.tenant_id) as s:
            c = await estate.create_community(
                s, code=f"C{uuid.uuid4().hex[:5]}", name="幸福里社区", street_code=street
            )
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            b = await estate.create_building(s, compound_id=cp.id, name="3幢", floors=6)
            u = await estate.create_unit(s, building_id=b.id, number="301", registered_area=8000)
        return Firm(t, c.id, u.id, street)

    async def elder(self, firm: Firm, name: str = "王秀英", *, consent: bool = True) -> Elder:
        from tenants.estate import service as estate

        member = await self.actor(firm.tenant, "resident")
        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            p = await estate.register_person(
                s,
                self.runtime.vault,
                firm.tenant.tenant_id,
                name=name,
                account_id=member.account_id,
            )
        if consent:
            await self.consent(firm, p.id)
        return Elder(p.id, member.account_id, member.token)

    async def consent(self, firm: Firm, person_id: uuid.UUID) -> None:
        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            await grant_consent(
                s,
                person_id=person_id,
                purpose=PURPOSE,
                actor="staff:paper-form",
                wording_version="1",
                runtime=self.runtime,
            )

    async def revoke(self, firm: Firm, person_id: uuid.UUID) -> None:
        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            await revoke_consent(
                s, person_id=person_id, purpose=PURPOSE, actor="account:elder", runtime=self.runtime
            )

    async def enrol(self, firm: Firm, elder: Elder, **extra: Any) -> str:
        args = ", ".join(f"{k}: {v}" for k, v in extra.items())
        r = await self.gql(
            f'mutation($p: ID!, $c: ID!) {{ enrolCareRecipient(personId: $p, communityId: $c, healthNotes: "高血压，服用氨氯地平"{", " + args if args else ""}) {{ id maskedName status }} }}',
            {"p": str(elder.person_id), "c": gid("Community", firm.community_id)},
            token=firm.tenant.token,
        )
        return str(ok(r)["enrolCareRecipient"]["id"])

    async def device(self, firm: Firm, recipient: str, kind: str, profile: str) -> tuple[str, str]:
        """A provisioned care device linked to the recipient: (device global id, token)."""
        r = ok(
            await self.gql(
                "mutation($i: ProvisionDeviceInput!) { provisionDevice(input: $i) { token device { id } } }",
                {
                    "i": {
                        "name": f"{kind} 301",
                        "type": profile,
                        "placeId": gid("Unit", firm.unit_id),
                    }
                },
                token=firm.tenant.token,
            )
        )["provisionDevice"]
        ok(
            await self.gql(
                "mutation($r: ID!, $d: ID!, $k: CareDeviceKind!) { linkCareDevice(recipientId: $r, deviceId: $d, kind: $k) { kind } }",
                {"r": recipient, "d": r["device"]["id"], "k": kind},
                token=firm.tenant.token,
            )
        )
        return r["device"]["id"], r["token"]

    async def telemetry(self, token: str, values: dict[str, Any], ts_ms: int | None = None) -> None:
        body: Any = {"ts": ts_ms, "values": values} if ts_ms is not None else values
        response = await self.gql.http.post(f"/api/v1/{token}/telemetry", json=body)
        assert response.status_code == 200, response.text

    async def alerts(self, token: str, recipient: str | None = None) -> list[dict[str, Any]]:
        r = await self.gql(
            "query($r: ID) { careAlerts(recipientId: $r) { id kind status recipientId escalationId acknowledgedAt arrivedAt resolvedAt detail } }",
            {"r": recipient},
            token=token,
        )
        return ok(r)["careAlerts"]  # type: ignore[no-any-return]

    async def notified(self, firm: Firm, template: str = "care.alert") -> list[Any]:
        from sqlalchemy import select

        from kernel.notifications.models import Notification

        async with self.runtime.db.tenant(firm.tenant.tenant_id) as s:
            return list(
                await s.scalars(select(Notification).where(Notification.template == template))
            )


@pytest_asyncio.fixture
async def care(runtime, gql, new_tenant, enable_plugin, actor) -> Care:  # type: ignore[no-untyped-def]
    return Care(runtime, gql, new_tenant, enable_plugin, actor)


__all__ = ["PASSWORD", "Care", "code_of", "gid", "ok"]
