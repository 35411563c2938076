"""Issue 10: a notice to the 1,000 residents of a demo-sized community — time until every inbox
has it, and e-mails delivered per second to a local SMTP server.

Run from the repository root, in the venv::

    python -m bench.notify_fanout [--residents 1000] [--rounds 3] [--smtp-processes 2] [--postgres postgresql+asyncpg://…] [--write-docs]

Creates a fresh PostgreSQL database and application role (row-level security on, as in
production), provisions a tenant, and seeds one community of ``--residents`` units in 10
buildings, each with a resident whose login is linked to their register person. Then, per round:

* **inbox** — staff publish a community notice through the notices plugin
  (``plugins.notices.service.publish``: the ``notice.published`` event in the outbox); the clock
  runs from that commit until every resident's inbox row exists, while the outbox worker drains
  (the event handler resolves the audience and calls ``sdk.notify``). Baseline, same run: one
  multi-row ``INSERT`` of the same number of ``notifications`` rows (the raw cost of the rows
  themselves, no audience, no rendering, no outbox);
* **e-mail** — ``sdk.notify`` to ``--residents`` e-mail addresses, then the outbox worker
  delivers through the e-mail channel to an aiosmtpd server (``--smtp-processes`` processes
  sharing the port, apart from the benchmark's); the clock runs
  from the commit until the server has received the last message. (Logins carry no e-mail field
  yet, so the residents' addresses are given as raw contacts: the same channel, outbox and
  delivery log.) Baseline, same run: the same number of messages sent straight over one
  aiosmtplib connection to the same server (no database, no outbox).

Targets: every inbox within 5 s; at least 200 e-mails/s. Prints the figures and the ratios to
the baselines; ``--write-docs`` records them in docs/benchmarks.md. Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any

from bench.common import (
    console,
    free_port,
    machine_description,
    markdown_table,
    results_table,
    write_docs_section,
)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
INBOX_TARGET_S = 5.0
EMAIL_TARGET_PER_S = 200.0

#: The SMTP server's process: aiosmtpd, printing one line per message received.
SMTP_SERVER = """
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Count:
    async def handle_DATA(self, server, session, envelope):
        sys.stdout.write("m\\n"); sys.stdout.flush()
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Count(), hostname="bench"), "127.0.0.1", int(sys.argv[1]), reuse_port=True)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    await server.serve_forever()

