"""Fixtures for the web clients' browser tests (the staff console, GraphiQL, ``/``): the real app
under uvicorn on a free 127.0.0.1 port in a background thread, on a fresh database (PostgreSQL
through the RLS application role when ``LINLI_TEST_POSTGRES_URL`` is set, else SQLite), seeded
with the demo firm (40 units, every built-in plugin enabled; the parcel-lockers example plugin
installed but not enabled), with the second factor required of tenant admins; and Debian's
Chromium driven by Playwright. The clients must have been built (``npm run build`` in web/)."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures.live_app import CHROMIUM, CHROMIUM_ARGS, chromium_available, serving

from kernel.testing import missing

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
BUILT = ROOT / "gateway" / "static" / "web" / "console" / "index.html"
SCREENSHOTS = ROOT / "docs" / "img"


@dataclass
class WebServer:
    base_url: str
    tenant: str
    password: str
    tenant_id: uuid.UUID
    #: demo-admin's TOTP secret, once a test enrolled it through the console
    totp_secret: str = ""
    thread: Any = None

    def run(self, coro: Any, timeout: float = 60) -> Any:
        """Runs ``coro`` in the server's event loop (where the runtime lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.thread.loop).result(timeout)

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """POSTs to /graphql from the test; returns the whole answer (``data`` and ``errors``)."""
        request = urllib.request.Request(
            f"{self.base_url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={
                "content-type": "application/json",
                **({"authorization": f"Bearer {token}"} if token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own 127.0.0.1 server
            return json.loads(answer.read())

    def token(self, username: str) -> str:
        """An access token of a demo login without a second factor (staff, technician)."""
        answer = self.graphql(
            "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }",
            {"u": username, "p": self.password, "t": self.tenant},
        )
        assert "errors" not in answer, answer
        return str(answer["data"]["login"]["accessToken"])


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not chromium_available():
        missing("browser", "chromium is missing (apt-get install chromium)")
    if not BUILT.is_file() or not AXE.is_file():
        missing(
            "browser",
            "the web clients are not built: cd web && npm ci && npm run build (scripts/bootstrap.sh does it)",
        )
    from tenants.demo import DEMO_PASSWORD, DEMO_SLUG, seed_demo

    async def prepare(runtime: Any) -> dict[str, Any]:
        return {"tenant_id": (await seed_demo(runtime, units=40)).tenant_id}

    # tenant admins log in with the second factor here (the console's TOTP step is under test)
    with serving(
        tmp_path_factory.mktemp("web-clients"),
        prepare,
        name="linli-web-server",
        second_factor_roles=["tenant_admin"],
    ) as thread:
        yield WebServer(
            base_url=f"http://127.0.0.1:{thread.port}",
            tenant=DEMO_SLUG,
            password=DEMO_PASSWORD,
            tenant_id=thread.info["tenant_id"],
            thread=thread,
        )


@pytest.fixture(scope="module")
def browser(web_server: WebServer) -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, web_server: WebServer) -> Any:
    """A desktop-sized page in a fresh context, failing on any request that leaves the app's
    origin (they are blocked) and on any JavaScript error."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(
            (web_server.base_url, "data:", "blob:", web_server.base_url.replace("http", "ws"))
        ):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not outside, f"the page made external requests: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def axe() -> Any:
    """``axe(page)``: runs axe-core (web/node_modules/axe-core, injected into the page) and fails
    on serious or critical violations, naming them."""

    def check(pg: Any, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate(
            "async (exclude) => await axe.run({exclude: exclude.map((s) => [s])}, {resultTypes: ['violations']})",
            list(exclude),
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        summary = [
            (
                v["id"],
                v["impact"],
                [(n["target"], (n.get("any") or [{}])[0].get("data")) for n in v["nodes"]][:3],
            )
            for v in bad
        ]
        assert not bad, f"accessibility violations: {summary}"
        return list(result["violations"])

    return check


@pytest.fixture
def shot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``shot(page, name)``: a screenshot ``console-<name>.png``, into docs/img with
    ``LINLI_UPDATE_SCREENSHOTS=1``, else into a temporary folder."""
    folder = (
        SCREENSHOTS
        if os.environ.get("LINLI_UPDATE_SCREENSHOTS") == "1"
        else tmp_path_factory.mktemp("screenshots")
    )

    def save(pg: Any, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)

    return save
