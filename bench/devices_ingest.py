"""Sustained device ingestion: N simulated devices over MQTT QoS 1 → Mosquitto (linli_auth) →
the Linli MQTT bridge → PostgreSQL (row-level security on, application role), on this machine,
load generator included. Reports data points/s, p50/p99 publish→stored latency, published vs
stored counts, and the ratio against a raw ``COPY`` of the same rows into a table of the same
shape in the same run.

    LINLI_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python bench/devices_ingest.py --devices 1000 --rate 5 --seconds 30

Each message is ~100 bytes with 3 data points
(``{"ts":…,"values":{"temperature":…,"humidity":…,"pm25":…}}``), so ``--rate 5`` per device
offers 15,000 data points/s from 1,000 devices. The generator runs in its own process(es): by
default ``bench/mqtt_loadgen.c`` (libmosquitto, one thread, epoll), so that the devices cost
little of the machine; ``--generator python`` uses aiomqtt instead. ``--bridges N`` runs N bridge
processes on a shared subscription (as N ``linli worker`` would; latency is the first one's).
The report says where the machine's CPU went (bridges, Mosquitto, PostgreSQL, generator).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kernel.devices.config import DeviceSettings  # noqa: E402
from kernel.process import freeze_startup_heap  # noqa: E402

# ------------------------------------------------------------------------------------------------
# Load generator (own process)
# ------------------------------------------------------------------------------------------------


def generator_main(port: int, tokens: list[str], rate: float, seconds: float, start_at: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import aiomqtt

    published = 0
    failed = 0

    async def one(i: int, token: str, sem: asyncio.Semaphore) -> None:
        nonlocal published, failed
        async with sem:
            client = aiomqtt.Client("127.0.0.1", port, username=token, identifier=f"bench-{token[:8]}", clean_session=True, timeout=30)
            await client.__aenter__()
        inflight = asyncio.Semaphore(20)
        pending: set[asyncio.Future[None]] = set()

        async def send(body: str, slot: asyncio.Semaphore) -> None:
            nonlocal published, failed
            try:
                await client.publish("v1/devices/me/telemetry", body, qos=1)
                published += 1
            except aiomqtt.MqttError:
                failed += 1
            finally:
                slot.release()

        try:
            await asyncio.sleep(max(0.0, start_at - time.time()) + random.random() / rate)
            stop = start_at + seconds
            last_ts = 0
            nxt = time.time()
            while time.time() < stop:
                ts = max(int(time.time() * 1000), last_ts + 1)
                last_ts = ts
                body = (
                    f'{{"ts":{ts},"values":{{"temperature":{random.uniform(15, 30):.2f},'
                    f'"humidity":{random.uniform(30, 70):.2f},"pm25":{random.uniform(5, 80):.1f}}}}}'
                )
                await inflight.acquire()  # like firmware: up to 20 unacknowledged QoS 1 messages
                pending.add(asyncio.ensure_future(send(body, inflight)))
                nxt += 1 / rate
                await asyncio.sleep(max(0.0, nxt - time.time()))
            await asyncio.gather(*pending)
        finally:
            try:
                await client.__aexit__(None, None, None)
            except Exception:
                pass

    async def main() -> None:
        sem = asyncio.Semaphore(100)
        await asyncio.gather(*(one(i, t, sem) for i, t in enumerate(tokens)))

    asyncio.run(main())
    out.put({"published": published, "failed": failed})


def bridge_main(config: dict[str, object], stop: Any, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """One more MQTT bridge in its own process, on the shared subscription (``--bridges N``), as
    a second ``linli worker`` would run it. Reports what it stored when ``stop`` is set."""

    async def main() -> None:
        from kernel.config import Settings
        from kernel.devices.config import DeviceSettings
        from kernel.devices.mqtt import MqttBridge
        from kernel.runtime import Runtime

        settings = Settings(**config["settings"])  # type: ignore[arg-type]
        runtime = Runtime.build(settings, plugins=("tenants.plugin", "plugins.devices"), entry_points=False)
        device_settings = DeviceSettings(**config["device_settings"])  # type: ignore[arg-type]
        runtime.services["device_settings"] = device_settings
        freeze_startup_heap()
        bridge = MqttBridge(runtime, str(config["broker_url"]), device_settings)
        latencies: list[float] = []

        def on_stored(items):  # type: ignore[no-untyped-def]
            now = time.time()
            latencies.extend(now - int(payload[6 : payload.index(b",")]) / 1000 for *_x, payload in items)

        bridge.stored_listeners.append(on_stored)
        task = asyncio.create_task(bridge.run())
        cpu0 = os.times()
        await asyncio.to_thread(stop.wait)  # the parent's multiprocessing.Event
        cpu1 = os.times()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runtime.db.dispose()
        latencies.sort()
        out.put(
            {
                "stored_points": bridge.stats["stored_points"],
                "cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
                "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
            }
        )

    asyncio.run(main())


# ------------------------------------------------------------------------------------------------
# Platform side
# ------------------------------------------------------------------------------------------------


def _proc_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) so far of running processes, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _postgres_pids() -> list[int]:
    """The PostgreSQL server's processes (postmaster, backends, background workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def build_loadgen(workdir: Path) -> Path:
    """Compile the C load generator (``bench/mqtt_loadgen.c``, needs libmosquitto-dev)."""
    import subprocess

    out = workdir / "mqtt_loadgen"
    source = Path(__file__).resolve().parent / "mqtt_loadgen.c"
    subprocess.run(["gcc", "-O2", "-o", str(out), str(source), "-lmosquitto"], check=True)  # noqa: S603,S607
    return out


