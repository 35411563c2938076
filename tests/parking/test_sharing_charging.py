"""Shared spaces (lent in windows, booked without double booking — concurrently on PostgreSQL)
and EV charging (sessions from a charger's telemetry, priced per kWh plus service fee, billed
to the household; a fault opens a work order through the device alarm event)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kernel.sdk import Conflict
from plugins.parking import sharing
from plugins.parking.models import SpaceBooking
from tests.parking.conftest import code_of, gid, uid

OFFER = """mutation($s: ID!, $a: DateTime!, $b: DateTime!) {
  offerParkingSpace(spaceId: $s, startsAt: $a, endsAt: $b, priceFen: 1500) { id priceFen } }"""
BOOK = """mutation($w: ID!, $u: ID!, $a: DateTime!, $b: DateTime!) {
  bookParkingSpace(windowId: $w, unitId: $u, startsAt: $a, endsAt: $b) { id priceFen unitId } }"""


async def _lent_space(park):  # type: ignore[no-untyped-def]
    """A site whose unit 101 owns space B1-007 and lends it tomorrow 08:00–18:00."""
    site = await park.site("share", lanes=False)
    owner = await park.actor(site.tenant, "owner")
    await park.link(site, owner.account_id, site.units[0])
    space = (
        await park.ok(
            site.tenant.token,
            'mutation($l: ID!, $u: ID!) { addParkingSpace(lotId: $l, code: "B1-007", kind: "owned", unitId: $u) { id } }',
            {"l": site.lot_id, "u": gid("Unit", site.units[0])},
        )
    )["addParkingSpace"]["id"]
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    window = await park.ok(
        owner.token,
        OFFER,
        {
            "s": space,
            "a": (day + timedelta(hours=8)).isoformat(),
            "b": (day + timedelta(hours=18)).isoformat(),
        },
    )
    return site, owner, space, window["offerParkingSpace"]["id"], day


async def test_an_owner_lends_a_space_and_neighbours_book_it_without_overlap(park):  # type: ignore[no-untyped-def]
    site, owner, space, window, day = await _lent_space(park)
    neighbour = await park.actor(site.tenant, "resident")
    await park.link(site, neighbour.account_id, site.units[1])
    theirs = gid("Unit", site.units[1])

    def at(h: int) -> str:
        return (day + timedelta(hours=h)).isoformat()

    b = (await park.ok(neighbour.token, BOOK, {"w": window, "u": theirs, "a": at(9), "b": at(12)}))[
        "bookParkingSpace"
    ]
    assert b["priceFen"] == 1500 and b["unitId"] == theirs
    r = await park.gql(
        BOOK, {"w": window, "u": theirs, "a": at(11), "b": at(13)}, token=neighbour.token
    )
    assert code_of(r) == "CONFLICT"  # overlaps 09–12
    await park.ok(
        neighbour.token, BOOK, {"w": window, "u": theirs, "a": at(12), "b": at(14)}
    )  # touching is fine
    r = await park.gql(
        BOOK, {"w": window, "u": theirs, "a": at(17), "b": at(19)}, token=neighbour.token
    )
    assert code_of(r) == "BAD_USER_INPUT"  # past the window
    r = await park.gql(
        BOOK,
        {"w": window, "u": gid("Unit", site.units[0]), "a": at(15), "b": at(16)},
        token=neighbour.token,
    )
    assert code_of(r) == "NOT_FOUND"  # not the neighbour's unit
    r = await park.gql(
        BOOK,
        {"w": window, "u": gid("Unit", site.units[0]), "a": at(15), "b": at(16)},
        token=owner.token,
    )
    assert code_of(r) == "BAD_USER_INPUT"  # nobody books their own space
    # the neighbour cannot lend the owner's space; overlapping windows are refused
    r = await park.gql(OFFER, {"s": space, "a": at(20), "b": at(22)}, token=neighbour.token)
    assert code_of(r) == "NOT_FOUND"
    r = await park.gql(OFFER, {"s": space, "a": at(17), "b": at(20)}, token=owner.token)
    assert code_of(r) == "CONFLICT"
    # cancelling frees the time
    await park.ok(
        neighbour.token,
        "mutation($b: ID!) { cancelParkingBooking(bookingId: $b) { cancelled } }",
        {"b": b["id"]},
    )
    await park.ok(neighbour.token, BOOK, {"w": window, "u": theirs, "a": at(10), "b": at(11)})
    # the bookings are billed to the booker's unit: 2 live bookings × 15 元
    from plugins.parking.billing import SHANGHAI, billing_lines

    async with park.runtime.db.tenant(site.tenant.tenant_id) as s:
        lines = await billing_lines(
            s, (day + timedelta(hours=12)).astimezone(SHANGHAI).strftime("%Y-%m")
        )
    assert [
        (x.unit_id, x.item_code, x.quantity) for x in lines if x.item_code == "PARKING_SHARE"
    ] == [(site.units[1], "PARKING_SHARE", 3000)]
    # another firm: the window is unknown
    other = await park.site("share-x", lanes=False)
    r = await park.gql(
        BOOK,
        {"w": window, "u": gid("Unit", other.units[0]), "a": at(15), "b": at(16)},
        token=other.tenant.token,
    )
    assert code_of(r) == "NOT_FOUND"


async def test_concurrent_bookings_of_one_space_never_overlap(park, linli_backend):  # type: ignore[no-untyped-def]
    if linli_backend != "postgres":
        pytest.skip(
            "real concurrent transactions need PostgreSQL (SQLite serialises writers itself)"
        )
    site, _owner, _space, window, day = await _lent_space(park)
    tid = site.tenant.tenant_id
    from tenants.estate import service as estate

    async with park.runtime.db.tenant(tid) as s:  # eight households competing for the same hours
        from kernel.sdk.estate import Unit

        building = await s.scalar(select(Unit.building_id).where(Unit.id == site.units[1]))
        units = [
            (
                await estate.create_unit(
                    s, building_id=building, number=f"2{i:02d}", registered_area=9000
                )
            ).id
            for i in range(8)
        ]

    async def attempt(unit_id: uuid.UUID, start_h: int) -> str:
        try:
            async with park.runtime.db.tenant(tid) as s:
                await sharing.book(
                    park.runtime.bus,
                    s,
                    window_id=uid(window),
                    unit_id=unit_id,
                    starts_at=day + timedelta(hours=start_h),
                    ends_at=day + timedelta(hours=start_h + 2),
                    actor="test",
                )
            return "booked"
        except Conflict:
            return "conflict"

    for _round in range(3):  # all overlap 10–11 (starts 9 or 10): exactly one wins each round
        results = await asyncio.gather(*(attempt(u, 9 + (i % 2)) for i, u in enumerate(units)))
        assert results.count("booked") == (1 if _round == 0 else 0), results
    async with park.runtime.db.tenant(tid) as s:
        rows = list(await s.scalars(select(SpaceBooking).where(SpaceBooking.cancelled.is_(False))))
    assert len(rows) == 1
    # and bookings of disjoint hours all succeed concurrently
    results = await asyncio.gather(*(attempt(u, 12 + 2 * i) for i, u in enumerate(units[:3])))
    assert results == ["booked"] * 3


async def test_charging_sessions_from_telemetry_are_priced_and_a_fault_opens_a_work_order(park):  # type: ignore[no-untyped-def]
    site = await park.site("charge", plugins=("workorders",), lanes=False)
    token = site.tenant.token
    charger = await park.device(site, "ev_charger", "1号充电桩")
    pile = (
        await park.ok(
            token,
            "mutation($d: ID!, $l: ID) { addChargingPile(deviceId: $d, lotId: $l, pricePerKwhFen: 80, servicePerKwhFen: 60) { id } }",
            {"d": charger["id"], "l": site.lot_id},
        )
    )["addChargingPile"]["id"]
    await park.ok(
        token,
        'mutation($u: ID!) { registerParkingVehicle(unitId: $u, plate: "粤BD12345") { id } }',
        {"u": gid("Unit", site.units[0])},
    )
    r = await park.gql(
        "mutation($d: ID!) { addChargingPile(deviceId: $d, pricePerKwhFen: 80, servicePerKwhFen: 60) { id } }",
        {"d": charger["id"]},
        token=token,
    )
    assert code_of(r) == "CONFLICT"
    now = int(time.time()) * 1000
    await park.telemetry(
        charger["token"],
        now - 7_200_000,
        {"charge_event": "start", "charge_session": "T-1", "plate": "粤BD12345"},
    )
    await park.telemetry(
        charger["token"],
        now - 3_600_000,
        {"charge_event": "stop", "charge_session": "T-1", "energy_wh": 12_345},
    )
    await park.telemetry(
        charger["token"],
        now - 3_500_000,
        {"charge_event": "stop", "charge_session": "T-1", "energy_wh": 99_999},
    )
    await park.telemetry(
        charger["token"],
        now - 1_000_000,
        {"charge_event": "stop", "charge_session": "T-2", "energy_wh": 1_000},
    )
    await park.deliver(site.tenant)
    q = "query($p: ID) { chargingSessions(pileId: $p) { status startedAt energyWh energyFen serviceFen plate unitId } }"
    rows = sorted(
        (await park.ok(token, q, {"p": pile}))["chargingSessions"], key=lambda x: x["energyWh"]
    )
    assert [(x["status"], x["energyWh"], x["energyFen"], x["serviceFen"]) for x in rows] == [
        ("stopped", 1_000, 80, 60),  # a stop with no start: priced by its energy
        ("stopped", 12_345, 988, 741),  # the repeated stop changed nothing
    ]
    assert (
        rows[0]["startedAt"] is None
        and rows[1]["plate"] == "粤B***45"
        and rows[1]["unitId"] == gid("Unit", site.units[0])
    )

    # the household's charge goes on its bill through fees (the month it stopped, Asia/Shanghai)
    from plugins.parking.billing import SHANGHAI, billing_lines

    period = datetime.fromtimestamp((now - 3_600_000) // 1000, SHANGHAI).strftime("%Y-%m")
    async with park.runtime.db.tenant(site.tenant.tenant_id) as s:
        lines = await billing_lines(s, period)
    assert [(x.unit_id, x.item_code, x.quantity) for x in lines] == [
        (site.units[0], "EV_CHARGING", 988 + 741)
    ]

    # a fault: the kernel raises the profile's alarm, the work-order plugin opens an order
    await park.telemetry(charger["token"], now, {"fault_code": 7})
    await park.deliver(site.tenant)
    await park.deliver(site.tenant)
    from plugins.workorders.models import WorkOrder

    async with park.runtime.db.tenant(site.tenant.tenant_id) as s:
        orders = list(await s.scalars(select(WorkOrder)))
    assert [(o.source, o.title, o.category) for o in orders] == [("device_alarm", "设备告警 charger_fault", "electrical")]
