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
import shutil
import socket
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernel.testing import missing

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _ServerThread(threading.Thread):
    def __init__(self, settings: Any, port: int) -> None:
        super().__init__(daemon=True, name="linli-web-server")
        self.settings, self.port = settings, port
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runtime: Any = None
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.info: dict[str, Any] = {}
        self.server: Any = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the fixture
            self.failure = exc
            self.ready.set()

    async def _main(self) -> None:
        import uvicorn

        from gateway.app import create_app
        from kernel.db.migrate import upgrade
        from kernel.runtime import Runtime
        from tenants.demo import seed_demo

        self.loop = asyncio.get_running_loop()
        runtime = self.runtime = Runtime.build(self.settings)
        await upgrade(
            self.settings.database_admin_url or self.settings.database_url,
            self.settings.database_url,
            runtime.host,
        )
        demo = await seed_demo(runtime, units=40)
        app = create_app(runtime, workers=True)
        self.info = {"tenant_id": demo.tenant_id}
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
            )
        )

        async def announce() -> None:
            while not self.server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
                await asyncio.sleep(0.02)
            self.ready.set()

        task = asyncio.create_task(announce())
        await self.server.serve()
        task.cancel()
        await runtime.db.dispose()


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        missing("browser", "chromium is missing (apt-get install chromium)")
    if not BUILT.is_file() or not AXE.is_file():
        missing(
            "browser",
            "the web clients are not built: cd web && npm ci && npm run build (scripts/bootstrap.sh does it)",
        )
    from kernel.testing import POSTGRES_ENV, TestDatabase, create_postgres_database
    from tenants.demo import DEMO_PASSWORD, DEMO_SLUG

    data_dir = tmp_path_factory.mktemp("web-clients")
    drop = None
    if os.environ.get(POSTGRES_ENV):
        app_url, admin_url, drop = asyncio.run(create_postgres_database(os.environ[POSTGRES_ENV]))
        db = TestDatabase("postgres", app_url, admin_url, data_dir)
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'linli.db'}"
        db = TestDatabase("sqlite", url, url, data_dir)
    # tenant admins log in with the second factor here (the console's TOTP step is under test)
    thread = _ServerThread(db.settings(second_factor_roles=["tenant_admin"]), _free_port())
    thread.start()
    thread.ready.wait(timeout=120)
    if thread.failure is not None:
        raise thread.failure
    assert thread.ready.is_set(), "the app did not start within 120 s"
    server = WebServer(
        base_url=f"http://127.0.0.1:{thread.port}",
        tenant=DEMO_SLUG,
        password=DEMO_PASSWORD,
        tenant_id=thread.info["tenant_id"],
        thread=thread,
    )
    try:
        yield server
    finally:
        thread.server.should_exit = True
        thread.join(timeout=20)
        if drop is not None:
            asyncio.run(drop())


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
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
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
