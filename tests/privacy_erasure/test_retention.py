"""Retention per category (issue #14 item 4): the scheduled job deletes the rows a table declares
``retained(category)`` once the firm's period has passed, strips the ones declared
``action="pseudonymise"``, keeps the newer ones, and records counts (never data) in the audit log;
the firm's data protection officer sets the periods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fixtures.estates import build_estate, fast_passwords  # noqa: F401 - fixture
from sqlalchemy import select

from kernel.audit import AuditEntry
from plugins.grid.models import CheckIn, Checkpoint, Grid, PatrolRoute
from plugins.parking.models import GateEvent, ParkingLot
from tenants import retention

pytestmark = pytest.mark.usefixtures("fast_passwords")

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SET = "mutation($c: String!, $d: Int) { setRetentionPeriod(category: $c, days: $d) { category days defaultDays tables } }"


async def _rows(runtime, tenant_id, estate) -> dict[str, uuid.UUID]:  # type: ignore[no-untyped-def]
    """A gate event and a check-in 400 days old, and one of each 10 days old."""
    ids: dict[str, uuid.UUID] = {}
    async with runtime.db.tenant(tenant_id) as s:
        lot = ParkingLot(community_id=estate.community, name="地面", capacity=10)
        grid = Grid(community_id=estate.community, name="一网格")
        s.add_all([lot, grid])
        await s.flush()
        route = PatrolRoute(grid_id=grid.id, name="夜巡", interval_minutes=60, starts_at=NOW)
        s.add(route)
        await s.flush()
        point = Checkpoint(route_id=route.id, grid_id=grid.id, name="东门", tag_kind="qr", tag_code=uuid.uuid4().hex)
        s.add(point)
        await s.flush()
        for age, name in ((400, "old"), (10, "new")):
            at = NOW - timedelta(days=age)
            event = GateEvent(lot_id=lot.id, device_id=uuid.uuid4(), ts=age, direction="in", plate_masked="京A***45", outcome="entered", allowed=True, created_at=at)
            check = CheckIn(checkpoint_id=point.id, grid_id=grid.id, by="巡查员", at=at, location_enc=runtime.vault.encrypt(tenant_id, "39.9,116.4"))
            s.add_all([event, check])
            await s.flush()
            ids[f"event_{name}"], ids[f"check_{name}"] = event.id, check.id
    return ids


async def test_expired_rows_go_and_newer_ones_stay(runtime, gql, new_tenant) -> None:  # type: ignore[no-untyped-def]
    assert "privacy.retention" in {job.name for job in runtime.host.scheduled_jobs()}  # the workers run it
    t = await new_tenant("retain")
    other = await new_tenant("retaio")
    estate = await build_estate(runtime, t.tenant_id, marker="丁")
    ids = await _rows(runtime, t.tenant_id, estate)
    theirs = await _rows(runtime, other.tenant_id, await build_estate(runtime, other.tenant_id, marker="戊"))
    # the other firm keeps behaviour data (gate events) for 3650 days
    r = await gql(SET, {"c": "behaviour", "d": 3650}, token=other.token)
    assert not r.get("errors"), r

    touched = await retention.enforce_all(runtime, now=NOW)
    assert touched >= 3  # this firm's old event and check-in, the other firm's old check-in
    async with runtime.db.tenant(t.tenant_id) as s:
        events = set(await s.scalars(select(GateEvent.id)))
        checks = {c.id: c.location_enc for c in await s.scalars(select(CheckIn))}
        logged = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention"))).all()
    assert events == {ids["event_new"]}  # behaviour: 365 days by default
    assert checks[ids["check_old"]] is None and checks[ids["check_new"]] is not None  # location stripped after 180, the check-in stays
    assert len(logged) == 1
    detail = logged[0].detail
    assert detail["parking_gate_events"] == {"action": "removed", "rows": 1, "reason": "behaviour data older than 365 days"}
    assert detail["grid_check_ins"]["action"] == "pseudonymised" and detail["grid_check_ins"]["rows"] == 1
    assert "京A" not in str(detail) and "39.9" not in str(detail)  # counts, never data
    async with runtime.db.tenant(other.tenant_id) as s:
        assert set(await s.scalars(select(GateEvent.id))) == {theirs["event_old"], theirs["event_new"]}

    # a second run finds nothing more and writes no entry
    assert await retention.enforce_all(runtime, now=NOW) == 0
    async with runtime.db.tenant(t.tenant_id) as s:
        assert len((await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention"))).all()) == 1


async def test_the_dpo_sets_periods_within_bounds(gql, new_tenant, actor) -> None:  # type: ignore[no-untyped-def]
    t = await new_tenant("retaip")
    r = await gql("query { retentionPeriods { category days defaultDays tables } }", token=t.token)
    periods = {p["category"]: p for p in r["data"]["retentionPeriods"]}
    assert periods["location"]["days"] == 180 and "grid_check_ins" in periods["location"]["tables"]
    assert periods["identity"]["days"] is None
    r = await gql(SET, {"c": "location", "d": 30}, token=t.token)
    assert {p["category"]: p["days"] for p in r["data"]["setRetentionPeriod"]}["location"] == 30
    r = await gql(SET, {"c": "location", "d": None}, token=t.token)
    assert {p["category"]: p["days"] for p in r["data"]["setRetentionPeriod"]}["location"] is None
    for bad in ({"c": "favourite colour", "d": 30}, {"c": "location", "d": 0}, {"c": "location", "d": 3651}):
        r = await gql(SET, bad, token=t.token)
        assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
    staff = await actor(t, "property_staff")
    r = await gql(SET, {"c": "location", "d": 30}, token=staff.token)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