asyncio.run(main())
"""


class SmtpServer:
    """aiosmtpd in ``processes`` child processes sharing one port (``SO_REUSEPORT``: the kernel
    spreads connections over them), counting messages as they arrive."""

    def __init__(self, processes: int = 1) -> None:
        self.port = free_port()
        self.processes = processes
        self.received = 0
        self._procs: list[asyncio.subprocess.Process] = []
        self._readers: list[asyncio.Task[None]] = []
        self._waiters: list[tuple[int, asyncio.Future[float]]] = []

    async def __aenter__(self) -> SmtpServer:
        for _ in range(self.processes):
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SMTP_SERVER, str(self.port), stdout=asyncio.subprocess.PIPE)
            assert proc.stdout is not None
            assert (await proc.stdout.readline()).strip() == b"ready"
            self._procs.append(proc)
            self._readers.append(asyncio.create_task(self._read(proc)))
        return self

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            if line.strip() == b"m":
                self.received += 1
                for count, fut in list(self._waiters):
                    if self.received >= count and not fut.done():
                        fut.set_result(time.perf_counter())

    def until(self, count: int) -> asyncio.Future[float]:
        """A future resolved with the time the ``count``-th message (in total) arrived."""
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, fut))
        if self.received >= count:
            fut.set_result(time.perf_counter())
        return fut

    async def __aexit__(self, *exc: Any) -> None:
        for proc in self._procs:
            if proc.returncode is None:
                proc.terminate()  # our own children, by their handles
                await proc.wait()
        for reader in self._readers:
            reader.cancel()


async def seed(runtime: Any, tenant_id: uuid.UUID, residents: int) -> uuid.UUID:
    """One community, 10 buildings, ``residents`` units, each with a resident login linked to
    its register person (bulk inserts: this is set-up, not what is measured)."""
    from sqlalchemy import insert, text

    from kernel.identity.authz import role_subject, subject_for
    from kernel.identity.models import Account, PolicyRule
    from kernel.identity.passwords import hash_password
    from tenants.estate import models as m

    password_hash = hash_password("bench resident password")
    accounts = [uuid.uuid4() for _ in range(residents)]
    async with runtime.db.tenant(tenant_id) as s:
        # a firm's logins are tenant rows (row-level security): written in the firm's scope
        await s.execute(
            insert(Account),
            [{"tenant_id": tenant_id, "id": a, "username": f"bench-resident-{i:05d}", "display_name": f"住户{i}", "password_hash": password_hash} for i, a in enumerate(accounts)],
        )
        community = m.Community(id=uuid.uuid4(), code="BENCH", name="基准社区")
        compound = m.Compound(id=uuid.uuid4(), community_id=community.id, name="一期")
        s.add(community)
        await s.flush()
        s.add(compound)
        await s.flush()
        buildings = [m.Building(id=uuid.uuid4(), compound_id=compound.id, community_id=community.id, name=f"{b + 1}幢", floors=30) for b in range(10)]
        s.add_all(buildings)
        await s.flush()
        units, persons, residencies, rules = [], [], [], []
        for i, account in enumerate(accounts):
            unit, person = uuid.uuid4(), uuid.uuid4()
            building = buildings[i % 10]
            units.append({"tenant_id": tenant_id, "id": unit, "building_id": building.id, "community_id": community.id, "number": f"{i // 10 + 101}", "floor": i // 40 + 1, "registered_area": 8900, "area_source": "registered", "use": "residential", "sold": True})
            persons.append({"tenant_id": tenant_id, "id": person, "kind": "natural", "name": f"住户{i}", "account_id": account})
            residencies.append({"tenant_id": tenant_id, "id": uuid.uuid4(), "unit_id": unit, "person_id": person, "kind": "owner"})
            rules.append({"tenant_id": tenant_id, "id": uuid.uuid4(), "ptype": "g", "v0": subject_for(account), "v1": role_subject("resident"), "v2": "", "source": "tenant"})
        await s.execute(insert(m.Unit), units)
        await s.execute(insert(m.Person), persons)
        await s.execute(insert(m.Residency), residencies)
        await s.execute(insert(PolicyRule), rules)
    # fresh tables have no statistics yet (autovacuum gathers them within a minute); ANALYZE needs
    # the owner, not the application role
    from sqlalchemy.ext.asyncio import create_async_engine

    owner = create_async_engine(runtime.settings.database_admin_url)
    async with owner.begin() as conn:
        for table in ("accounts", "units", "persons", "residencies", "ownerships", "policy_rules"):
            await conn.execute(text(f"ANALYZE {table}"))
    await owner.dispose()
    return community.id


async def drain_until(runtime: Any, tenant_id: uuid.UUID, done: Any) -> None:
    """Run the outbox worker's drain until ``done()`` says so (as ``linli worker`` would)."""
    while not await done():
        await runtime.outbox.drain(tenant_id)


async def inbox_round(runtime: Any, tenant_id: uuid.UUID, community_id: uuid.UUID, residents: int, n: int) -> float:
    from sqlalchemy import func, select

    from kernel.notifications import Notification
    from plugins.notices import service as notices

    async with runtime.db.tenant(tenant_id) as s:
        notice = await notices.create_notice(s, scope="community", target_id=community_id, title=f"第{n}次停水通知", body="明日9:00–12:00停水检修。")
        await notices.publish(s, runtime, tenant_id, notice.id, actor="bench")
        key_prefix = f"notice:{notice.id}:published:"
    start = time.perf_counter()

    async def all_there() -> bool:
        async with runtime.db.tenant(tenant_id) as s:
            got = await s.scalar(select(func.count()).select_from(Notification).where(Notification.key.like(key_prefix + "%"), Notification.in_inbox.is_(True)))
        return int(got or 0) >= residents

    await drain_until(runtime, tenant_id, all_there)
    return time.perf_counter() - start


