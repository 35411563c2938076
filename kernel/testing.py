"""pytest plugin for Linli and its plugin authors (``pytest -p kernel.testing`` or via conftest).

Fixtures:

* ``linli_backend`` — ``sqlite`` and, when ``LINLI_TEST_POSTGRES_URL`` is set, ``postgres``
  (with ``LINLI_REQUIRE_POSTGRES=1`` a missing server fails instead of skipping);
* ``linli_database`` — a fresh migrated database for the backend (on PostgreSQL: a new
  database, migrated by the owner, used through a new application role that cannot bypass
  row-level security), dropped afterwards;
* ``make_runtime`` — builds a :class:`Runtime` on that database with chosen extra plugins;
* ``gql`` — a GraphQL client over ASGI: ``await gql(query, variables, token=...)``.

Helpers: :func:`eventually` polls for a condition instead of sleeping; :func:`missing` skips a test whose
real component (PostgreSQL, Redis, anvil, Mosquitto, Chromium) is absent — or fails it when CI requires
that component (``LINLI_REQUIRE_<COMPONENT>=1``, all set by ``.ci/run``).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kernel.config import Settings
from kernel.runtime import Runtime

POSTGRES_ENV = "LINLI_TEST_POSTGRES_URL"
REQUIRE_ENV = "LINLI_REQUIRE_POSTGRES"


#: The real components a test may need, and the variable that makes their absence a failure (``.ci/run``).
REQUIRED_COMPONENTS = {
    "postgres": "LINLI_REQUIRE_POSTGRES",
    "redis": "LINLI_REQUIRE_REDIS",
    "anvil": "LINLI_REQUIRE_ANVIL",  # the contracts' npm toolchain: anvil and solc-js (npm ci in contracts/)
    "mqtt": "LINLI_REQUIRE_MQTT",  # Mosquitto and the headers to build its linli_auth plugin
    "browser": "LINLI_REQUIRE_BROWSER",  # Chromium, driven by Playwright
}


def missing(component: str, reason: str) -> NoReturn:
    """Skip the test because ``component`` is absent (``reason`` says how to get it) — or fail it when
    ``LINLI_REQUIRE_<COMPONENT>`` is set: in CI a missing component must not pass as a skip."""
    env = REQUIRED_COMPONENTS[component]
    if os.environ.get(env):
        pytest.fail(f"{env} is set but {reason}")
    pytest.skip(reason)


_TOTP_USED: dict[str, set[int]] = {}
#: seconds of the current 30-second step that must remain for :func:`totp_code` to hand out the
#: previous step's code (a code is checked against the server's current step and its neighbours)
TOTP_MARGIN = 10.0


def totp_code(secret: str) -> str:
    """An authenticator code for ``secret`` that this test process has not used yet. Linli accepts
    each 30-second step once (a replay is refused), and tests log in faster than that: take the
    current step's code, else the next step's or the previous step's (both accepted for clock drift;
    the previous one only while more than :data:`TOTP_MARGIN` seconds of the current step remain, so
    that it is still accepted when the server checks it), else wait for a new step."""
    import pyotp

    totp = pyotp.TOTP(secret)
    used = _TOTP_USED.setdefault(secret, set())
    while True:
        now = time.time()
        left = totp.interval - now % totp.interval
        moments = [now, now + totp.interval]
        if left > TOTP_MARGIN:
            moments.append(now - totp.interval)
        for moment in moments:
            step = int(moment // totp.interval)
            if step not in used:
                used.add(step)
                return totp.at(moment)
        time.sleep(left + 0.05)


async def eventually(check: Callable[[], Any], within: float = 10.0, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy and return that; fail the test
    after ``within`` seconds. Use instead of sleeping for a condition: fast when it holds early, and it
    cannot pass silently when it never holds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what or getattr(check, '__name__', 'condition')} (last: {result!r})")
        await asyncio.sleep(interval)


def backends() -> list[Any]:
    pg = os.environ.get(POSTGRES_ENV)
    marks = [] if pg else [pytest.mark.skip(reason=f"set {POSTGRES_ENV} to run the PostgreSQL tests")]
    if not pg and os.environ.get(REQUIRE_ENV):
        marks = []
    return ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, *marks])]


@dataclass
class TestDatabase:
    __test__ = False  # a fixture's value, not a test class

    backend: str
    app_url: str
    admin_url: str
    data_dir: Path

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.app_url,
            "database_admin_url": self.admin_url,
            "data_dir": self.data_dir,
            "secret_key": "test-secret-" + "x" * 32,
            "master_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            "log_json": False,
            # every test client calls from 127.0.0.1 into one database per session: the per-source
            # and per-tenant login limits are tested with their own settings
            "login_max_failures_per_source": 100_000,
            "login_max_failures_per_tenant": 100_000,
            # tests log in as admins all the time; the second factor is tested with it switched on
            "second_factor_roles": [],
        }
        values.update(overrides)
        return Settings(**values)


async def create_postgres_database(base_url: str, prefix: str = "linli_test") -> tuple[str, str, Callable[[], Any]]:
    """A fresh database and application role; returns (app_url, admin_url, drop)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    role = f"{name}_app"
    password = secrets.token_hex(8)
    base = make_url(base_url)
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'"))
    await engine.dispose()
    admin_url = base.set(database=name).render_as_string(hide_password=False)
    app_url = base.set(database=name, username=role, password=password).render_as_string(hide_password=False)

    async def drop() -> None:
        eng = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
        async with eng.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await eng.dispose()

    return app_url, admin_url, drop


