"""Issue 15: the staff console's first load with a cold cache, and the JavaScript its shell ships.

A fresh SQLite database gets the demo firm (40 units); ``linli serve`` runs in a subprocess; the
machine's Chromium (Playwright) opens each page in a new browser context — an empty cache —
``--runs`` times:

- the sign-in page: navigation start → the username field visible (the shell's JavaScript and CSS,
  the lazy sign-in chunk);
- the work-order board signed in as demo-staff (tokens put in the tab's sessionStorage before the
  page loads): navigation start → the board's six columns drawn (the shell, the menu's GraphQL,
  the lazy board chunk with ECharts, the work orders' GraphQL).

Also: the shell's JavaScript (the entry chunk and its static imports, from Vite's manifest) raw and
gzipped, and what the browser actually transferred (the gateway gzips ``/web/``). Targets: first
load ≤ 1.5 s, shell ≤ 500 KB gzipped. The clients must be built (``cd web && npm run build``).

    python -m bench.console_load [--runs 5] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    REPO,
    BenchDatabase,
    ServerProcess,
    console,
    free_port,
    machine_description,
    markdown_table,
    results_table,
    write_docs_section,
)

BUILT = REPO / "gateway" / "static" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
JS_TRANSFERRED = (
    "performance.getEntriesByType('resource').filter(r => r.name.endsWith('.js'))"
    ".reduce((n, r) => n + r.transferSize, 0)"
)


def shell_size() -> dict[str, int]:
    """The console entry and every chunk it imports statically: raw and gzipped bytes."""
    manifest = json.loads((BUILT / ".vite" / "manifest.json").read_text())
    seen: set[str] = set()

    def walk(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for dep in manifest[key].get("imports", []):
            walk(dep)

    walk("console/index.html")
    files = [(BUILT / manifest[k]["file"]).read_bytes() for k in seen]
    return {"chunks": len(files), "raw": sum(map(len, files)), "gzip": sum(len(gzip.compress(b, 9)) for b in files)}


async def prepare(db: BenchDatabase) -> dict[str, str]:
    """The demo firm on ``db`` (migrated for the installed plugins, as ``linli serve`` loads them);
    returns the server's environment."""
    from tenants.demo import seed_demo

    runtime = await db.migrated_runtime(entry_points=True)
    try:
        await seed_demo(runtime, units=40)
    finally:
        await runtime.db.dispose()
    return db.server_env()


def browse(base_url: str, session: dict[str, Any], runs: int) -> dict[str, list[tuple[float, int]]]:
    """(ms until usable, JS bytes transferred) per cold run of each page."""
    from playwright.sync_api import sync_playwright

    from tests.fixtures.live_app import CHROMIUM

    out: dict[str, list[tuple[float, int]]] = {"sign-in": [], "work-order board (signed in)": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(runs):
                for name in out:
                    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                    page = context.new_page()
                    if name == "sign-in":
                        page.goto(f"{base_url}/console/")
                        page.locator("input[autocomplete='username'], input").first.wait_for()
                    else:
                        page.add_init_script(f"sessionStorage.setItem('linli.console.session', {json.dumps(json.dumps(session))})")
                        page.goto(f"{base_url}/console/#/workorders")
                        page.locator('[data-state="closed"]').wait_for()
                    out[name].append((float(page.evaluate("performance.now()")), int(page.evaluate(JS_TRANSFERRED))))
                    context.close()
        finally:
            browser.close()
    return out


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    import time

    from tenants.demo import DEMO_PASSWORD

    db = await BenchDatabase.create(None, prefix="linli-bench-console-")
    try:
        env = await prepare(db)
        port = free_port()
        cmd = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--port", str(port), "--no-workers"]
        async with ServerProcess(cmd, port, env) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                r = await client.post("/graphql", json={
                    "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p, tenant: \"demo\") { accessToken refreshToken expiresIn } }",
                    "variables": {"u": "demo-staff", "p": DEMO_PASSWORD},
                })
                auth = r.json()["data"]["login"]
            session = {"accessToken": auth["accessToken"], "refreshToken": auth["refreshToken"],
                       "expiresAt": int(time.time() * 1000) + auth["expiresIn"] * 1000, "firm": "demo"}
            loads = await asyncio.to_thread(browse, server.base_url, session, args.runs)
    finally:
        await db.drop()
    return {"shell": shell_size(), "loads": loads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold loads of each page")
    parser.add_argument("--write-docs", action="store_true", help="replace the section in docs/benchmarks.md")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    shell = result["shell"]
    rows = []
    for name, runs in result["loads"].items():
        ms = sorted(m for m, _ in runs)
        rows.append([name, f"{statistics.median(ms):.0f}", f"{ms[-1]:.0f}", f"{statistics.median(b for _, b in runs) / 1024:.0f}"])
    columns = ["page (cold cache)", "median ms", "worst ms", "JS transferred KB"]
    console.print(results_table("Console first load", columns, rows))
    console.print(f"shell JavaScript: {shell['raw'] / 1024:.0f} KB raw, {shell['gzip'] / 1024:.0f} KB gzipped in {shell['chunks']} chunks")
    if args.write_docs:
        body = f"""## Console first load and shell size (issue 15)

`python -m bench.console_load --runs {args.runs} --write-docs` — `linli serve` (SQLite, the demo firm
with 40 units) and the machine's Chromium through Playwright, each load in a new browser context
(empty cache), from navigation start to the page usable. {machine_description()}

{markdown_table(columns, rows)}

The shell — the console's entry chunk and its static imports, before any lazy page — is
**{shell['raw'] / 1024:.0f} KB raw, {shell['gzip'] / 1024:.0f} KB gzipped** in {shell['chunks']} chunks
(target ≤ 500 KB gzipped); pages are lazy chunks (ECharts comes with the first page that draws a
chart). Target for the first load: ≤ 1.5 s on localhost.
"""
        write_docs_section("console_load", body)


if __name__ == "__main__":
    main()
