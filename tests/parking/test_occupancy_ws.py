"""Live occupancy per lot over a real WebSocket (graphql-transport-ws): the subscription answers
the lot's occupancy at once, then again as each entry and exit read commits; another tenant's
reads never reach it, and another tenant's lot cannot be watched."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.fixtures.websocket import acked, serving

WATCH = "subscription($l: ID!) { parkingOccupancyChanges(lotId: $l) { lotId capacity occupied free } }"


async def _next(ws) -> dict:  # type: ignore[no-untyped-def, type-arg]
    got = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert got["type"] == "next", got
    return got["payload"]  # type: ignore[no-any-return]


async def test_occupancy_changes_reach_the_lots_watchers_as_cars_enter_and_leave(park, gql):  # type: ignore[no-untyped-def]
    site = await park.site("live")
    other = await park.site("other")
    entered = (int(time.time()) - 3600) * 1000
    async with serving(gql.app) as url:
        ws = await acked(url, {"Authorization": f"Bearer {site.tenant.token}"})
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": WATCH, "variables": {"l": site.lot_id}}}))
        first = await _next(ws)  # the state now: the subscription is listening from here on
        assert first["data"]["parkingOccupancyChanges"] == {
            "lotId": site.lot_id, "capacity": 120, "occupied": 0, "free": 120,
        }
        await park.read(site, site.entry, "粤B12345", entered)
        assert (await _next(ws))["data"]["parkingOccupancyChanges"]["occupied"] == 1
        await park.read(site, site.entry, "粤B54321", entered + 1000)
        assert (await _next(ws))["data"]["parkingOccupancyChanges"] == {
            "lotId": site.lot_id, "capacity": 120, "occupied": 2, "free": 118,
        }
        # a duplicate frame of a car inside changes nothing: no message
        await park.read(site, site.entry, "粤B12345", entered + 4000)
        # another tenant's car entering its own lot is not ours to hear
        await park.read(other, other.entry, "粤B88888", entered)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)
        await park.read(site, site.exit, "粤B12345", entered + 600_000)
        assert (await _next(ws))["data"]["parkingOccupancyChanges"]["occupied"] == 1
        # the other tenant's lot cannot be watched from here
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": WATCH, "variables": {"l": other.lot_id}}}))
        got = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert got["id"] == "2" and got["type"] in ("error", "next"), got
        errors = got["payload"] if got["type"] == "error" else got["payload"].get("errors")
        assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND", got
        await ws.close()