@pytest.fixture(scope="session", params=backends())
def linli_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not os.environ.get(POSTGRES_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but {POSTGRES_ENV} is not: PostgreSQL tests cannot run")
    return str(request.param)


@pytest.fixture(scope="session")
def linli_plugins() -> list[Any]:
    """Extra plugin modules the test database is migrated for and the test runtimes load
    (besides built-ins and installed plugins); override in a conftest: ``return [my_plugin]``."""
    return test_plugin_modules()


@pytest_asyncio.fixture(scope="session")
async def linli_database(
    linli_backend: str, tmp_path_factory: pytest.TempPathFactory, linli_plugins: list[Any]
) -> AsyncIterator[TestDatabase]:
    from kernel.db.migrate import upgrade
    from kernel.plugins.host import PluginHost

    data_dir = tmp_path_factory.mktemp(f"linli-{linli_backend}")
    drop = None
    if linli_backend == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'linli.db'}"
        db = TestDatabase("sqlite", url, url, data_dir)
    else:
        app_url, admin_url, drop = await create_postgres_database(os.environ[POSTGRES_ENV])
        db = TestDatabase("postgres", app_url, admin_url, data_dir)
    host = PluginHost()
    host.load(extra=linli_plugins, entry_points=True)
    await upgrade(db.admin_url, db.app_url, host)
    try:
        yield db
    finally:
        if drop is not None:
            await drop()


def test_plugin_modules() -> list[Any]:
    """Extra plugin modules every test runtime loads (none by default)."""
    return []


@pytest_asyncio.fixture
async def make_runtime(linli_database: TestDatabase) -> AsyncIterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def factory(**settings_overrides: Any) -> Runtime:
        extra = settings_overrides.pop("extra_plugins", ())
        rt = Runtime.build(linli_database.settings(**settings_overrides), extra_plugins=extra)
        made.append(rt)
        return rt

    yield factory
    from kernel import notify

    for rt in made:
        await notify.close(rt)
        await rt.db.dispose()


class GraphQLClient:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test")

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        h = dict(headers or {})
        if token:
            h["authorization"] = f"Bearer {token}"
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=h)
        assert response.status_code < 500, response.text
        return response.json()  # type: ignore[no-any-return]

    async def login(self, username: str, password: str, tenant: str | None = None) -> str:
        result = await self(
            "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken } }",
            {"u": username, "p": password, "t": tenant},
        )
        assert not result.get("errors"), result
        return str(result["data"]["login"]["accessToken"])


@pytest_asyncio.fixture
async def gql_factory() -> AsyncIterator[Callable[[Runtime], GraphQLClient]]:
    clients: list[GraphQLClient] = []

    def factory(runtime: Runtime) -> GraphQLClient:
        client = GraphQLClient(app_factory()(runtime))
        clients.append(client)
        return client

    yield factory
    for c in clients:
        await c.http.aclose()