async def setup(base_url: str, workdir: Path, n_devices: int, batch: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    from kernel.config import Settings
    from kernel.db.migrate import upgrade
    from kernel.devices import registry
    from kernel.devices.config import DeviceSettings
    from kernel.devices.profiles import catalog
    from kernel.plugins.host import PluginHost
    from kernel.runtime import Runtime
    from kernel.testing import create_postgres_database
    from tenants.estate.models import Community
    from tenants.lifecycle import provision

    app_url, admin_url, drop = await create_postgres_database(base_url)
    plugins = ("tenants.plugin", "plugins.devices")  # only what the benchmark needs
    host = PluginHost()
    host.load(defaults=plugins, entry_points=False)
    await upgrade(admin_url, app_url, host)
    settings = Settings(
        database_url=app_url, database_admin_url=admin_url, data_dir=workdir, secret_key="bench-" + "x" * 32,
        master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", log_json=False, log_level="WARNING",
    )
    runtime = Runtime.build(settings, plugins=plugins, entry_points=False)
    runtime.services["device_settings"] = DeviceSettings(
        device_rate_per_second=1000, device_burst=1000, tenant_rate_per_second=1e6, tenant_burst=1e6,
        **({"batch_max_messages": batch[0], "batch_max_wait_ms": batch[1]} if batch else {}),
    )
    p = await provision(runtime, slug=f"bench-{uuid.uuid4().hex[:6]}", name="bench", admin_username=f"bench-{uuid.uuid4().hex[:6]}", admin_password="correct horse battery")
    tokens: list[str] = []
    async with runtime.db.tenant(p.tenant_id) as s:
        community = Community(code="B", name="bench")
        s.add(community)
        await s.flush()
        for i in range(n_devices):
            _, token = await registry.provision(
                s, catalog(runtime), tenant_id=p.tenant_id, name=f"env-{i:04d}", type="environment_sensor",
                place_kind="community", place_id=community.id, community_id=community.id,
            )
            tokens.append(token)
    return runtime, p.tenant_id, tokens, admin_url, drop


async def raw_copy(admin_url: str, rows: list[tuple]) -> float:  # type: ignore[type-arg]
    """Seconds to COPY ``rows`` into a table shaped like ``telemetry`` (same keys and indexes)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(admin_url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database, password=u.password)
    try:
        await conn.execute("DROP TABLE IF EXISTS telemetry_copy")
        await conn.execute("CREATE TABLE telemetry_copy (LIKE telemetry INCLUDING ALL)")
        started = time.perf_counter()
        await conn.copy_records_to_table("telemetry_copy", records=rows, columns=["tenant_id", "device_id", "key", "ts", "num", "text"])
        return time.perf_counter() - started
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    from sqlalchemy import func, select

    from kernel.devices.broker import LocalBroker
    from kernel.devices.models import TelemetryPoint
    from kernel.devices.mqtt import MqttBridge

    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    runtime, tenant_id, tokens, admin_url, drop = await setup(args.postgres, workdir, args.devices, (args.batch_max_messages, args.batch_max_wait_ms))
    freeze_startup_heap()  # as `linli worker` does after start-up
    broker = LocalBroker(workdir / "mosquitto").start()
    ctx = mp.get_context("spawn")
    device_settings = runtime.services["device_settings"]
    extra_bridges: list[Any] = []
    stop_bridges = ctx.Event()
    bridge_reports: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    if args.bridges > 1:  # a shared subscription: the broker deals messages out among the bridges
        shared = {**device_settings.model_dump(), "bridge_share_group": "bench"}
        device_settings = runtime.services["device_settings"] = type(device_settings)(**{**shared, "bridge_client_id": "bench-bridge-0"})
        s = runtime.settings
        base = {"database_url": s.database_url, "database_admin_url": s.database_admin_url, "data_dir": str(s.data_dir),
                "secret_key": s.secret_key, "master_key": s.master_key, "log_json": False, "log_level": "WARNING"}
        for i in range(1, args.bridges):
            config = {"settings": base, "device_settings": {**shared, "bridge_client_id": f"bench-bridge-{i}"}, "broker_url": broker.url}
            extra_bridges.append(ctx.Process(target=bridge_main, args=(config, stop_bridges, bridge_reports)))
        for process in extra_bridges:
            process.start()
    bridge = MqttBridge(runtime, broker.url, device_settings)
    latencies: list[float] = []
    receive_latencies: list[float] = []
    stored_points = 0
    last_stored_at = 0.0

    def on_stored(items):  # type: ignore[no-untyped-def]
        nonlocal stored_points, last_stored_at
        now = time.time()
        for _t, _d, n, received, payload in items:
            stored_points += n
            ts = int(payload[6:payload.index(b",")])  # {"ts":<ms>,...}
            latencies.append(now - ts / 1000)
            receive_latencies.append(received - ts / 1000)
        last_stored_at = now

    bridge.stored_listeners.append(on_stored)
    task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.connected.wait(), 10)
    await asyncio.sleep(3 if extra_bridges else 0)  # the other bridges connect and subscribe
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 2 + args.devices / 500
    shares = [tokens[i :: args.generators] for i in range(args.generators)]
    cpu0 = os.times()
    broker_pid = broker.process.pid if broker.process is not None else 0
    server_cpu0 = {"broker": _proc_cpu_seconds([broker_pid]), "postgres": _proc_cpu_seconds(_postgres_pids())}
    wall0 = time.time()
    if args.generator == "c":
        binary = build_loadgen(workdir)
        procs = []
        for i, share in enumerate(shares):
            path = workdir / f"tokens-{i}.txt"
            path.write_text("\n".join(share) + "\n")
            procs.append(
                await asyncio.create_subprocess_exec(
                    str(binary), str(broker.port), str(path), str(args.rate), str(int(args.seconds)), str(int(start_at * 1000)),
                    stdout=asyncio.subprocess.PIPE,
                )
            )
        reports = [json.loads((await p.communicate())[0]) for p in procs]
    else:
        gens = [ctx.Process(target=generator_main, args=(broker.port, share, args.rate, args.seconds, start_at, out)) for share in shares]
        for g in gens:
            g.start()
        reports = [await asyncio.to_thread(out.get) for _ in gens]
        for g in gens:
            await asyncio.to_thread(g.join)
    report = {
        "published": sum(r["published"] for r in reports),
        "failed": sum(r["failed"] for r in reports),
        "cpu_s": sum(r.get("cpu_s", 0.0) for r in reports),
    }
    expected_points = report["published"] * 3
    deadline = time.time() + args.drain_seconds
    if extra_bridges:  # the other bridges' counts are in their processes: ask the database
        while time.time() < deadline:
            async with runtime.db.tenant(tenant_id) as s:
                if int(await s.scalar(select(func.count()).select_from(TelemetryPoint)) or 0) >= expected_points:
                    break
            await asyncio.sleep(0.25)
        last_stored_at = time.time()
    while stored_points < expected_points and time.time() < deadline and not extra_bridges:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.2)
    cpu1 = os.times()
    wall1 = time.time()
    server_cpu1 = {"broker": _proc_cpu_seconds([broker_pid]), "postgres": _proc_cpu_seconds(_postgres_pids())}
    stop_bridges.set()
    others = [await asyncio.to_thread(bridge_reports.get) for _ in extra_bridges]
    for process in extra_bridges:
        await asyncio.to_thread(process.join)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    async with runtime.db.tenant(tenant_id) as s:
        in_db = int(await s.scalar(select(func.count()).select_from(TelemetryPoint)) or 0)
        rows = [
            (r.tenant_id, r.device_id, r.key, r.ts, r.num, r.text)
            for r in await s.scalars(select(TelemetryPoint))
        ]
    copy_seconds = await raw_copy(admin_url, rows)
    broker.stop()
    await runtime.db.dispose()
    await drop()
    elapsed = max(last_stored_at - start_at, 1e-9)
    latencies.sort()
    receive_latencies.sort()
    result = {
        "devices": args.devices,
        "offered_points_per_s": args.devices * args.rate * 3,
        "seconds": args.seconds,
        "published_messages": report["published"],
        "publish_failures": report["failed"],
        "stored_points_bridge": stored_points,
        "stored_rows_in_db": in_db,
        # not stored when the drain wait ended: still queued in the broker's persistent session
        # for the bridge (not lost) unless the drain wait was long enough
        "not_stored_at_end": expected_points - in_db,
        "points_per_s": round(in_db / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "p99_publish_to_bridge_ms": round(receive_latencies[int(len(receive_latencies) * 0.99) - 1] * 1000, 1) if receive_latencies else None,
        "copy_points_per_s": round(len(rows) / copy_seconds),
        "ratio_vs_copy": round((in_db / elapsed) / (len(rows) / copy_seconds), 3),
        "bridge_process_cpu_s": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 1),
        # where the machine's CPU went over the run (2 cores = 2 CPU-seconds per second)
        "cpu_share_of_machine": _cpu_shares(
            wall1 - wall0,
            {
                "bridges": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system) + sum(o["cpu_s"] for o in others),
                "mosquitto": server_cpu1["broker"] - server_cpu0["broker"],
                "postgres": server_cpu1["postgres"] - server_cpu0["postgres"],
                "load_generator": report["cpu_s"],
            },
        ),
        "bridges": args.bridges,
        "other_bridges": others,
        "batches": _batch_stats(),
        "bridge_dropped": {k: v for k, v in bridge.stats.items() if k.startswith("dropped")},
    }
    return result


async def run_direct(args: argparse.Namespace) -> dict[str, object]:
    """The store path alone (no broker, no load generator): synthetic ~100-byte messages handed
    to the bridge's ``process`` in batches, as after an MQTT receive; then the same rows by COPY."""
    from sqlalchemy import func, select

    from kernel.devices.models import TelemetryPoint
    from kernel.devices.mqtt import MqttBridge, _Inbound
    from kernel.identity.tokens import digest

    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    runtime, tenant_id, tokens, admin_url, drop = await setup(args.postgres, workdir, args.devices, (args.batch_max_messages, args.batch_max_wait_ms))
    freeze_startup_heap()  # as `linli worker` does after start-up
    bridge = MqttBridge(runtime, "mqtt://x:y@127.0.0.1:1", runtime.services["device_settings"])
    digests = [digest(t) for t in tokens]
    total = int(args.devices * args.rate * args.seconds)
    base = int(time.time() * 1000) - total
    batch_size = runtime.services["device_settings"].batch_max_messages
    started = time.perf_counter()
    cpu0 = os.times()
    for start in range(0, total, batch_size):
        batch = []
        for i in range(start, min(start + batch_size, total)):
            body = (
                f'{{"ts":{base + i},"values":{{"temperature":{random.uniform(15, 30):.2f},'
                f'"humidity":{random.uniform(30, 70):.2f},"pm25":{random.uniform(5, 80):.1f}}}}}'
            ).encode()
            batch.append(_Inbound(None, 0, 0, digests[i % len(digests)], "telemetry", None, body, time.time()))
        await bridge.process(batch)
    elapsed = time.perf_counter() - started
    cpu1 = os.times()
    async with runtime.db.tenant(tenant_id) as s:
        in_db = int(await s.scalar(select(func.count()).select_from(TelemetryPoint)) or 0)
        rows = [(r.tenant_id, r.device_id, r.key, r.ts, r.num, r.text) for r in await s.scalars(select(TelemetryPoint))]
    copy_seconds = await raw_copy(admin_url, rows)
    await runtime.db.dispose()
    await drop()
    return {
        "mode": "direct (store path only)",
        "messages": total,
        "stored_rows_in_db": in_db,
        "lost_points": total * 3 - in_db,
        "points_per_s": round(in_db / elapsed),
        "copy_points_per_s": round(len(rows) / copy_seconds),
        "ratio_vs_copy": round((in_db / elapsed) / (len(rows) / copy_seconds), 3),
        "process_cpu_s_per_1000_points": round(((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / in_db * 1000, 3),
        "batches": _batch_stats(),
    }


def _cpu_shares(wall: float, used: dict[str, float]) -> dict[str, object]:
    capacity = wall * (os.cpu_count() or 1)
    shares: dict[str, object] = {name: f"{seconds / capacity:.0%}" for name, seconds in used.items()}
    shares["total"] = f"{sum(used.values()) / capacity:.0%}"
    shares["wall_s"] = round(wall, 1)
    return shares


def _batch_stats() -> dict[str, float]:
    from kernel.metrics import registry

    values = {s.name: s.value for m in registry.collect() if m.name == "linli_device_batch_seconds" for s in m.samples if s.labels.get("transport") == "mqtt"}
    count = values.get("linli_device_batch_seconds_count", 0)
    return {"count": count, "mean_ms": round(values.get("linli_device_batch_seconds_sum", 0) / count * 1000, 1) if count else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second per device")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--generators", type=int, default=1, help="load-generator processes")
    parser.add_argument("--bridges", type=int, default=1, help="bridge processes on a shared subscription (latency: the first one's)")
    parser.add_argument("--drain-seconds", type=float, default=300, help="how long to wait for the backlog after publishing ends")
    parser.add_argument("--generator", choices=("c", "python"), default="c", help="C (libmosquitto, epoll) or Python (aiomqtt) devices")
    parser.add_argument(
        "--postgres", default=os.environ.get("LINLI_BENCH_POSTGRES_URL") or os.environ.get("LINLI_TEST_POSTGRES_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    defaults = DeviceSettings.model_fields
    parser.add_argument("--batch-max-messages", type=int, default=defaults["batch_max_messages"].default, help="the bridge's batch size (LINLI_DEVICES_BATCH_MAX_MESSAGES)")
    parser.add_argument("--batch-max-wait-ms", type=int, default=defaults["batch_max_wait_ms"].default, help="LINLI_DEVICES_BATCH_MAX_WAIT_MS")
    parser.add_argument("--direct", action="store_true", help="measure the store path alone (no broker, no generator)")
    args = parser.parse_args()
    result = asyncio.run(run_direct(args) if args.direct else run(args))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
