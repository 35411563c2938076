"""Subscriptions over a real WebSocket (graphql-transport-ws) against a real uvicorn server:
the upgrade is served (it answered HTTP 500 before), ``connection_init`` authenticates, a
tenant's own alarm changes arrive and another tenant's never do, an expired token is refused."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import uvicorn
import websockets

from kernel.identity.tokens import AccessClaims, issue_access_token

PROTOCOL = "graphql-transport-ws"
ALARMS = 'subscription { alarmChanges(severity: "critical") { change rule severity } }'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The app on a real uvicorn server on a free port, in this event loop; yields its ws URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.025)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def _connect(url: str, payload: dict | None):  # type: ignore[no-untyped-def, type-arg]
    ws = await websockets.connect(url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws


async def _acked(url: str, payload: dict) -> websockets.ClientConnection:  # type: ignore[type-arg]
    ws = await _connect(url, payload)
    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "connection_ack", reply
    return ws


async def _refused(url: str, payload: dict | None) -> int:  # type: ignore[type-arg]
    ws = await _connect(url, payload)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    return int(closed.value.rcvd.code) if closed.value.rcvd else -1


async def test_alarm_changes_over_a_real_websocket_reach_their_own_tenant_only(dev, gql, runtime):  # type: ignore[no-untyped-def]
    estate = await dev.estate()
    other = await dev.estate("other")
    _, token = await dev.provision(estate, "smoke_detector", name="3号楼烟感")
    _, other_token = await dev.provision(other, "smoke_detector", name="对面烟感")
    async with serving(gql.app) as url:
        mine = await _acked(url, {"Authorization": f"Bearer {estate.tenant.token}"})
        theirs = await _acked(url, {"token": other.tenant.token})
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
        assert await _refused(url, {"Authorization": f"Bearer {expired}"}) == 4403
        assert await _refused(url, {"token": "not-a-token"}) == 4403
        assert await _refused(url, {}) == 4403
        assert await _refused(url, {"Authorization": 5}) == 4403
        # an operation before connection_init is refused by the protocol itself
        ws = await websockets.connect(url, subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ALARMS}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
