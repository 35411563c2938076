"""Safety alarm → work order + notification latency (issue 12, "Measured"): N devices send
telemetry over MQTT QoS 1 (the C load generator, ``bench/mqtt_loadgen.c``: environment sensors
at ``--rate`` messages/s each) while perimeter sensors raise **one critical event per second**
(``{"intrusion": true}``, each from another sensor) → Mosquitto (linli_auth) → the MQTT bridge
→ PostgreSQL (row-level security on, application role) → the outbox worker's express lane (the
device event is delivered right after the ingest's commit, not on the next poll): the safety
plugin raises the alarm, opens its work order (the workorders plugin's service), notifies the
on-duty person (escalation level 1), all in one transaction.

Reported per critical event, from the publish (the message's ``ts``) to

* **notified**: the safety alarm and its notification committed (heard on the safety plugin's
  live hub, which PostgreSQL ``NOTIFY`` delivers only after the commit);
* **work order**: the work order committed (heard on the workorders live hub);
* **end-to-end** = the later of the two — the issue's "work order committed and notification
  recorded" (target p99 ≤ 200 ms);

and, as the baseline measured in the same run, plain telemetry publish → stored (the bridge's
commit) of the environment sensors' messages. Everything runs on this machine: generator,
broker, bridge, outbox worker and PostgreSQL.

    python -m bench.alarm_latency --devices 200 --rate 5 --seconds 60 [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, machine_description, markdown_table, percentile, write_docs_section  # noqa: E402

PLUGINS = (
    "tenants.plugin",
    "kernel.notifications.plugin",
    "plugins.devices",
    "plugins.workorders",
    "plugins.safety",
)


async def setup(base_url: str, workdir: Path, n_devices: int, n_alarm_devices: int):  # type: ignore[no-untyped-def]
    from kernel.config import Settings
    from kernel.db.migrate import upgrade
    from kernel.devices import registry
    from kernel.devices.config import DeviceSettings
    from kernel.devices.profiles import catalog
    from kernel.plugins.enablement import enable
    from kernel.plugins.host import PluginHost
    from kernel.runtime import Runtime
    from kernel.testing import add_member, create_postgres_database
    from tenants.estate.models import Community
    from tenants.lifecycle import provision

    app_url, admin_url, drop = await create_postgres_database(base_url)
    host = PluginHost()
    host.load(defaults=PLUGINS, entry_points=False)
    await upgrade(admin_url, app_url, host)
    settings = Settings(
        database_url=app_url,
        database_admin_url=admin_url,
        data_dir=workdir,
        secret_key="bench-" + "x" * 32,
        master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        log_json=False,
        log_level="WARNING",
    )
    runtime = Runtime.build(settings, plugins=PLUGINS, entry_points=False)
    runtime.services["device_settings"] = DeviceSettings(
        device_rate_per_second=1000, device_burst=1000, tenant_rate_per_second=1e6, tenant_burst=1e6
    )
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    p = await provision(
        runtime,
        slug=slug,
        name="bench",
        admin_username=f"{slug}-admin",
        admin_password="correct horse battery",
    )
    telemetry_tokens: list[str] = []
    alarm_tokens: list[str] = []
    async with runtime.db.tenant(p.tenant_id) as s:
        for plugin in ("workorders", "safety"):
            await enable(runtime.host, s, p.tenant_id, plugin)
        community = Community(code="B", name="bench")
        s.add(community)
        await s.flush()
        for i in range(n_devices):
            _, token = await registry.provision(
                s,
                catalog(runtime),
                tenant_id=p.tenant_id,
                name=f"env-{i:04d}",
                type="environment_sensor",
                place_kind="community",
                place_id=community.id,
                community_id=community.id,
            )
            telemetry_tokens.append(token)
        for i in range(n_alarm_devices):
            _, token = await registry.provision(
                s,
                catalog(runtime),
                tenant_id=p.tenant_id,
                name=f"fence-{i:04d}",
                type="perimeter_sensor",
                place_kind="community",
                place_id=community.id,
                community_id=community.id,
            )
            alarm_tokens.append(token)
    # the on-duty person (no roster: the property-staff fallback of level 1)
    await add_member(
        runtime, p.tenant_id, f"{slug}-guard", "correct horse battery", "property_staff"
    )
    return runtime, p.tenant_id, telemetry_tokens, alarm_tokens, drop


async def critical_events(port: int, tokens: list[str], start_at: float, seconds: float) -> int:
    """One ``intrusion`` per second, each from the next perimeter sensor (so each is a new alarm)."""
    import aiomqtt

    clients = [
        aiomqtt.Client("127.0.0.1", port, username=t, identifier=f"fence-{t[:8]}", timeout=30)
        for t in tokens
    ]
    for c in clients:
        await c.__aenter__()
    sent = 0
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        for i in range(int(seconds)):
            ts = int(time.time() * 1000)
            body = json.dumps({"ts": ts, "values": {"intrusion": True, "zone": f"Z{i % 8}"}})
            await clients[i % len(clients)].publish("v1/devices/me/telemetry", body, qos=1)
            sent += 1
            await asyncio.sleep(max(0.0, start_at + i + 1 - time.time()))
    finally:
        for c in clients:
            await c.__aexit__(None, None, None)
    return sent


def _ms(values: list[float], q: float) -> float | None:
    return round(percentile(sorted(values), q) * 1000, 1) if values else None


def _ratio(values: list[float], baseline: list[float], q: float) -> float | None:
    if not values or not baseline:
        return None
    return round(percentile(sorted(values), q) / percentile(sorted(baseline), q), 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bench.devices_ingest import build_loadgen
    from kernel.devices.broker import LocalBroker
    from kernel.devices.mqtt import MqttBridge
    from kernel.notifications.models import Notification
    from plugins.safety import live as safety_live
    from plugins.safety.models import SafetyAlarm
    from plugins.workorders import live as workorder_live

    load0 = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-alarm-"))
    seconds = args.seconds
    runtime, tenant_id, telemetry_tokens, alarm_tokens, drop = await setup(
        args.postgres, workdir, args.devices, max(int(seconds), 1)
    )
    broker = LocalBroker(workdir / "mosquitto").start()
    bridge = MqttBridge(runtime, broker.url, runtime.services["device_settings"])
    telemetry_latencies: list[float] = []

    def on_stored(items):  # type: ignore[no-untyped-def]
        now = time.time()
        for _t, _d, _n, _received, payload in items:
            if b"temperature" in payload:  # the environment sensors' plain telemetry
                ts = int(payload[6 : payload.index(b",")])
                telemetry_latencies.append(now - ts / 1000)

    bridge.stored_listeners.append(on_stored)
    notified_at: dict[str, float] = {}
    ordered_at: dict[str, float] = {}

    async def listen(hub: Any, record: dict[str, float], key: str, event_type: str) -> None:
        async with hub.subscribe(tenant_id) as queue:
            while True:
                change = await queue.get()
                if change.type == event_type:
                    record.setdefault(getattr(change, key), time.time())

    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(bridge.run()),
        asyncio.create_task(runtime.outbox.run(stop, interval=0.5)),
        asyncio.create_task(
            listen(safety_live.hub(runtime), notified_at, "alarm_id", "safety.alarm_raised")
        ),
        asyncio.create_task(
            listen(workorder_live.hub(runtime), ordered_at, "work_order_id", "workorder.reported")
        ),
    ]
    await asyncio.wait_for(bridge.connected.wait(), 10)
    await asyncio.sleep(1.0)  # the hubs LISTEN
    start_at = time.time() + 2 + args.devices / 500
    binary = build_loadgen(workdir)
    tokens_file = workdir / "tokens.txt"
    tokens_file.write_text("\n".join(telemetry_tokens) + "\n")
    generator = await asyncio.create_subprocess_exec(
        str(binary),
        str(broker.port),
        str(tokens_file),
        str(args.rate),
        str(int(seconds)),
        str(int(start_at * 1000)),
        stdout=asyncio.subprocess.PIPE,
    )
    sent = await critical_events(broker.port, alarm_tokens, start_at, seconds)
    report = json.loads((await generator.communicate())[0])
    load1 = os.getloadavg()
    deadline = time.time() + args.drain_seconds
    while time.time() < deadline and len(ordered_at) < sent:  # noqa: ASYNC110 - polling a counter
        await asyncio.sleep(0.2)
    while True:  # the orders are linked back to their alarms by one more event
        async with runtime.db.tenant(tenant_id) as s:
            alarms = list(await s.scalars(select(SafetyAlarm)))
        if all(a.work_order_id for a in alarms) or time.time() > deadline:
            break
        await asyncio.sleep(0.2)
    async with runtime.db.tenant(tenant_id) as s:
        notes = int(
            await s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.template == "safety.alarm")
            )
            or 0
        )
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    broker.stop()
    await runtime.db.dispose()
    await drop()
    notified, ordered, end_to_end = [], [], []
    for a in alarms:
        published = int(a.details.get("ts", 0)) / 1000
        n = notified_at.get(str(a.id))
        w = ordered_at.get(str(a.work_order_id)) if a.work_order_id else None
        if n is not None:
            notified.append(n - published)
        if w is not None:
            ordered.append(w - published)
        if n is not None and w is not None:
            end_to_end.append(max(n, w) - published)
    return {
        "telemetry_devices": args.devices,
        "rate_per_device": args.rate,
        "offered_messages_per_s": args.devices * args.rate + 1,
        "seconds": seconds,
        "telemetry_published": report.get("published"),
        "telemetry_stored": len(telemetry_latencies),
        "critical_events_sent": sent,
        "alarms_raised": len(alarms),
        "alarms_with_work_order": sum(1 for a in alarms if a.work_order_id),
        "notifications_recorded": notes,
        "complete_end_to_end": len(end_to_end),
        "baseline_telemetry_p50_ms": _ms(telemetry_latencies, 50),
        "baseline_telemetry_p99_ms": _ms(telemetry_latencies, 99),
        "notified_p50_ms": _ms(notified, 50),
        "notified_p99_ms": _ms(notified, 99),
        "work_order_p50_ms": _ms(ordered, 50),
        "work_order_p99_ms": _ms(ordered, 99),
        "end_to_end_p50_ms": _ms(end_to_end, 50),
        "end_to_end_p99_ms": _ms(end_to_end, 99),
        "end_to_end_max_ms": round(max(end_to_end) * 1000, 1) if end_to_end else None,
        "end_to_end_mean_ms": round(statistics.mean(end_to_end) * 1000, 1) if end_to_end else None,
        # the same run's telemetry baseline as the yardstick (the machine is shared)
        "end_to_end_p50_over_baseline": _ratio(end_to_end, telemetry_latencies, 50),
        "end_to_end_p99_over_baseline": _ratio(end_to_end, telemetry_latencies, 99),
        "loadavg_before": [round(x, 2) for x in load0],
        "loadavg_after": [round(x, 2) for x in load1],
    }


def docs_body(result: dict[str, Any], command: str) -> str:
    rows = [
        (
            "baseline: telemetry publish → stored",
            result["telemetry_stored"],
            result["baseline_telemetry_p50_ms"],
            result["baseline_telemetry_p99_ms"],
        ),
        (
            "critical event → alarm + on-duty notification committed",
            result["alarms_raised"],
            result["notified_p50_ms"],
            result["notified_p99_ms"],
        ),
        (
            "critical event → work order committed",
            result["alarms_with_work_order"],
            result["work_order_p50_ms"],
            result["work_order_p99_ms"],
        ),
        (
            "**end-to-end** (both committed)",
            result["complete_end_to_end"],
            result["end_to_end_p50_ms"],
            result["end_to_end_p99_ms"],
        ),
    ]
    table = markdown_table(("path", "n", "p50 ms", "p99 ms"), rows)
    return f"""## Safety alarm → work order + notification (issue 12)

