"""A real PostgreSQL restart in the middle of work (issue #16). The test starts its own throw-away
cluster (initdb on a free port, as the ``postgres`` user when run as root), migrates Linli into
it, and stops and starts that server while a firm publishes notices:

* every request answers either normally or with the coded DATABASE_UNAVAILABLE — never another
  error, never a 5xx other than 503;
* Linli recovers without a process restart;
* nothing whose commit was acknowledged is lost;
* the outbox delivers every ``notice.published`` event to a subscribed plugin exactly once,
  including those committed just before the server went down.

The proxy-level outage test (tests/test_database_outage.py) stays: it is fast and runs on the
session's database; this one is the real thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.audit import record as audit_record
from kernel.db.outage import is_database_outage
from kernel.sdk import SDK_API_VERSION, PluginManifest, hookimpl
from kernel.testing import (
    POSTGRES_ENV,
    REQUIRE_ENV,
    TestDatabase,
    create_postgres_database,
    eventually,
    missing,
)

pytestmark = pytest.mark.postgres

PROBE_ACTION = "restart_probe.heard"


class RestartProbe:
    """A plugin that records each ``notice.published`` it hears as an audit entry, in the
    delivery's own transaction — so a delivery counted twice would show as two entries."""

    MANIFEST = PluginManifest(name="restart_probe", version="0.1.0", sdk_api=SDK_API_VERSION, description="restart test probe")

    @staticmethod
    async def heard(ctx: Any, event: Any) -> None:
        await audit_record(
            ctx.session, tenant_id=ctx.tenant_id, actor="plugin:restart_probe", action=PROBE_ACTION,
            target=event.payload["notice_id"],
        )

    @staticmethod
    @hookimpl
    def register_event_handlers() -> dict[str, Any]:
        return {"notice.published": RestartProbe.heard}


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A PostgreSQL server of this test's own: ``stop()`` and ``start()`` it at will."""

    data: Path
    port: int
    as_user: list[str]
    pg_ctl: str

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", str(self.data / "db"), "-o", options, "-l", str(self.data / "log"), *args],
            check=True, capture_output=True, timeout=60,
        )

    def start(self) -> None:
        self._ctl("start", "-w")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast", "-w")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not os.environ.get(POSTGRES_ENV):
        if os.environ.get(REQUIRE_ENV):
            missing("postgres", f"{REQUIRE_ENV} is set but {POSTGRES_ENV} is not")
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests")
    if not (initdb and pg_ctl):
        missing("postgres", "initdb and pg_ctl are missing (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="linli-pg-restart-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, initdb, "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
        check=True, capture_output=True, timeout=120,
    )
    made = Cluster(data, _free_port(), as_user, pg_ctl)
    made.start()
    try:
        yield made
    finally:
        with contextlib.suppress(Exception):
            subprocess.run([*as_user, pg_ctl, "-D", str(data / "db"), "stop", "-m", "immediate"], capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


@pytest_asyncio.fixture
async def restart_runtime(cluster: Cluster, tmp_path: Path) -> AsyncIterator[Any]:
    from kernel.db.migrate import upgrade
    from kernel.plugins.host import PluginHost
    from kernel.runtime import Runtime

    app_url, admin_url, _drop = await create_postgres_database(cluster.url)  # the cluster goes with the test
    host = PluginHost()
    host.load(extra=[RestartProbe], entry_points=True)
    await upgrade(admin_url, app_url, host)
    database = TestDatabase("postgres", app_url, admin_url, tmp_path)
    runtime = Runtime.build(database.settings(database_pool_timeout=3), extra_plugins=[RestartProbe])
    try:
        yield runtime
    finally:
        from kernel import notify

        await notify.close(runtime)
        await runtime.db.dispose()


CREATE_COMMUNITY = 'mutation { createCommunity(code: "R1", name: "重启小区") { id } }'
PUBLISH = """mutation($t: ID!, $title: String!) {
  createNotice(input: {targetId: $t, title: $title, body: "停水通知"}, publish: true) { id }
}"""


def _codes(response: Any) -> list[str]:
    body = response.json()
    if "errors" in body:
        return [e.get("extensions", {}).get("code", "UNCODED") for e in body["errors"]]
    if "error" in body:
        return [body["error"].get("code", "UNCODED")]
    return []


async def test_a_postgres_restart_mid_work_loses_nothing_and_delivers_once(
    cluster: Cluster, restart_runtime: Any, gql_factory: Any
) -> None:
    from kernel.sdk.testing import tenant_provisioner
    from kernel.testing import unique_slug

    runtime = restart_runtime
    client = gql_factory(runtime)
    slug = unique_slug("restart")
    provisioned = await tenant_provisioner()(
        runtime, slug=slug, name="重启物业", admin_username=f"{slug}-admin", admin_password="restart-pass-1234"
    )
    token = await client.login(f"{slug}-admin", "restart-pass-1234", slug)
    for plugin in ("notices", "restart_probe"):
        enabled = await client("mutation($n: String!) { enablePlugin(name: $n) { name } }", {"n": plugin}, token=token)
        assert not enabled.get("errors") or "already" in str(enabled["errors"]), enabled
    made = await client(CREATE_COMMUNITY, token=token)
    assert not made.get("errors"), made
    community = made["data"]["createCommunity"]["id"]

    acknowledged: list[str] = []  # notices whose publication the API confirmed
    seen: dict[str, int] = {}  # outcome → count

    async def publish(n: int) -> None:
        response = await client.http.post(
            "/graphql",
            json={"query": PUBLISH, "variables": {"t": community, "title": f"通知{n}"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        codes = _codes(response)
        outcome = ",".join(codes) or "ok"
        seen[outcome] = seen.get(outcome, 0) + 1
        assert response.status_code in (200, 503), (response.status_code, response.text)
        assert set(codes) <= {"DATABASE_UNAVAILABLE"}, response.text
        if not codes:
            acknowledged.append(response.json()["data"]["createNotice"]["id"])

    for n in range(5):  # committed before the restart: their events may still be in the outbox
        await publish(n)
    assert len(acknowledged) == 5

    writer_stop = asyncio.Event()

    async def keep_publishing() -> None:
        n = 100
        while not writer_stop.is_set():
            await publish(n)
            n += 1
            await asyncio.sleep(0.05)

    writer = asyncio.create_task(keep_publishing())
    await asyncio.sleep(0.3)
    await asyncio.to_thread(cluster.stop)  # the server goes away in the middle of the writes
    down = await client.http.post(
        "/graphql", json={"query": "{ communities { edges { node { name } } } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert _codes(down) == ["DATABASE_UNAVAILABLE"] and down.status_code in (200, 503), down.text
    try:  # the worker's drain fails as an outage, and counts no attempt against any message
        await runtime.outbox.drain(provisioned.tenant_id)
    except Exception as exc:  # noqa: BLE001 - the driver's or the pool's, whichever comes first
        assert is_database_outage(exc), repr(exc)
    else:
        raise AssertionError("the outbox drained with the database down")
    await asyncio.sleep(0.5)
    await asyncio.to_thread(cluster.start)  # back on the same port: Linli is not restarted

    async def recovered() -> bool:
        again = await client.http.post(
            "/graphql", json={"query": "{ communities { edges { node { name } } } }"}, headers={"Authorization": f"Bearer {token}"}
        )
        return again.status_code == 200 and not _codes(again)

    await eventually(recovered, within=30, what="requests succeed again after the restart")
    await asyncio.sleep(0.3)
    writer_stop.set()
    await writer
    assert seen.get("DATABASE_UNAVAILABLE", 0) >= 1, seen  # the writer did run into the outage
    assert len(acknowledged) > 5, seen

    # nothing acknowledged is lost
    async with runtime.db.tenant(provisioned.tenant_id) as s:
        from plugins.notices.models import Notice

        titles = set((await s.scalars(select(Notice.title).where(Notice.status == "published"))).all())
        stored = {str(i) for i in (await s.scalars(select(Notice.id))).all()}
    from strawberry import relay

    acknowledged_ids = {relay.GlobalID.from_id(a).node_id for a in acknowledged}
    assert acknowledged_ids <= stored, acknowledged_ids - stored
    assert {f"通知{n}" for n in range(5)} <= titles

    # every published notice's event reaches the probe exactly once
    await eventually(lambda: _drained(runtime, provisioned.tenant_id), within=30, what="the outbox drains")
    async with runtime.db.tenant(provisioned.tenant_id) as s:
        published = {str(i) for i in (await s.scalars(select(Notice.id).where(Notice.status == "published"))).all()}
        heard = dict(
            (
                await s.execute(
                    select(AuditEntry.target, func.count()).where(AuditEntry.action == PROBE_ACTION).group_by(AuditEntry.target)
                )
            ).all()
        )
    assert set(heard) == published, (len(heard), len(published))
    assert set(heard.values()) == {1}, {k: v for k, v in heard.items() if v != 1}
    print(f"postgres restart: {len(published)} notices published, outcomes {seen}")


async def _drained(runtime: Any, tenant_id: uuid.UUID) -> bool:
    await runtime.outbox.drain(tenant_id)
    from kernel.outbox import OutboxMessage

    async with runtime.db.tenant(tenant_id) as s:
        pending = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
    return pending == 0
