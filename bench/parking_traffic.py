"""Issue 12: one hour of barrier traffic — 2,000 plate reads a minute → sessions and fees.

Run from the repository root, in the venv::

    python -m bench.parking_traffic [--minutes 60] [--per-minute 2000] [--batch 200]
        [--backend sqlite|postgres] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Creates a fresh database (on PostgreSQL: a new database and an application role under
row-level security, as in production), migrates it, provisions a firm with the parking plugin,
one lot with an entry and an exit lane. A seeded generator makes the traffic: cars already
inside at the start (their entries are read first, untimed), then ``--per-minute`` reads a
minute for ``--minutes`` minutes, starting at 21:30 local time so stays cross the 22:00 night
rate; arrivals with stays from minutes to hours, 4 % of messages delivered twice, 3 % second
camera frames at the entry, 2 % entries the camera missed (the car leaves without an entry).

* **plugin** — every read through ``plugins.parking.sessions.process_read`` (the handler's
  path: lane lookup, idempotency, plate digest and encryption, open-session index, tariff,
  pass/household/visitor lookups, the recorded decision), ``--batch`` reads a transaction;
* **baseline** — the same reads written as bare rows, one ``INSERT`` of the gate-event columns
  a read (no logic), in the same database and batches: one round trip per read, the floor.

The plugin's sessions and fees are then compared with an independent reference computation
(datetimes, ``zoneinfo``, a dictionary state machine — written here, not imported from the
plugin). Prints reads/s of both sides and the ratio baseline/plugin; records them in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import (
    BenchDatabase,
    bench_firm,
    console,
    machine_description,
    markdown_table,
    results_table,
    write_docs_section,
)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TARIFF = {
    "free_minutes": 15,
    "hourly_fen": 500,
    "night_hourly_fen": 100,
    "night_start": 1320,
    "night_end": 420,
    "daily_cap_fen": 4000,
}
NO_ENTRY_FEE = 3000


# -- traffic -----------------------------------------------------------------------------------


def plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return (
        "粤" + rng.choice(letters) + "".join(rng.choice("0123456789" + letters) for _ in range(5))
    )


def traffic(
    start: datetime, minutes: int, per_minute: int, seed: int = 12
) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(warm-up reads, timed reads): (lane, epoch ms, plate), in time order."""
    rng = random.Random(seed)
    t0 = int(start.timestamp()) * 1000
    span = minutes * 60_000
    warm: list[tuple[str, int, str]] = []
    inside: list[str] = []
    for i in range(per_minute * 5):  # cars parked before the hour, some for days
        p = plate(rng)
        warm.append(("entry", t0 - rng.randint(60_000, 3 * 86_400_000) // 1000 * 1000 - i, p))
        inside.append(p)
    warm.sort(key=lambda r: r[1])
    warm = [(lane, ts - ts % 1000, p) for lane, ts, p in warm]
    reads: list[tuple[str, int, str]] = []
    # half of the reads are exits of cars already inside, half arrivals (some leave within the hour)
    rng.shuffle(inside)
    target = minutes * per_minute
    while len(reads) < target:
        at = t0 + rng.randrange(span)
        if rng.random() < 0.5 and inside:
            reads.append(("exit", at, inside.pop()))
            continue
        p = plate(rng)
        if rng.random() >= 0.02:  # 2 %: the entry camera missed the car
            reads.append(("entry", at, p))
            if rng.random() < 0.03:  # a second frame of the same car
                reads.append(("entry", at + rng.randint(1, 20) * 1000, p))
        stay = (
            rng.choice([rng.randint(60, 900), rng.randint(900, 7200), rng.randint(7200, 40_000)])
            * 1000
        )
        if at + stay < t0 + span:
            reads.append(("exit", at + stay, p))
    reads = [(lane, ts - ts % 1000, p) for lane, ts, p in reads[:target]]
    reads.sort(key=lambda r: r[1])
    # distinct reading times per lane (a lane reads one car at a time), then 4 % delivered twice
    seen: set[tuple[str, int]] = set()
    unique = []
    for lane, ts, p in reads:
        while (lane, ts) in seen:
            ts += 1000
        seen.add((lane, ts))
        unique.append((lane, ts, p))
    unique.sort(key=lambda r: r[1])
    timed: list[tuple[str, int, str]] = []
    for r in unique:
        timed.append(r)
        if rng.random() < 0.04:
            timed.append(r)
    return warm, timed[:target]


# -- the independent reference --------------------------------------------------------------------


def ref_fee(entry: datetime, leave: datetime) -> int:
    t = TARIFF
    if leave - entry <= timedelta(minutes=t["free_minutes"]):
        return 0
    total, day_start = 0, entry
    while day_start < leave:
        day_end, day, hour = min(day_start + timedelta(days=1), leave), 0, day_start
        while hour < day_end:
            local = hour.astimezone(SHANGHAI)
            minute = local.hour * 60 + local.minute
            night = minute >= t["night_start"] or minute < t["night_end"]
            day += t["night_hourly_fen"] if night else t["hourly_fen"]
            hour += timedelta(hours=1)
        total += min(day, t["daily_cap_fen"])
        day_start += timedelta(days=1)
    return total


def reference(
    reads: list[tuple[str, int, str]],
) -> tuple[list[tuple[str, datetime | None, datetime, int]], set[str]]:
    seen: set[tuple[str, int]] = set()
    inside: dict[str, datetime] = {}
    last_exit: dict[str, datetime] = {}
    stays = []
    for lane, ts, p in reads:
        if (lane, ts) in seen:
            continue
        seen.add((lane, ts))
        at = datetime.fromtimestamp(ts / 1000, UTC)
        if lane == "entry":
            inside.setdefault(p, at)
        elif p in inside:
            entry = inside.pop(p)
            stays.append((p, entry, at, ref_fee(entry, at)))
            last_exit[p] = at
        elif p in last_exit and at - last_exit[p] <= timedelta(minutes=5):
            continue
        else:
            stays.append((p, None, at, NO_ENTRY_FEE))
            last_exit[p] = at
    return stays, set(inside)


# -- the run -----------------------------------------------------------------------------------------


async def main(minutes: int, per_minute: int, batch: int, backend: str, pg_url: str) -> None:
    from sqlalchemy import insert, select

    from kernel.sdk import devices
    from plugins.parking import service, sessions
    from plugins.parking.models import GateEvent, ParkingSession
    from plugins.parking.tariff import Tariff
    from tenants.estate import service as estate

    db = await BenchDatabase.create(pg_url if backend == "postgres" else None, prefix="linli-parking-")
    runtime = None
    try:
        runtime = await db.migrated_runtime()
        tid = await bench_firm(runtime, "bench-park", "parking")
        async with runtime.db.tenant(tid) as s:
            c = await estate.create_community(s, code="P1", name="基准社区")
            lot = await service.create_lot(
                s,
                community_id=c.id,
                name="地下车库",
                capacity=5000,
                tariff=Tariff(**TARIFF),
                no_entry_fee_fen=NO_ENTRY_FEE,
                actor="bench",
            )
            lanes = {}
            for direction in ("entry", "exit"):
                d, _token = await devices.provision(
                    s,
                    devices.profiles(runtime),
                    tenant_id=tid,
                    name=f"{direction} lane",
                    type="parking_barrier",
                    place_kind="community",
                    place_id=c.id,
                    community_id=c.id,
                )
                await service.add_gate(
                    s, lot_id=lot.id, device_id=d.id, direction=direction, actor="bench"
                )
                lanes[direction] = d.id
            baseline_lot = (
                await service.create_lot(
                    s,
                    community_id=c.id,
                    name="基准表",
                    capacity=0,
                    tariff=Tariff(**TARIFF),
                    no_entry_fee_fen=0,
                    actor="bench",
                )
            ).id

        start = datetime(2026, 12, 7, 21, 30, tzinfo=SHANGHAI)
        warm, timed = traffic(start, minutes, per_minute)
        console.print(
            f"{len(warm):,} cars inside before the hour; {len(timed):,} reads in {minutes} min"
        )

        async def run_plugin(reads: list[tuple[str, int, str]]) -> float:
            began = time.perf_counter()
            for i in range(0, len(reads), batch):
                async with runtime.db.tenant(tid) as s:
                    for lane, ts, pl in reads[i : i + batch]:
                        await sessions.process_read(
                            runtime, s, tid, device_id=lanes[lane], ts=ts, plate=pl, publish=False
                        )
            return time.perf_counter() - began

        async def run_baseline(reads: list[tuple[str, int, str]]) -> float:
            """One bare INSERT a read (the floor of one round trip per read), same batches."""
            began = time.perf_counter()
            for i in range(0, len(reads), batch):
                async with runtime.db.tenant(tid) as s:
                    for n, (lane, ts, pl) in enumerate(reads[i : i + batch]):
                        await s.execute(
                            insert(GateEvent).values(
                                tenant_id=tid,
                                id=uuid.uuid4(),
                                lot_id=baseline_lot,
                                device_id=lanes[lane],
                                ts=10**15 + ts + n,
                                direction=lane,
                                plate_masked=pl[:2] + "***" + pl[-2:],
                                outcome="raw",
                                allowed=True,
                                fee_fen=0,
                                created_at=datetime.now(UTC),
                            )
                        )
            return time.perf_counter() - began

        await run_plugin(warm)
        half = len(timed) // 2  # alternate halves so both sides see the same machine load
        baseline_s = await run_baseline(timed[:half])
        plugin_s = await run_plugin(timed[:half])
        plugin_s += await run_plugin(timed[half:])
        baseline_s += await run_baseline(timed[half:])
        load1, load5, _ = os.getloadavg()

        expected, inside = reference(warm + timed)
        async with runtime.db.tenant(tid) as s:
            rows = (
                (await s.execute(select(ParkingSession).where(ParkingSession.lot_id == lot.id)))
                .scalars()
                .all()
            )
            by_plate = {}
            for r in rows:
                by_plate.setdefault(runtime.vault.decrypt(tid, r.plate_enc), []).append(r)
        got = sorted(
            (
                (pl, r.entry_at, r.exit_at, r.fee_fen)
                for pl, rs in by_plate.items()
                for r in rs
                if r.exit_at is not None
            ),
            key=lambda x: (x[0], x[2]),
        )
        assert got == sorted(expected, key=lambda x: (x[0], x[2])), (
            "the plugin's sessions differ from the reference"
        )
        assert {pl for pl, rs in by_plate.items() for r in rs if r.exit_at is None} == inside
        fees = sum(x[3] for x in expected)
        console.print(
            f"verified: {len(expected):,} closed stays, {len(inside):,} cars inside, fees {fees / 100:,.2f} 元 — equal to the reference"
        )

        n = len(timed)
        ratio = (n / plugin_s) / (n / baseline_s)
        rows_out = [
            (
                "plugin process_read",
                f"{plugin_s:.1f}",
                f"{n / plugin_s:,.0f}",
                f"{n / plugin_s * 60:,.0f}",
            ),
            (
                "baseline bare INSERT",
                f"{baseline_s:.1f}",
                f"{n / baseline_s:,.0f}",
                f"{n / baseline_s * 60:,.0f}",
            ),
        ]
        cols = ["side", "seconds", "reads/s", "reads/min"]
        console.print(
            results_table(
                f"{n:,} barrier reads ({minutes} simulated min), {backend}", cols, rows_out
            )
        )
        console.print(
            f"plugin/baseline throughput = {ratio:.2f}; needed: {per_minute:,} reads/min; load average {load1:.1f}"
        )
        scope = (
            f"""
**Scope of this run: {minutes} of the 60 simulated minutes.** The full hour (`--minutes 60`: 120,000 reads)
takes about {120_000 / (n / plugin_s) / 60:.0f} minutes at this rate on this machine; run it with `--minutes 60`.
"""
            if minutes < 60
            else ""
        )
        write_docs_section(
            "parking_traffic",
            f"""## Parking: an hour of barrier traffic → sessions and fees (issue 12)

`python -m bench.parking_traffic --minutes {minutes} --per-minute {per_minute} --batch {batch} --backend {backend}` —
{machine_description()}; load average {load1:.1f} (1 min), {load5:.1f} (5 min) at the end of the run, on the
shared machine.

{len(warm):,} cars inside before the hour, then {n:,} plate reads ({per_minute:,} a minute for {minutes} simulated
minutes from 21:30 local, across the 22:00 night rate; 4 % delivered twice, 3 % second frames, 2 % missed
entries) through the plugin's `process_read`, {batch} reads a transaction, vs the same reads stored as bare
rows, one INSERT a read (no logic), in the same database — halves alternated. The plugin's sessions and fees were checked equal
to an independent reference: {len(expected):,} closed stays, {len(inside):,} cars inside, fees
{fees / 100:,.2f} 元.

{markdown_table(cols, rows_out)}

Plugin/baseline throughput: **{ratio:.2f}**. The plugin handled {n / plugin_s * 60:,.0f} reads a minute against
the {per_minute:,} the issue asks for ({n / plugin_s * 60 / per_minute:.1f}×{", i.e. it keeps up in real time" if n / plugin_s * 60 >= per_minute else ""}).
A read costs about eight database round trips (idempotency check, open-stay lookup, pass /
household / visitor lookups at exit, the stay, the recorded decision) against one for the bare
insert, which the ratio reflects.
{scope}""",
        )
    finally:
        if runtime is not None:
            await runtime.db.dispose()
        await db.drop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--per-minute", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--postgres", default=os.environ.get("LINLI_TEST_POSTGRES_URL", DEFAULT_PG))
    args = ap.parse_args()
    asyncio.run(main(args.minutes, args.per_minute, args.batch, args.backend, args.postgres))
