"""Subscriptions over a real WebSocket (graphql-transport-ws) against a real uvicorn server:
the upgrade is served (it answered HTTP 500 before), ``connection_init`` authenticates, a
tenant's own alarm changes arrive and another tenant's never do, an expired token is refused."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

from kernel.identity.tokens import AccessClaims, issue_access_token
from tests.fixtures.websocket import PROTOCOL, acked, refused, serving

ALARMS = 'subscription { alarmChanges(severity: "critical") { change rule severity } }'


async def test_alarm_changes_over_a_real_websocket_reach_their_own_tenant_only(dev, gql, runtime):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    other = await dev.estate("other")
    _, token = await dev.provision(estate, "smoke_detector", name="3号楼烟感")
    _, other_token = await dev.provision(other, "smoke_detector", name="对面烟感")
    async with serving(gql.app) as url:
        mine = await acked(url, {"Authorization": f"Bearer {estate.tenant.token}"})
        theirs = await acked(url, {"token": other.tenant.token})
        for ws in (mine, theirs):
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALARMS}}))
        await asyncio.sleep(0.3)  # the subscriptions reach the event hub
        assert (await dev.post(token, {"smoke": True})).status_code == 200
        got = json.loads(await asyncio.wait_for(mine.recv(), 10))
        assert got == {"id": "1", "type": "next", "payload": {"data": {"alarmChanges": {"change": "raised", "rule": "smoke", "severity": "critical"}}}}, got
        # the other tenant's subscriber heard nothing of it; its own alarm does reach it
        assert (await dev.post(other_token, {"smoke": True})).status_code == 200
        got = json.loads(await asyncio.wait_for(theirs.recv(), 10))
        assert got["payload"]["data"]["alarmChanges"]["rule"] == "smoke", got
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(theirs.recv(), 0.5)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(mine.recv(), 0.5)
        # a query over the same connection runs as the connection's tenant
        await mine.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ devices { edges { node { name } } } }"}}))
        got = json.loads(await asyncio.wait_for(mine.recv(), 10))
        assert got["type"] == "next" and [e["node"]["name"] for e in got["payload"]["data"]["devices"]["edges"]] == ["3号楼烟感"], got
        for ws in (mine, theirs):
            await ws.close()


async def test_websocket_without_a_valid_credential_is_refused(dev, gql, runtime):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    expired = issue_access_token(
        runtime.settings.secret_key, AccessClaims(uuid.uuid4(), estate.tenant.tenant_id), ttl_seconds=-60
    )
    async with serving(gql.app) as url:
        assert await refused(url, {"Authorization": f"Bearer {expired}"}) == 4403
        assert await refused(url, {"token": "not-a-token"}) == 4403
        assert await refused(url, {}) == 4403
        assert await refused(url, {"Authorization": 5}) == 4403
        # an operation before connection_init is refused by the protocol itself
        ws = await websockets.connect(url, subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALARMS}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
