"""Small helpers shared by the benchmarks: a free loopback port, a server subprocess that is
stopped by its own pid, a bounded closed-loop HTTP load with latency percentiles, server CPU
accounting, the machine description and a rich results table.

Benchmarks run from the repository root as modules (``python -m bench.<name>``) so that
``bench.common`` imports without installing anything.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
#: Wide enough for the results tables when the output is piped (rich defaults to 80 columns).
console = Console(width=None if sys.stdout.isatty() else 120)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of already sorted values, nearest-rank method."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (``linli serve --workers N``:
    the supervisor, its gateway processes and the background worker)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += process_cpu_seconds(current)
        except OSError:
            continue
        todo.extend(children.get(current, ()))
    return total


@dataclass
class LoadResult:
    """Latencies (seconds) of the successful requests of one measured run."""

    name: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    server_cpu: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.elapsed += other.elapsed
        self.latencies.extend(other.latencies)
        self.failures += other.failures
        self.server_cpu += other.server_cpu

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(sorted(self.latencies), q) * 1000

    @property
    def cpu_ms_per_request(self) -> float:
        """Server CPU milliseconds per request: independent of how busy the load generator is."""
        return self.server_cpu / self.count * 1000 if self.count else math.nan


RequestFn = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
CheckFn = Callable[[httpx.Response], bool]


async def run_load(
    client: httpx.AsyncClient,
    name: str,
    request: RequestFn,
    *,
    concurrency: int,
    duration: float,
    check: CheckFn | None = None,
    server_pid: int | None = None,
) -> LoadResult:
    """Closed loop: ``concurrency`` workers send ``request(client, i)`` back to back for
    ``duration`` seconds. A response with a status other than 200, or that ``check`` refuses,
    counts as a failure (and its latency is not recorded)."""
    result = LoadResult(name)
    deadline = time.perf_counter() + duration
    counter = iter(range(10**12))

    async def worker() -> None:
        while time.perf_counter() < deadline:
            i = next(counter)
            started = time.perf_counter()
            try:
                response = await request(client, i)
            except httpx.HTTPError:
                result.failures += 1
                continue
            took = time.perf_counter() - started
            if response.status_code == 200 and (check is None or check(response)):
                result.latencies.append(took)
            else:
                result.failures += 1

    cpu_before = process_cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    if server_pid:
        result.server_cpu = process_cpu_seconds(server_pid) - cpu_before
    return result


class ServerProcess:
    """A server in a subprocess on 127.0.0.1, ready once ``health_path`` answers 200.

    Stopped on exit with SIGINT (then SIGKILL) sent to its own pid only."""

    def __init__(
        self, args: Sequence[str], port: int, env: Mapping[str, str], health_path: str = "/healthz", ready_timeout: float = 30.0
    ) -> None:
        self.args = list(args)
        self.ready_timeout = ready_timeout
        self.port = port
        self.env = {**os.environ, **env}
        self.health_path = health_path
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def __aenter__(self) -> ServerProcess:
        self.proc = await asyncio.create_subprocess_exec(*self.args, cwd=REPO, env=self.env)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            for _ in range(int(self.ready_timeout * 10)):
                if self.proc.returncode is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode} before it was ready")
                try:
                    if (await client.get(self.health_path)).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        await self.__aexit__()
        raise RuntimeError(f"server did not become ready within {self.ready_timeout:g} s")

    async def __aexit__(self, *exc: Any) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def machine_description() -> str:
    """CPU model and count, memory, OS and Python: the context every figure needs."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:", 1)[1].split()[0])
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, IndexError, ValueError):
        pass
    cpus = f"{os.cpu_count()} cores" + (f" ({model})" if model else "")
    return ", ".join(p for p in (cpus, mem, f"{platform.system()} {platform.release()}", f"Python {sys.version.split()[0]}") if p)


def results_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], text_columns: int = 1) -> Table:
    """A rich table; the first ``text_columns`` left-aligned, the numbers right-aligned."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < text_columns else "right")
    for row in rows:
        table.add_row(*(str(c) for c in row))
    return table


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], text_columns: int = 1) -> str:
    """The same rows as a GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(columns))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


DOCS = REPO / "docs" / "benchmarks.md"
DOCS_HEADER = """# Benchmarks

Figures measured on the development machine: **2 cores, 24 GiB RAM, shared with other work**
(other sessions, PostgreSQL, brokers). Absolute numbers move from run to run by tens of percent;
compare the **ratios** measured within one run, not absolute figures across runs or machines.
Load generator, server and database all run on the same machine over loopback.

Each benchmark lives in `bench/` and runs from the repository root as a module
(`python -m bench.<name> --help`). Each section below says what was measured, the exact
command, and when. Re-run with `--write-docs` to replace a section's figures.
"""


