"""Issue 14 item 8: the street office's KPI query for a street of 20 communities of 3 firms.

Run from the repository root, in the venv::

    python -m bench.regulator_kpis [--requests 60] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--write-docs]

Creates a fresh PostgreSQL database and application role (row-level security on), migrates it,
provisions 3 firms with 7 + 7 + 6 communities on one street (plus 2 firms elsewhere, which the
query visits and skips) and per community 300 units billed for 3 months, 150 work orders and 120
satisfaction answers spread over 90 days, a district above the street and a regulator account.
Then sends ``regulatorKpis`` (every KPI, monthly series, all groups) ``--requests`` times, one
after the other, through the ASGI app (GraphQL parsing, permission, the per-firm audited reads,
aggregation, serialisation), the start-up heap frozen as ``linli serve`` does, and reports
p50/p95/p99 and the server's CPU per query against the target p99 ≤ 500 ms, with the machine's
load. ``--profile`` prints where 5 queries' time goes instead. The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench.common import (
    BenchDatabase,
    console,
    machine_description,
    markdown_table,
    percentile,
    results_table,
    write_docs_section,
)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TARGET_P99_MS = 500.0
FIRMS = (7, 7, 6)
QUERY = """{ regulatorKpis(bucket: MONTH) { jurisdiction kpis { key groups { level firm community
  figure { value samples suppressed } series { start value samples suppressed } } } } }"""
PASSWORD = "bench street office 1"
WHERE_TIME_GOES = """Where the time goes (`--profile`): the server's own CPU per query (the last column, measured
with `time.process_time`) is what the query costs; the rest of the wall time is waiting for a
share of 2 cores that the load average says ~20 processes want, and PostgreSQL's own work.
Work orders, fees and satisfaction answers (about 99% of the samples) are aggregated in SQL (`RegulatorKpi.query`):
per firm and KPI one statement returns rows per community and month plus exact distinct-person
counts per community, firm and street, so the rows read no longer grow with the data; the
vote, fund and alarm KPIs still hand raw samples to Python (`collect`). What is left is mostly
GraphQL serialisation of ~3,500 fields and the five audited firm visits. Before (raw samples aggregated in Python): p50 CPU 263 ms, p99 2.2 s at
load 17.9. The target holds only when the machine is not saturated: wall time approaches CPU
plus database time on an idle machine, which this shared one never was during the runs."""


async def main(requests: int, pg_url: str, write_docs: bool, profile: bool = False, units: int = 300) -> None:
    import httpx

    from gateway.app import create_app
    from kernel.db.base import utcnow
    from kernel.identity.platform import create_platform_account
    from kernel.process import freeze_startup_heap
    from kernel.supervision.jurisdictions import create_jurisdiction
    from tenants.lifecycle import provision
    from tests.fixtures.supervision import Volume, enable_kpi_plugins, midday, seed_community

    db = await BenchDatabase.create(pg_url, prefix="linli-kpis-")
    runtime = None
    try:
        runtime = await db.migrated_runtime(second_factor_roles=[])
        async with runtime.db.platform() as s:
            await create_jurisdiction(s, code="BENCH-D", name="基准区", kind="district")
            await create_jurisdiction(s, code="BENCH-S", name="基准街道", parent_code="BENCH-D")
            await create_jurisdiction(s, code="ELSEWHERE", name="别处街道", parent_code="BENCH-D")
            await create_platform_account(s, "bench-street", PASSWORD, "基准街道办", regulator_street_code="BENCH-S")
        now = utcnow()
        volume = Volume(units=units, orders=150, closed=120, hours=9, answers=120, spread_days=89, months=3)
        t0 = time.perf_counter()
        n = 0
        for f, count in enumerate(FIRMS + (2, 2)):
            street = "BENCH-S" if f < len(FIRMS) else "ELSEWHERE"
            p = await provision(runtime, slug=f"bench-firm-{f}", name=f"基准物业{f}", admin_username=f"bench-admin-{f}", admin_password="bench password 1")
            await enable_kpi_plugins(runtime, p.tenant_id)
            async with runtime.db.tenant(p.tenant_id) as s:
                for c in range(count):
                    await seed_community(s, code=f"F{f}C{c:02d}", street=street, at=midday(1, now), volume=volume)
                    n += street == "BENCH-S"
        console.print(f"seeded {n} communities of {len(FIRMS)} firms on the street in {time.perf_counter() - t0:.1f} s")
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(db.admin_url)
        async with admin.begin() as conn:  # fresh statistics, as autovacuum would have them
            await conn.execute(text("ANALYZE"))
        await admin.dispose()

        app = create_app(runtime)
        freeze_startup_heap()  # as `linli serve` does once started (kernel/process.py)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }"
            r = await client.post("/graphql", json={"query": login, "variables": {"u": "bench-street", "p": PASSWORD}})
            token = r.json()["data"]["login"]["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            r = await client.post("/graphql", json={"query": QUERY}, headers=headers)
            body = r.json()
            assert not body.get("errors"), body
            kpis = body["data"]["regulatorKpis"]["kpis"]
            communities = {g["community"] for k in kpis for g in k["groups"] if g["level"] == "community"}
            assert len(communities) == n == 20, len(communities)
            if profile:  # where one query's time goes (in this process; the database's share shows as waiting)
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.enable()
                for _ in range(5):
                    await client.post("/graphql", json={"query": QUERY}, headers=headers)
                prof.disable()
                pstats.Stats(prof).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
                return
            latencies, cpu = [], []
            load_before = os.getloadavg()[0]
            for _ in range(requests):
                start, cpu_start = time.perf_counter(), time.process_time()
                r = await client.post("/graphql", json={"query": QUERY}, headers=headers)
                latencies.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - cpu_start) * 1000)
                assert r.status_code == 200 and "errors" not in r.json()
            load_after = os.getloadavg()[0]
        latencies.sort()
        p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
        verdict = "meets" if p99 <= TARGET_P99_MS else "misses"
        cpu.sort()
        rows = [("regulatorKpis, 20 communities × 8 KPIs, monthly", requests, f"{p50:.0f}", f"{p95:.0f}", f"{p99:.0f}", f"{latencies[-1]:.0f}", f"{percentile(cpu, 50):.0f}")]
        cols = ["query", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "server CPU p50 ms"]
        console.print(results_table("Street-office KPIs, PostgreSQL", cols, rows))
        console.print(f"p99 {p99:.0f} ms ({verdict} the target ≤ {TARGET_P99_MS:.0f} ms); load average {load_before:.1f} → {load_after:.1f}")
        samples = sum(g["figure"]["samples"] for k in kpis for g in k["groups"] if g["level"] == "jurisdiction")
        if write_docs:
            write_docs_section(
                "regulator_kpis",
                f"""## Street-office KPIs

`python -m bench.regulator_kpis --requests {requests} --write-docs` — {machine_description()};
measured {now:%Y-%m-%d}, load average {load_before:.1f} → {load_after:.1f} on the shared machine
during the run.

`regulatorKpis` (every KPI, monthly series over 90 days, every community, firm and the street)
for a street of 20 communities of 3 firms (7 + 7 + 6; two more firms elsewhere are visited and
skipped), each community 300 units billed for 3 months, 150 work orders and 120 satisfaction
answers over the period — {samples:,} samples aggregated per query — on PostgreSQL through the
application role with row-level security, sent through the ASGI app one after the other (each
query also writes one audit entry per firm read). Target: p99 ≤ {TARGET_P99_MS:.0f} ms.

{markdown_table(cols, rows)}

Result: p99 {p99:.0f} ms — {verdict} the target.

{WHERE_TIME_GOES}
""",
            )
    finally:
        if runtime is not None:
            await runtime.db.dispose()
        await db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--postgres", default=os.environ.get("LINLI_TEST_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile 5 queries instead of measuring")
    parser.add_argument("--units", type=int, default=300, help="units per community")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.postgres, args.write_docs, args.profile, args.units))
