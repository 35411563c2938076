"""The tariff and the session rules against an independent reference written here.

The reference computes fees with datetimes, ``zoneinfo`` Asia/Shanghai and ``timedelta`` (the
plugin's pure module works on epoch integers), and replays barrier reads with a plain state
machine of dictionaries (the plugin keeps its state in the database). Hypothesis draws tariffs
and random read sequences: duplicate deliveries, second camera frames, exits with no entry,
night spans and stays of several days.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plugins.parking.models import ParkingSession
from plugins.parking.tariff import Tariff, charging_fee, is_night, parking_fee
from tests.parking.conftest import gid, uid

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- the reference ---------------------------------------------------------------------------


def ref_night(t: Tariff, moment: datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    minute = local.hour * 60 + local.minute
    if t.night_start == t.night_end:
        return False
    if t.night_start < t.night_end:
        return t.night_start <= minute < t.night_end
    return minute >= t.night_start or minute < t.night_end


def ref_fee(t: Tariff, entry: datetime, leave: datetime) -> int:
    if leave - entry <= timedelta(minutes=t.free_minutes):
        return 0
    total, day_start = 0, entry
    while day_start < leave:
        day_end = min(day_start + timedelta(days=1), leave)
        day, hour = 0, day_start
        while hour < day_end:
            day += t.night_hourly_fen if ref_night(t, hour) else t.hourly_fen
            hour += timedelta(hours=1)
        total += min(day, t.daily_cap_fen) if t.daily_cap_fen else day
        day_start += timedelta(days=1)
    return total


@dataclass(frozen=True)
class Stay:
    plate: str
    entry: datetime | None
    exit: datetime
    fee: int


def ref_sessions(
    reads: list[tuple[str, int, str]], t: Tariff, no_entry_fee: int
) -> tuple[list[Stay], set[str]]:
    """Replay (lane, epoch ms, plate) reads: the stays closed and the plates still inside."""
    seen: set[tuple[str, int]] = set()
    inside: dict[str, datetime] = {}
    last_exit: dict[str, datetime] = {}
    stays: list[Stay] = []
    for lane, ts, plate in reads:
        if (lane, ts) in seen:
            continue  # the same message again
        seen.add((lane, ts))
        at = datetime.fromtimestamp(ts / 1000, UTC)
        if lane == "entry":
            inside.setdefault(plate, at)  # a plate inside already: a second frame
            continue
        if plate in inside:
            entry = inside.pop(plate)
            stays.append(Stay(plate, entry, at, ref_fee(t, entry, at)))
            last_exit[plate] = at
        elif plate in last_exit and at - last_exit[plate] <= timedelta(minutes=5):
            continue  # the same car read again at the exit
        else:
            stays.append(Stay(plate, None, at, no_entry_fee))
            last_exit[plate] = at
    return stays, set(inside)


# -- the pure tariff ---------------------------------------------------------------------------

T = Tariff(
    free_minutes=15,
    hourly_fen=500,
    night_hourly_fen=100,
    night_start=22 * 60,
    night_end=7 * 60,
    daily_cap_fen=4000,
)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).timestamp())


def test_hand_computed_fees() -> None:
    at10 = local(2026, 12, 7, 10)
    assert parking_fee(T, at10, at10 + 15 * 60) == 0  # inside the free minutes
    assert parking_fee(T, at10, at10 + 16 * 60) == 500  # past them: the whole started hour
    assert parking_fee(T, at10, at10 + 2 * 3600 + 60) == 1500  # three started hours
    at2130 = local(2026, 12, 7, 21, 30)
    assert parking_fee(T, at2130, at2130 + 2 * 3600) == 500 + 100  # the 22:30 hour is a night hour
    at20 = local(2026, 12, 7, 20)
    assert parking_fee(T, at20, at20 + 24 * 3600) == 4000  # 2×500 + 9×100 + 13×500 = 8400, capped
    assert parking_fee(T, at20, at20 + 3 * 24 * 3600) == 12_000
    assert parking_fee(T, at20, at20 + 24 * 3600 + 60) == 4000 + 500  # day two starts at 20:00
    assert parking_fee(T, at10, at10 - 60) == 0  # clock skew: no negative stay
    assert is_night(T, local(2026, 12, 7, 6, 59)) and not is_night(T, local(2026, 12, 7, 7, 0))
    assert charging_fee(12_345, 80, 60) == (988, 741)  # 987.6 → 988, 740.7 → 741
    assert charging_fee(500, 1, 1) == (1, 1)  # half a fen rounds up


tariffs = st.builds(
    Tariff,
    free_minutes=st.integers(0, 60),
    hourly_fen=st.integers(0, 3000),
    night_hourly_fen=st.integers(0, 3000),
    night_start=st.integers(0, 1439),
    night_end=st.integers(0, 1439),
    daily_cap_fen=st.one_of(st.just(0), st.integers(1, 30_000)),
)
moments = st.integers(local(2026, 1, 1, 0), local(2027, 12, 31, 0))


@settings(max_examples=200, deadline=None)
@given(
    t=tariffs,
    entered=moments,
    seconds=st.one_of(st.integers(0, 7200), st.integers(0, 5 * 24 * 3600)),
)
def test_fee_equals_the_reference(t: Tariff, entered: int, seconds: int) -> None:
    expected = ref_fee(
        t, datetime.fromtimestamp(entered, UTC), datetime.fromtimestamp(entered + seconds, UTC)
    )
    assert parking_fee(t, entered, entered + seconds) == expected


@given(wh=st.integers(0, 1_000_000), price=st.integers(0, 5000), service=st.integers(0, 5000))
def test_charging_fee_is_each_part_rounded_half_up(wh: int, price: int, service: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    def part(p: int) -> int:
        return int((Decimal(wh) * p / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    assert charging_fee(wh, price, service) == (part(price), part(service))


# -- sessions from random barrier reads, in the database ------------------------------------------

_counter = itertools.count(1)
_sites: dict[int, object] = {}
_inside: dict[int, int] = {}

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which of three cars
        st.sampled_from(["entry", "exit"]),
        st.one_of(  # the gap before this read, seconds: a frame later, minutes, hours, days
            st.integers(1, 30),
            st.integers(240, 420),  # around the 5-minute repeated-exit rule
            st.integers(60, 3 * 3600),
            st.integers(3 * 3600, 4 * 24 * 3600),
        ),
        st.booleans(),  # deliver the message twice
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(t=tariffs, no_entry_fee=st.integers(0, 10_000), plan=steps, start=moments)
async def test_sessions_and_fees_equal_the_reference(park, t, no_entry_fee, plan, start) -> None:  # type: ignore[no-untyped-def]
    from plugins.parking import service

    site = _sites.get(id(park))
    if site is None:
        site = _sites[id(park)] = await park.site("prop")
    async with park.runtime.db.tenant(site.tenant.tenant_id) as s:
        await service.set_tariff(
            s, lot_id=uid(site.lot_id), tariff=t, no_entry_fee_fen=no_entry_fee, actor="test"
        )
    n = next(_counter)
    plates = [f"浙A{(n * 3 + i) % 100000:05d}" for i in range(3)]
    lanes = {"entry": site.entry, "exit": site.exit}
    reads: list[tuple[str, int, str]] = []
    ts = start * 1000 + n * 10**11  # each example reads at times of its own (3 years apart)
    for car, lane, gap, twice in plan:
        ts += gap * 1000
        reads.append((lane, ts, plates[car]))
        if twice:
            reads.append((lane, ts, plates[car]))
    for lane, at, plate in reads:
        await park.direct(site, lanes[lane], plate, at)

    expected, inside = ref_sessions(reads, t, no_entry_fee)
    async with park.runtime.db.tenant(site.tenant.tenant_id) as s:
        from plugins.parking.plates import plate_digest

        digests = {plate_digest(park.runtime.vault, site.tenant.tenant_id, p): p for p in plates}
        rows = list(
            await s.scalars(select(ParkingSession).where(ParkingSession.plate_digest.in_(digests)))
        )
    closed = sorted(
        (
            Stay(digests[r.plate_digest], r.entry_at, r.exit_at, r.fee_fen)
            for r in rows
            if r.exit_at is not None
        ),
        key=lambda x: (x.exit, x.plate),
    )
    assert closed == sorted(expected, key=lambda x: (x.exit, x.plate))
    assert {digests[r.plate_digest] for r in rows if r.exit_at is None} == inside
    assert all(r.entry_missing == (r.entry_at is None) for r in rows)
    assert all(
        r.settlement in ("due", "free") for r in rows if r.exit_at is not None
    )  # all temporary cars
    occupancy = await park.ok(
        site.tenant.token,
        "query($l: ID!) { parkingOccupancy(lotId: $l) { occupied } }",
        {"l": gid("ParkingLot", uid(site.lot_id))},
    )
    _inside[id(park)] = _inside.get(id(park), 0) + len(
        inside
    )  # cars of earlier examples stay inside
    assert occupancy["parkingOccupancy"]["occupied"] == _inside[id(park)]