async def inbox_baseline(runtime: Any, tenant_id: uuid.UUID, residents: int, n: int) -> float:
    from sqlalchemy import insert

    from kernel.notifications import Notification

    rows = [
        {"tenant_id": tenant_id, "id": uuid.uuid4(), "recipient": f"account:{uuid.uuid4()}", "account_id": None, "key": f"baseline:{n}", "template": "notices.published",
         "category": "notices", "urgency": "normal", "locale": "zh-CN", "subject": f"物业通知：第{n}次停水通知", "body": "物业发布了新通知。", "data": {"title": "x"}, "in_inbox": False}
        for _ in range(residents)
    ]
    start = time.perf_counter()
    async with runtime.db.tenant(tenant_id) as s:
        await s.execute(insert(Notification), rows)
    return time.perf_counter() - start


async def email_round(runtime: Any, tenant_id: uuid.UUID, smtp: SmtpServer, residents: int, n: int) -> float:
    from kernel.sdk import Recipient, notify

    recipients = [Recipient(email=f"resident{i:05d}@bench.test") for i in range(residents)]
    arrived = smtp.until(smtp.received + residents)
    async with runtime.db.tenant(tenant_id) as s:
        await notify(s, tenant_id=tenant_id, recipients=recipients, template="notices.published", data={"title": f"第{n}次停水通知"}, key=f"bench:email:{n}")
    start = time.perf_counter()

    async def all_sent() -> bool:
        return arrived.done()

    await drain_until(runtime, tenant_id, all_sent)
    return arrived.result() - start


async def email_baseline(smtp: SmtpServer, residents: int) -> float:
    from email.message import EmailMessage

    import aiosmtplib

    arrived = smtp.until(smtp.received + residents)
    start = time.perf_counter()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp.port)
    await client.connect()
    for i in range(residents):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "noreply@bench.test", f"resident{i:05d}@bench.test", "物业通知：停水"
        mail.set_content("物业发布了新通知《停水》，请在“通知公告”中查看全文。")
        await client.send_message(mail)
    await client.quit()
    return await arrived - start