`bench/alarm_latency.py`: {result["telemetry_devices"]} environment sensors send telemetry over MQTT
QoS 1 at {result["rate_per_device"]} messages/s each (the C load generator) while perimeter sensors
raise one **critical** event per second ({result["critical_events_sent"]} events in
{result["seconds"]:.0f} s) → Mosquitto → the MQTT bridge → PostgreSQL (RLS on) → the outbox's
express lane: the safety plugin raises the alarm, opens its work order and notifies the on-duty
person through the escalation, in one transaction. Times from the publish (the message's `ts`)
to the commit, heard on the plugins' live hubs (PostgreSQL `NOTIFY`, sent only on commit). The
baseline is plain telemetry publish → stored in the same run.

{table}

Alarms raised {result["alarms_raised"]}, with their work order {result["alarms_with_work_order"]},
notifications recorded {result["notifications_recorded"]}; end-to-end max
{result["end_to_end_max_ms"]} ms; end to end ÷ the same run's baseline: p50
{result["end_to_end_p50_over_baseline"]}, p99 {result["end_to_end_p99_over_baseline"]}. Target
(issue): p99 ≤ 200 ms. An alarm costs one outbox hop over the telemetry baseline: the handoff to the
express lane after the ingest's commit, then one tenant transaction that claims the message, runs
the handler (alarm, work order, escalation level 1, notification) and commits, and the `NOTIFY`.

Machine: {machine_description()}; load average (1, 5, 15 min) before {result["loadavg_before"]},
at the end of publishing {result["loadavg_after"]} — the machine is shared with other sessions.
Scaled to what it allows: the issue's 1,000 devices at 5 Hz is 5,000 messages/s, well over
what this 2-core machine ingests next to everything else (see "Device ingestion" above).

```
{command}
```
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--devices", type=int, default=200, help="telemetry devices (environment sensors)"
    )
    parser.add_argument(
        "--rate", type=float, default=5.0, help="telemetry messages per second per device"
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="how long; one critical event per second"
    )
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LINLI_BENCH_POSTGRES_URL")
        or os.environ.get("LINLI_TEST_POSTGRES_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="replace this benchmark's section of docs/benchmarks.md",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.write_docs:
        command = "python -m bench.alarm_latency " + " ".join(
            a for a in sys.argv[1:] if a != "--write-docs"
        )
        write_docs_section("alarm_latency", docs_body(result, command))
        print(f"written to {REPO / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
