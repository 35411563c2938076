"""In-process profile of the page of :mod:`bench.graphql_vs_handwritten`: the real app (plus the
bench's hand-written route) driven through ``httpx.ASGITransport``, one request at a time, so
that CPU per page is measured without a load generator competing for the cores.

    python -m bench.graphql_page_profile                     # SQLite, CPU ms per page both ways
    python -m bench.graphql_page_profile --profile 40        # and cProfile's top functions
    python -m bench.graphql_page_profile --backend postgres

Prints the CPU milliseconds per page (``time.process_time``, the client included, best of
``--repeat`` passes over every full page) of GraphQL and of the hand-written endpoint, and their
ratio (hand-written ÷ GraphQL, as the bench's CPU ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.graphql_vs_handwritten import (
    DEFAULT_POSTGRES,
    LOGIN,
    _demo_password,
    assert_same_data,
    fetch_pages,
    graphql_page,
    handwritten_page,
    mount_handwritten,
    prepare_database,
)


async def _pass(
    client: httpx.AsyncClient,
    fn: Any,
    headers: dict[str, str],
    pages: list[tuple[str, str | None]],
    size: int,
) -> float:
    started = time.process_time()
    for bid, after in pages:
        r = await fn(client, headers, bid, size, after)
        assert b'"errors"' not in r.content, r.content[:300]
    return (time.process_time() - started) * 1000 / len(pages)


def _minimal(client: httpx.AsyncClient, headers: dict[str, str], *_: Any) -> Any:
    return client.post("/graphql", json={"query": "query Minimal { __typename }"}, headers=headers)


async def run(args: argparse.Namespace) -> None:
    from gateway.app import create_app
    from kernel.config import Settings
    from kernel.logging import configure_logging
    from kernel.runtime import Runtime

    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="linli-profile-") as tmp:
        env, drop = await prepare_database(args.backend, args.units, Path(tmp), args.postgres_url)
        try:
            runtime = Runtime.build(
                Settings(**{k.removeprefix("LINLI_").lower(): v for k, v in env.items()})
            )
            app = create_app(runtime)
            mount_handwritten(app)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench"
                ) as client:
                    r = (
                        await client.post(
                            "/graphql",
                            json={
                                "query": LOGIN,
                                "variables": {
                                    "u": "demo-admin",
                                    "p": _demo_password(),
                                    "t": "demo",
                                },
                            },
                        )
                    ).json()
                    assert not r.get("errors"), r
                    headers = {"authorization": f"Bearer {r['data']['login']['accessToken']}"}
                    pages = await fetch_pages(client, headers, args.page_size)
                    _, pages = await assert_same_data(client, headers, pages, args.page_size)
                    best: dict[str, float] = {}
                    for _ in range(args.repeat):
                        for name, fn in (
                            ("handwritten", handwritten_page),
                            ("graphql", graphql_page),
                        ):
                            ms = await _pass(client, fn, headers, pages, args.page_size)
                            best[name] = min(best.get(name, ms), ms)
                    h, g = best["handwritten"], best["graphql"]
                    if args.minimal:
                        ms = min(
                            [
                                await _pass(client, _minimal, headers, pages, args.page_size)
                                for _ in range(args.repeat)
                            ]
                        )
                        print(f"[{args.backend}] `query {{ __typename }}`: {ms:.1f} CPU ms/request")
                    print(
                        f"[{args.backend}] {len(pages)} full pages, best of {args.repeat}: hand-written {h:.1f} CPU ms/page, "
                        f"GraphQL {g:.1f} CPU ms/page, ratio {h / g:.2f} (load {os.getloadavg()[0]:.1f})"
                    )
                    if args.profile:
                        profiler = cProfile.Profile()
                        gc.collect()
                        profiler.enable()
                        target = {
                            "graphql": graphql_page,
                            "handwritten": handwritten_page,
                            "minimal": _minimal,
                        }[args.target]
                        for _ in range(args.profile_passes):
                            await _pass(client, target, headers, pages, args.page_size)
                        profiler.disable()
                        out = io.StringIO()
                        stats = pstats.Stats(profiler, stream=out)
                        stats.sort_stats(args.sort).print_stats(args.profile)
                        print(out.getvalue())
                        if args.dump:
                            stats.dump_stats(args.dump)
        finally:
            if drop is not None:
                await drop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--postgres-url", default=os.environ.get("LINLI_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--page-size", type=int, default=50)
    p.add_argument(
        "--repeat", type=int, default=3, help="timed passes over the full pages (best kept)"
    )
    p.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print cProfile's top N functions of GraphQL passes",
    )
    p.add_argument("--profile-passes", type=int, default=3)
    p.add_argument(
        "--target",
        choices=("graphql", "handwritten", "minimal"),
        default="graphql",
        help="what --profile profiles",
    )
    p.add_argument("--sort", default="tottime")
    p.add_argument(
        "--minimal",
        action="store_true",
        help="also time `{ __typename }` (the fixed cost of a GraphQL request)",
    )
    p.add_argument("--dump", help="write the profile's stats to this file")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
