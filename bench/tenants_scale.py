"""Issue 17 part 5, the per-tenant caches: what a process holds after N tenants made requests.

Provisions N tenants on a fresh SQLite database (the admin's password hashed with minimal
argon2id cost: provisioning time is not what is measured here), then makes every tenant do what
the gateway does on each request — open a tenant session, load the tenant, take its casbin
enforcer from the process's ``EnforcerCache`` and decide a permission — once with the cache
bounded (``LINLI_TENANT_CACHE_SIZE``, default 1,000) and once unbounded (size N). Reports the
enforcers held, the process's RSS growth and the time per request-equivalent, then the hit rate
of a second pass over the most recently active tenants (they fit: all hits) and over all N
tenants round-robin (they do not: an LRU misses on each — the bound must exceed the tenants
active at once).

    python -m bench.tenants_scale --tenants 2000 [--cache-size 1000] [--write-docs]
    python -m bench.tenants_scale --stages 10,1000,10000 [--write-docs]   # the page, bench/tenants_page.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

NOTE = (
    "\n\nAn unbounded cache grows by one enforcer per tenant that ever made a request (here ~30 KB each in RSS); "
    "the bounded one stops at its size (`LINLI_TENANT_CACHE_SIZE`, default 1,000). The round-robin column shows "
    "an LRU's limit: with more tenants active at once than the bound, every request rebuilds its tenant's enforcer "
    "(the miss cost is the first pass's ms per request: a tenant session, the tenant's policy rows and a casbin "
    "build) — size the bound above the tenants active at once and watch `linli_tenant_cache_lookups_total`. "
    "Not measured here: the benchmark page at 10 vs 10,000 tenants and server RSS with 10,000 tenants "
    "(issue 17 part 5's other targets; provisioning is ~0.2 s per tenant even with a cheap password hash)."
)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def provision_many(runtime: Any, n: int) -> list[Any]:
    from argon2 import PasswordHasher

    from kernel.identity import passwords
    from tenants.lifecycle import provision

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # bench only
    made = []
    for i in range(n):
        slug = f"scale-{i:05d}"
        made.append(await provision(runtime, slug=slug, name=slug, admin_username=f"{slug}-admin", admin_password="bench-" + slug))
    return made


async def serve_once(runtime: Any, cache: Any, p: Any) -> bool:
    """What the gateway's context does per request: tenant session, tenant row, enforcer, one decision."""
    from kernel.tenancy import Tenant

    async with runtime.db.tenant(p.tenant_id) as s:
        tenant = await s.get(Tenant, p.tenant_id)
        enforcer = await cache.get(s, tenant)
    return bool(enforcer.roles_of(p.admin_account_id))


async def measure(runtime: Any, tenants: list[Any], size: int, recent: int) -> dict[str, float]:
    from kernel.identity.authz import EnforcerCache

    gc.collect()
    base = rss_mb()
    cache = EnforcerCache(size)
    started = time.perf_counter()
    for p in tenants:
        assert await serve_once(runtime, cache, p)
    elapsed = time.perf_counter() - started
    gc.collect()
    grown = rss_mb() - base
    first = (cache._cache.hits, cache._cache.misses)
    for p in tenants[-recent:]:
        await serve_once(runtime, cache, p)
    recent_hits = (cache._cache.hits - first[0]) / recent
    mark = (cache._cache.hits, cache._cache.misses)
    for p in tenants:
        await serve_once(runtime, cache, p)
    all_hits = (cache._cache.hits - mark[0]) / len(tenants)
    result = {
        "size": size, "held": len(cache), "rss_mb": grown, "kb_per_tenant": grown * 1024 / len(tenants),
        "ms_per_request": elapsed * 1000 / len(tenants), "recent_hit_rate": recent_hits, "round_robin_hit_rate": all_hits,
    }
    del cache
    gc.collect()
    return result


async def run(n: int, size: int) -> list[dict[str, float]]:
    from kernel.config import Settings
    from kernel.db.migrate import upgrade
    from kernel.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'linli.db'}"
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="bench-" + "x" * 32,
                            master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", log_json=False, log_level="WARNING")
        runtime = Runtime.build(settings)
        await upgrade(url, url, runtime.host)
        t0 = time.perf_counter()
        tenants = await provision_many(runtime, n)
        print(f"provisioned {n} tenants in {time.perf_counter() - t0:.0f} s")
        recent = min(size, n) // 2
        results = [await measure(runtime, tenants, size, recent), await measure(runtime, tenants, n, recent)]
        await runtime.db.dispose()
    return results


def report(n: int, results: list[dict[str, float]]) -> str:
    lines = [
        f"{n:,} tenants each make one request (SQLite, one process); then the {min(int(results[0]['size']), n) // 2:,} most recent again, then all {n:,} again.",
        "",
        "| enforcer cache | enforcers held | RSS growth | per tenant | ms per request | hit rate, recent tenants | hit rate, all round-robin |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        label = f"bounded, {int(r['size']):,}" if r is results[0] else f"unbounded ({n:,})"
        lines.append(
            f"| {label} | {int(r['held']):,} | {r['rss_mb']:.0f} MB | {r['kb_per_tenant']:.0f} KB | {r['ms_per_request']:.1f} | "
            f"{r['recent_hit_rate']:.0%} | {r['round_robin_hit_rate']:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    import sys

    if "--stages" in sys.argv:  # the page at 10 … 10,000 tenants on PostgreSQL (bench/tenants_page.py)
        from bench.tenants_page import main as page_main

        page_main(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--cache-size", type=int, default=1000)
    parser.add_argument("--write-docs", action="store_true", help="replace this bench's section in docs/benchmarks.md")
    args = parser.parse_args()
    results = asyncio.run(run(args.tenants, args.cache_size))
    table = report(args.tenants, results)
    print(table)
    if args.write_docs:
        from bench.common import write_docs_section

        body = (
            "## Per-tenant caches (issue 17 part 5)\n\n"
            f"`python -m bench.tenants_scale --tenants {args.tenants} --cache-size {args.cache_size} --write-docs`, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}. RSS is the whole process's (SQLite pages, SQLAlchemy's "
            "statement cache and the allocator move it too): compare the two rows.\n\n" + table + NOTE
        )
        write_docs_section("tenants_scale", body)


if __name__ == "__main__":
    main()