async def main(residents: int, rounds: int, pg_url: str, write_docs: bool, smtp_processes: int) -> None:
    from kernel.config import Settings
    from kernel.db.migrate import upgrade
    from kernel.plugins.host import PluginHost
    from kernel.runtime import Runtime
    from kernel.testing import create_postgres_database
    from tenants.lifecycle import provision

    app_url, admin_url, drop = await create_postgres_database(pg_url)
    runtime = None
    try:
        host = PluginHost()
        host.load(entry_points=False)
        await upgrade(admin_url, app_url, host)
        async with SmtpServer(smtp_processes) as smtp:
            runtime = Runtime.build(
                Settings(
                    database_url=app_url, database_admin_url=admin_url, secret_key="bench-" + "x" * 32,
                    master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", log_json=False, log_level="WARNING",
                    smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="基准物业 <noreply@bench.test>",
                ),
                entry_points=False,
            )
            p = await provision(runtime, slug="bench-notify", name="基准物业", admin_username="bench-notify-admin", admin_password="bench password 1")
            tid = p.tenant_id
            t0 = time.perf_counter()
            community_id = await seed(runtime, tid, residents)
            console.print(f"seeded {residents} residents in {time.perf_counter() - t0:.1f} s")
            inbox, inbox_base, email, email_base = [], [], [], []
            for r in range(1, rounds + 1):
                inbox.append(await inbox_round(runtime, tid, community_id, residents, r))
                inbox_base.append(await inbox_baseline(runtime, tid, residents, r))
                email.append(await email_round(runtime, tid, smtp, residents, r))
                email_base.append(await email_baseline(smtp, residents))
                console.print(
                    f"round {r}: every inbox {inbox[-1]:.3f} s (raw INSERT {inbox_base[-1]:.3f} s); "
                    f"e-mails {residents / email[-1]:,.0f}/s (raw SMTP {residents / email_base[-1]:,.0f}/s)"
                )
        load1 = os.getloadavg()[0]
        best_inbox, best_inbox_base = min(inbox), min(inbox_base)
        best_email, best_email_base = min(email), min(email_base)
        rate, rate_base = residents / best_email, residents / best_email_base
        rows = [
            ("notice → every inbox (notices plugin, event, sdk.notify)", f"{best_inbox:.3f}", f"{residents / best_inbox:,.0f}"),
            ("baseline: one multi-row INSERT of the rows", f"{best_inbox_base:.3f}", f"{residents / best_inbox_base:,.0f}"),
            ("sdk.notify → e-mails received (outbox, e-mail channel)", f"{best_email:.3f}", f"{rate:,.0f}"),
            ("baseline: raw aiosmtplib, one connection", f"{best_email_base:.3f}", f"{rate_base:,.0f}"),
        ]
        cols = ["path", f"seconds (best of {rounds})", "per second"]
        console.print(results_table(f"Notification fan-out to {residents:,} residents, PostgreSQL", cols, rows))
        inbox_ok = "meets" if best_inbox <= INBOX_TARGET_S else "misses"
        email_ok = "meets" if rate >= EMAIL_TARGET_PER_S else "misses"
        console.print(
            f"every inbox in {best_inbox:.2f} s ({inbox_ok} ≤ {INBOX_TARGET_S:.0f} s; {best_inbox / best_inbox_base:.1f}× the raw INSERT); "
            f"{rate:,.0f} e-mails/s ({email_ok} ≥ {EMAIL_TARGET_PER_S:.0f}/s; {rate / rate_base:.2f} of raw SMTP)"
        )
        bound_note = (
            f" On this run the raw client itself reached only {rate_base:,.0f} e-mails/s against the same server:"
            " the loaded machine bounds both figures, and the ratio to the raw client is the comparable one;"
            " whether 200/s is reached on an idle machine was not measured."
            if rate < EMAIL_TARGET_PER_S and rate_base < EMAIL_TARGET_PER_S
            else ""
        )
        if write_docs:
            write_docs_section(
                "notify_fanout",
                f"""## Notifications: a notice to {residents:,} residents (issue 10)

`python -m bench.notify_fanout --residents {residents} --rounds {rounds} --smtp-processes {smtp_processes} --write-docs` — {machine_description()}

PostgreSQL through the application role with row-level security; one community of {residents:,}
units, each with a resident login linked to its register person. **Inbox**: from the commit of
`publish` (notices plugin) until every resident's inbox row exists, the outbox worker draining
(event → audience → `sdk.notify`). **E-mail**: from the commit of one `sdk.notify` to
{residents:,} addresses until an aiosmtpd server ({smtp_processes} processes sharing the port) has received
the last message, the outbox worker delivering through the e-mail channel (batches of 100 messages per
transaction, 8 concurrent sends over pooled SMTP connections, each outcome logged). Baselines measured in the same run: a multi-row
`INSERT` of {residents:,} `notifications` rows; {residents:,} messages sent straight over one
aiosmtplib connection. Load average during the run: {load1:.1f} on the shared machine.

{markdown_table(cols, rows)}

Every inbox: **{best_inbox:.2f} s** (target ≤ {INBOX_TARGET_S:.0f} s: {inbox_ok}; {best_inbox / best_inbox_base:.1f}× the raw
insert). E-mail: **{rate:,.0f}/s** (target ≥ {EMAIL_TARGET_PER_S:.0f}/s: {email_ok}; {rate / rate_base:.2f} of raw SMTP
throughput).{bound_note}
""",
            )
    finally:
        if runtime is not None:
            from kernel.notifications import email as email_channel

            await email_channel.sender(runtime).close()
            await runtime.db.dispose()
        await drop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("LINLI_TEST_POSTGRES_URL", DEFAULT_PG))
    ap.add_argument("--smtp-processes", type=int, default=2, help="aiosmtpd processes sharing the port")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    asyncio.run(main(args.residents, args.rounds, args.postgres, args.write_docs, args.smtp_processes))
