"""An open WebSocket stops as soon as its credential would be refused over HTTP (gateway/ws_watch.py):
a signed-out session, a deactivated login, a revoked API key, a suspended firm and an expired token
each close their connection with 4403 — and only theirs — over a real socket on a real server."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio
import websockets
from fixtures.estates import fast_passwords  # noqa: F401 - fixture
from fixtures.websocket import PROTOCOL, serving
from fixtures.websocket import acked as _acked

from kernel.identity.tokens import AccessClaims, issue_access_token
from kernel.sdk.testing import PASSWORD
from tests.devices.test_subscriptions_ws import ALARMS

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest_asyncio.fixture
async def runtime(make_runtime, linli_plugins):  # type: ignore[no-untyped-def]
    return make_runtime(extra_plugins=linli_plugins, ws_recheck_seconds=0.2)


async def _subscribed(url: str, payload: dict, headers: dict | None = None):  # type: ignore[no-untyped-def, type-arg]
    if headers:
        ws = await websockets.connect(url, subprotocols=[PROTOCOL], additional_headers=headers)
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    else:
        ws = await _acked(url, payload)
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALARMS}}))
    return ws


async def _closed(ws) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:  # nothing is published: the only thing that can end this is the close
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def _still_open(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), 0.8)  # four re-checks went by


LOGIN = "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }"


async def test_revocations_close_their_websockets_only(runtime, gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("wsrev")
    other = await new_tenant("wsoth")
    first = (await gql(LOGIN, {"u": t.admin, "p": PASSWORD, "t": t.slug}))["data"]["login"]["accessToken"]
    staff = await actor(t, "property_staff")
    key = (await gql('mutation { createApiKey(name: "bms", role: "property_staff") { id secret } }', token=t.token))["data"]["createApiKey"]
    short = issue_access_token(runtime.settings.secret_key, AccessClaims(staff.account_id, t.tenant_id), ttl_seconds=2)

    async with serving(gql.app) as url:
        by_session = await _subscribed(url, {"Authorization": f"Bearer {first}"})
        kept = await _subscribed(url, {"Authorization": f"Bearer {t.token}"})
        by_member = await _subscribed(url, {"token": staff.token})
        by_key = await _subscribed(url, {}, headers={"X-API-Key": key["secret"]})
        expiring = await _subscribed(url, {"token": short})
        elsewhere = await _subscribed(url, {"token": other.token})
        await _still_open(by_session)

        # sign out the first login's session from the second one
        sessions = (await gql("{ mySessions { id current } }", token=t.token))["data"]["mySessions"]
        target = [s["id"] for s in sessions if not s["current"]]
        assert len(target) == 1, sessions
        r = await gql("mutation($id: ID!) { revokeSession(id: $id) }", {"id": target[0]}, token=t.token)
        assert not r.get("errors"), r
        code, reason = await _closed(by_session)
        assert code == 4403 and "signed out" in reason

        r = await gql("mutation($a: ID!) { deactivateMember(accountId: $a) { active } }", {"a": str(staff.account_id)}, token=t.token)
        assert not r.get("errors"), r
        code, reason = await _closed(by_member)
        # deactivation also signs out every session of the login: either reason is the truth
        assert code == 4403 and ("deactivated" in reason or "signed out" in reason), reason

        r = await gql("mutation($id: ID!) { revokeApiKey(id: $id) }", {"id": key["id"]}, token=t.token)
        assert not r.get("errors"), r
        assert await _closed(by_key) == (4403, "the API key was revoked")

        # the short token belongs to the deactivated member too: whichever comes first closes it
        code, _ = await _closed(expiring)
        assert code == 4403

        # the admin's other session and the other firm's connection never noticed
        await _still_open(kept)
        await _still_open(elsewhere)

        # suspending the firm closes the rest of its connections
        from kernel.tenancy import TenantStatus
        from tenants.lifecycle import set_status

        await set_status(runtime, t.slug, TenantStatus.SUSPENDED, reason="unpaid")
        code, reason = await _closed(kept)
        assert code == 4403 and "suspended" in reason
        await _still_open(elsewhere)
        await elsewhere.close()


async def test_an_expired_token_closes_its_websocket(runtime, gql, tenant) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from kernel.identity.models import Account

    async with runtime.db.tenant(tenant.tenant_id) as s:
        admin = await s.scalar(select(Account.id).where(Account.username == tenant.admin))
    short = issue_access_token(runtime.settings.secret_key, AccessClaims(admin, tenant.tenant_id), ttl_seconds=1)
    async with serving(gql.app) as url:
        ws = await _subscribed(url, {"token": short})
        assert await _closed(ws) == (4403, "the access token has expired; log in again")