APP_ENTRY_POINT_GROUP = "linli.app"


@functools.cache
def app_factory() -> Callable[[Runtime], Any]:
    """The ASGI application factory, ``create_app(runtime)``, of the installed distribution.

    The kernel does not import the gateway (the rooms' import rules, docs/architecture.md): the
    factory is found through the ``linli.app`` entry-point group, which Linli's own pyproject
    declares (``gateway = "gateway.app:create_app"``).
    """
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=APP_ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    if not found:
        raise RuntimeError("no `linli.app` entry point is installed: reinstall Linli with `pip install -e .`")
    factory: Callable[[Runtime], Any] = found[0].load()
    return factory


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def add_member(runtime: Runtime, tenant_id: uuid.UUID, username: str, password: str, role: str, display_name: str = "") -> uuid.UUID:
    """Create an account and give it ``role`` in the tenant (as a tenant admin would); returns
    the account id. Get a token with :func:`access_token` (fast) or ``gql.login(...)``.

    The argon2id hash of each distinct password is computed once per process: tests create many
    accounts and a hash costs tens to hundreds of milliseconds by design."""
    from kernel.identity.authz import Policies
    from kernel.identity.models import Account

    async with runtime.db.tenant(tenant_id) as s:
        account = Account(username=username, display_name=display_name or username, password_hash=_password_hash(password))
        s.add(account)
        await s.flush()
        account_id = account.id
        await Policies(s, tenant_id).assign_role(account_id, role)
    return account_id


@functools.lru_cache(maxsize=16)
def _password_hash(password: str) -> str:
    from kernel.identity.passwords import hash_password

    return hash_password(password)


async def access_token(runtime: Runtime, account_id: uuid.UUID, tenant_id: uuid.UUID) -> str:
    """An access token for the account in the tenant, as ``login`` would issue it, without
    verifying a password (no argon2 cost). Use ``gql.login`` when the login itself is tested."""
    from kernel.identity import service as identity
    from kernel.identity.models import Account

    async with runtime.db.tenant(tenant_id) as s:
        account = await s.get(Account, (account_id, tenant_id))
        assert account is not None, "no such account in this tenant"
        pair = await identity.issue_tokens(s, runtime.settings, account, tenant_id)
    return pair.access_token


# -------------------------------------------------------------------------------- several processes


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux ``/proc``)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ServeProcesses:
    """``linli serve --workers N`` started by :func:`serve_processes`: the supervisor, its gateway
    processes and its ``linli worker`` process."""

    process: Any  # subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _kids(self) -> list[tuple[int, str]]:
        out = []
        for pid in _children(self.process.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            out.append((pid, cmd))
        return out

    def gateway_pids(self) -> list[int]:
        """The gateway processes (uvicorn's spawned workers), not the ``linli worker`` process."""
        return sorted(pid for pid, cmd in self._kids() if "spawn_main" in cmd)

    def worker_pid(self) -> int | None:
        return next((pid for pid, cmd in self._kids() if cmd.rstrip().endswith(" worker")), None)


def serve_processes(env: dict[str, str], *, workers: int, port: int, timeout: float = 120) -> Any:
    """Context manager: run ``linli serve --workers N`` with ``env`` added to this process's environment,
    wait until every gateway process has started and ``/readyz`` answers, stop everything afterwards."""
    import contextlib
    import signal
    import subprocess
    import sys

    @contextlib.contextmanager
    def cm() -> Any:
        cmd = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--workers", str(workers), "--port", str(port)]
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, start_new_session=True)  # noqa: S603
        served = ServeProcesses(proc, port)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"linli serve --workers {workers} exited with {proc.returncode}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"linli serve --workers {workers} not ready in {timeout:.0f} s")
                try:
                    ready = httpx.get(served.url + "/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready and len(served.gateway_pids()) >= workers:
                    break
                time.sleep(0.2)
            yield served
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the session started for it: its children only
                proc.wait(timeout=10)

    return cm()