def write_docs_section(key: str, body: str) -> None:
    """Replace (or append) the section between this benchmark's markers in docs/benchmarks.md,
    creating the file with the shared header if it does not exist. Other sections are kept."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    text = DOCS.read_text() if DOCS.exists() else DOCS_HEADER
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


#: Keys of the benchmarks' throw-away databases (not secrets: each database is dropped afterwards).
BENCH_SECRET_KEY = "bench-secret-" + "x" * 32
BENCH_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@dataclass
class BenchDatabase:
    """A benchmark's own database: a new PostgreSQL database used through a new application role
    (``kernel.testing.create_postgres_database``, as production runs) when a server URL is given,
    else a SQLite file; and a temporary data folder. :meth:`drop` removes both.

        db = await BenchDatabase.create(pg_url, prefix="linli-parking-")
        runtime = None
        try:
            runtime = await db.migrated_runtime()
            ...
        finally:
            if runtime is not None:
                await runtime.db.dispose()
            await db.drop()
    """

    app_url: str
    admin_url: str
    data_dir: Path
    _drop: Callable[[], Awaitable[Any]] | None = None
    _tmp: Any = None

    @classmethod
    async def create(cls, pg_url: str | None, *, prefix: str = "linli-bench-", data_dir: Path | None = None) -> BenchDatabase:
        """``pg_url`` None: SQLite. ``data_dir`` None: a new temporary folder (removed by :meth:`drop`)."""
        import tempfile

        tmp = None
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix=prefix)
            data_dir = Path(tmp.name)
        if pg_url:
            from kernel.testing import create_postgres_database

            app_url, admin_url, drop = await create_postgres_database(pg_url)
            return cls(app_url, admin_url, data_dir, drop, tmp)
        url = f"sqlite+aiosqlite:///{data_dir / 'linli.db'}"
        return cls(url, url, data_dir, None, tmp)

    @property
    def backend(self) -> str:
        return "sqlite" if self.app_url.startswith("sqlite") else "postgres"

    def settings(self, **overrides: Any) -> Any:
        """:class:`kernel.config.Settings` on this database (``overrides`` win)."""
        from kernel.config import Settings

        values: dict[str, Any] = {
            "database_url": self.app_url,
            "database_admin_url": self.admin_url,
            "data_dir": self.data_dir,
            "secret_key": BENCH_SECRET_KEY,
            "master_key": BENCH_MASTER_KEY,
            "log_json": False,
        }
        values.update(overrides)
        return Settings(**values)

    async def migrated_runtime(self, *, entry_points: bool = False, **overrides: Any) -> Any:
        """The database migrated for the built-in plugins (and the installed ones with
        ``entry_points=True``, what ``linli serve`` loads), and a :class:`~kernel.runtime.Runtime`
        on it with the same plugins; dispose of its ``db`` (or shut it down) when done."""
        from kernel.db.migrate import upgrade
        from kernel.runtime import Runtime

        runtime = Runtime.build(self.settings(**overrides), entry_points=entry_points)
        try:
            await upgrade(self.admin_url, self.app_url, runtime.host)
        except BaseException:
            await runtime.db.dispose()
            raise
        return runtime

    def server_env(self) -> dict[str, str]:
        """The environment of a ``linli serve`` subprocess on this database (JSON logs, warnings only)."""
        return {
            "LINLI_DATABASE_URL": self.app_url,
            "LINLI_DATABASE_ADMIN_URL": self.admin_url,
            "LINLI_DATA_DIR": str(self.data_dir),
            "LINLI_SECRET_KEY": BENCH_SECRET_KEY,
            "LINLI_MASTER_KEY": BENCH_MASTER_KEY,
            "LINLI_LOG_JSON": "true",
            "LINLI_LOG_LEVEL": "warning",
        }

    async def drop(self) -> None:
        """Drop the PostgreSQL database and role, remove the temporary folder."""
        try:
            if self._drop is not None:
                await self._drop()
                self._drop = None
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


async def bench_firm(runtime: Any, slug: str, *plugins: str, name: str = "基准物业") -> Any:
    """A property firm provisioned on ``runtime`` (admin ``<slug>-admin``), with ``plugins`` enabled;
    returns its tenant id."""
    from kernel.plugins import enablement
    from tenants.lifecycle import provision

    p = await provision(runtime, slug=slug, name=name, admin_username=f"{slug}-admin", admin_password="bench password 1")
    if plugins:
        async with runtime.db.tenant(p.tenant_id) as s:
            for plugin in plugins:
                await enablement.enable(runtime.host, s, p.tenant_id, plugin)
    return p.tenant_id
