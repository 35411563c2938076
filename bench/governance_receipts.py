"""Issue 5: time from vote submission to a verifiable receipt, with N concurrent voters.

N owners (one unit each) send ``castVote`` through ``/graphql`` of the real app (in process, ASGI) at the
same moment; the outbox worker and the relayer run as in ``linli serve``. A vote's receipt is *verifiable*
when its relayed transaction is mined and recorded (``myVote.status = confirmed``, a tx hash and block), so
``verifyVoteReceipt`` finds it in the contract; the latency is from the moment the request was sent to the
moment a poller sees the record. At the end every receipt is checked with ``verifyVoteReceipt`` (on chain,
matching choice). Runs on anvil (started here) and on the embedded EVM; a fresh PostgreSQL database (RLS on,
application role) when a server URL is given, else a fresh SQLite file.

    LINLI_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.governance_receipts --voters 200 [--chain anvil|embedded|both] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    console,
    machine_description,
    markdown_table,
    percentile,
    results_table,
    write_docs_section,
)

PASSWORD = "correct horse battery"
VOTE = "mutation($p: ID!, $c: VoteChoice!) { castVote(proposalId: $p, choice: $c) { status } }"
VERIFY = "query($p: ID!) { verifyVoteReceipt(proposalId: $p) { onChain matchesChoice blockNumber } }"


class HttpGraphQL:
    """``GraphQLClient``'s call over real HTTP, to ``linli serve --workers N``."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.AsyncClient(base_url=url, timeout=600, limits=httpx.Limits(max_connections=100))
        # thousands of requests waiting inside httpx's pool make it spin (each release scans every
        # waiter): the client, not the server, took the CPU. Requests wait here instead, so a vote's
        # latency still counts from the moment it was due.
        self.gate = asyncio.Semaphore(100)

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        import httpx

        for attempt in range(3):
            try:
                async with self.gate:
                    r = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers={"authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                # a kept-alive connection the server closed as it was reused: reads are retried
                if attempt == 2 or not query.startswith("query"):
                    raise
        assert r.status_code < 500, r.text
        return r.json()  # type: ignore[no-any-return]


async def run(chain: str, voters: int, postgres: str | None, processes: int = 0, pool_timeout: float = 30.0) -> dict[str, Any]:
    from argon2 import PasswordHasher
    from sqlalchemy import select
    from strawberry import relay

    from gateway.app import create_app
    from kernel.chain import Anvil, devchain
    from kernel.chain.models import ChainTransaction
    from kernel.chain.relay import chain_client
    from kernel.config import Settings
    from kernel.db.migrate import upgrade
    from kernel.identity import passwords
    from kernel.identity import service as identity
    from kernel.identity.authz import Policies
    from kernel.identity.models import Account
    from kernel.runtime import Runtime
    from kernel.testing import GraphQLClient
    from plugins.governance import service as gov
    from tenants.estate import service as estate
    from tenants.lifecycle import provision

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # bench setup only
    node = Anvil().start() if chain == "anvil" else None
    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-gov-"))
    drop = None
    if postgres:
        from kernel.testing import create_postgres_database

        # not linli_test_*: a cleanup of stale test databases on a shared server must not drop it mid-run
        url, admin_url, drop = await create_postgres_database(postgres, prefix="linli_bench")
    else:
        url = admin_url = f"sqlite+aiosqlite:///{tmp / 'linli.db'}"
    settings = Settings(
        database_url=url, database_admin_url=admin_url, data_dir=tmp, secret_key="bench-secret-" + "x" * 32,
        master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", log_json=False, chain_url=node.url if node else None,
        database_pool_timeout=pool_timeout,
    )
    runtime = Runtime.build(settings)
    served: Any = None
    serving: Any = None
    try:
        await upgrade(admin_url, url, runtime.host)
        p = await provision(runtime, slug="bench", name="bench", admin_username="bench-admin", admin_password=PASSWORD)
        tid = p.tenant_id
        accounts: list[Account] = []
        async with runtime.db.tenant(tid) as s:
            for i in range(voters):
                accounts.append(await identity.create_account(s, f"owner{i:04d}", PASSWORD, f"业主{i}"))
        async with runtime.db.tenant(tid) as s:
            policies = Policies(s, tid)
            c = await estate.create_community(s, code="B1", name="压测社区")
            cp = await estate.create_compound(s, community_id=c.id, name="一期")
            rng = random.Random(278)
            for b in range((voters + 59) // 60):
                building = await estate.create_building(s, compound_id=cp.id, name=f"{b + 1}幢")
                for i in range(b * 60, min(voters, b * 60 + 60)):
                    u = await estate.create_unit(s, building_id=building.id, number=f"{i:04d}", registered_area=rng.randint(4500, 15000))
                    person = await estate.register_person(s, runtime.vault, tid, name=f"业主{i}", account_id=accounts[i].id)
                    await estate.add_ownership(s, unit_id=u.id, person_id=person.id)
                    await policies.assign_role(accounts[i].id, "owner", source="tenant")
            actor = gov.Actor("bench", p.admin_account_id, tid)
            row = await gov.draft(s, actor, community_id=c.id, matter="USE_FUND", title="压测议题", body="并发投票")
            await gov.publish(runtime, s, actor, row)
            pid = row.id
        async with runtime.db.tenant(tid) as s:
            tokens = [(await identity.issue_tokens(s, settings, a, tid)).access_token for a in accounts]
        setup_start = time.perf_counter()
        await runtime.outbox.drain(tid)
        async with runtime.db.tenant(tid) as s:
            await gov.open_voting(runtime, s, actor, await gov.get_proposal(s, pid))
        for _ in range(4):
            await runtime.outbox.drain(tid)
        await devchain.increase_time(await chain_client(runtime), gov.START_DELAY + 1)
        async with runtime.db.tenant(tid) as s:
            row = await gov.refresh(runtime, s, await gov.get_proposal(s, pid))
            if not row.chain_proposal_id:
                txs = (await s.scalars(select(ChainTransaction))).all()
                raise RuntimeError(f"proposal not on chain: {[(t.intent, t.status, t.error_name) for t in txs]}")
        console.print(f"[{chain}] setup on chain in {time.perf_counter() - setup_start:.1f} s; {voters} voters")

        gid = str(relay.GlobalID("Proposal", str(pid)))
        from kernel.chain.indexer import index_all

        await index_all(runtime)  # a running server has long caught up with the registration's events
        client: Any
        if processes:
            from kernel.testing import serve_processes

            env = {
                "LINLI_DATABASE_URL": url, "LINLI_DATABASE_ADMIN_URL": admin_url, "LINLI_CHAIN_URL": node.url if node else "",
                "LINLI_DATA_DIR": str(tmp), "LINLI_SECRET_KEY": settings.secret_key, "LINLI_MASTER_KEY": settings.master_key,
                "LINLI_LOG_LEVEL": "warning", "LINLI_DATABASE_POOL_TIMEOUT": str(pool_timeout),
            }
            serving = serve_processes(env, workers=processes, port=_free_port(), timeout=300)
            served = serving.__enter__()
            client = HttpGraphQL(served.url)
        else:
            client = GraphQLClient(create_app(runtime))
            if not os.environ.get("BENCH_NO_WORKERS"):
                runtime.start_workers()
        # Warm up as a running server would be: the scheduled jobs' first runs, the schema, the pool.
        await asyncio.sleep(5)
        for i in range(min(voters, 10 * max(processes, 1))):
            w0 = time.perf_counter()
            await client("query($id: ID!) { proposal(id: $id) { status } }", {"id": gid}, token=tokens[i])
            if os.environ.get("BENCH_DEBUG"):
                console.print(f"warm-up query {time.perf_counter() - w0:.3f} s")
        sent: dict[int, float] = {}
        answered: dict[int, float] = {}
        done: dict[str, float] = {}
        intents: dict[str, int] = {}
        stop = asyncio.Event()

        async def poll() -> None:
            while not stop.is_set():
                async with runtime.db.tenant(tid) as s:
                    rows = (await s.execute(select(ChainTransaction.intent, ChainTransaction.status).where(ChainTransaction.function == "castVotesBySig"))).all()
                now = time.perf_counter()
                for intent, status in rows:
                    if status in ("confirmed", "skipped") and intent not in done:
                        done[intent] = now
                await asyncio.sleep(0.025)

        async def vote(i: int) -> None:
            sent[i] = time.perf_counter()
            r = await client(VOTE, {"p": gid, "c": random.choice(("FOR", "FOR", "AGAINST", "ABSTAIN"))}, token=tokens[i])
            answered[i] = time.perf_counter()
            if r.get("errors"):
                raise RuntimeError(r["errors"])

        poller = asyncio.create_task(poll())
        from kernel.testing import cpu_seconds

        gateways = served.gateway_pids() if served else [os.getpid()]
        helper = served.worker_pid() if served else None
        cpu0 = {p: cpu_seconds(p) for p in gateways + ([helper] if helper else [])}
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        if os.environ.get("BENCH_SQL") and not processes:  # the statements of one castVote, by shape
            from collections import Counter

            from sqlalchemy import event

            seen: list[str] = []

            def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                seen.append(" ".join(statement.split())[:110])

            event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", before)
            await vote(0)
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", before)
            console.print(f"{len(seen)} statements in one castVote")
            for shape, n in Counter(seen).most_common():
                console.print(f"{n:3d} {shape}")
            await asyncio.gather(*(vote(i) for i in range(1, voters)))
        elif os.environ.get("BENCH_PROFILE"):
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            await vote(0)
            prof.disable()
            prof.dump_stats(os.environ["BENCH_PROFILE"])
            await asyncio.gather(*(vote(i) for i in range(1, voters)))
        elif os.environ.get("BENCH_PROFILE_ALL"):
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            await asyncio.gather(*(vote(i) for i in range(voters)))
            prof.disable()
            prof.dump_stats(os.environ["BENCH_PROFILE_ALL"])
        else:
            await asyncio.gather(*(vote(i) for i in range(voters)))
        submitted = time.perf_counter() - t0
        cpu_submit = {p: cpu_seconds(p) - cpu0[p] for p in cpu0}
        if os.environ.get("BENCH_DEBUG"):
            console.print(sorted(round(answered[i] - sent[i], 2) for i in sent))
        async with runtime.db.tenant(tid) as s:
            from plugins.governance.models import Vote
            from tenants.estate.models import Person

            person_of = {str(pid_): acc for pid_, acc in (await s.execute(select(Person.id, Person.account_id))).all()}
            voter_of = {a.id: i for i, a in enumerate(accounts)}
            for v in (await s.scalars(select(Vote))).all():
                intents[v.intent] = voter_of[person_of[v.holder_key]]
        deadline = time.perf_counter() + 300
        while len(done) < voters and time.perf_counter() < deadline:  # noqa: ASYNC110 - the poller fills ``done``
            await asyncio.sleep(0.05)
        stop.set()
        await poller
        elapsed = time.perf_counter() - t0
        cpu_all = {p: cpu_seconds(p) - cpu0[p] for p in cpu0}
        load1 = os.getloadavg()[0]
        await runtime.stop_workers()
        latencies = sorted(done[k] - sent[intents[k]] for k in done)
        verified = 0
        gate = asyncio.Semaphore(50)

        async def verify(i: int) -> None:
            nonlocal verified
            async with gate:
                r = await client(VERIFY, {"p": gid}, token=tokens[i])
            v = r["data"]["verifyVoteReceipt"]
            verified += bool(v["onChain"] and v["matchesChoice"])

        await asyncio.gather(*(verify(i) for i in range(voters)))
        async with runtime.db.tenant(tid) as s:
            txs = len(set((await s.scalars(select(ChainTransaction.tx_hash).where(ChainTransaction.function == "castVotesBySig"))).all()))
        # every vote's audit entry chained once (queued by the request, appended in batches by the
        # worker, which was stopped above: whatever it left is chained here) and the chain verifies
        from sqlalchemy import func

        from kernel import audit

        await runtime.outbox.drain(tid)
        async with runtime.db.tenant(tid) as s:
            audited = await s.scalar(select(func.count()).select_from(audit.AuditEntry).where(audit.AuditEntry.action == "governance.vote_cast"))
            chain_check = await audit.verify(s)
        await client.http.aclose()
        if served is not None:
            served = None
            serving.__exit__(None, None, None)
        gateway_cpu = sum(cpu_submit[p] for p in gateways)
        return {
            "processes": processes or 1,
            "gateway_cpu_ms": 1000 * gateway_cpu / voters,
            "worker_cpu_s": cpu_all[helper] if helper else float("nan"),
            "load": f"{load0:.1f}→{load1:.1f}",
            "database": "PostgreSQL" if postgres else "SQLite",
            "chain": chain,
            "voters": voters,
            "receipts": len(done),
            "verified": verified,
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"),
            "submit_s": submitted,
            "elapsed_s": elapsed,
            "transactions": txs,
            "audited": f"{audited}{'' if chain_check.ok and chain_check.queued == 0 else ' (chain NOT ok)'}",
        }
    finally:
        if served is not None:
            serving.__exit__(None, None, None)
        c = runtime.services.get("chain")
        if c is not None:
            await c.close()
        await runtime.db.dispose()
        if drop is not None:
            await drop()
        if node is not None:
            node.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--chain", choices=("anvil", "embedded", "both"), default="both")
    parser.add_argument("--postgres", default=os.environ.get("LINLI_BENCH_POSTGRES_URL"), help="PostgreSQL server URL (default: $LINLI_BENCH_POSTGRES_URL; else SQLite)")
    parser.add_argument(
        "--processes", type=int, default=0,
        help="vote through `linli serve --workers N` (real HTTP, N gateway processes and a `linli worker`; needs PostgreSQL, runs on anvil) instead of the app in this process",
    )
    parser.add_argument(
        "--pool-timeout", type=float, default=30.0,
        help="seconds a request waits for a pooled connection (LINLI_DATABASE_POOL_TIMEOUT; the default is the product's). "
        "On a machine shared far beyond its cores a request waits that long for CPU while holding a connection",
    )
    parser.add_argument("--write-docs", action="store_true", help="write the results into docs/benchmarks.md")
    args = parser.parse_args()
    chains = ("anvil", "embedded") if args.chain == "both" else (args.chain,)
    if args.processes:
        if not args.postgres:
            parser.error("--processes needs PostgreSQL (--postgres or LINLI_BENCH_POSTGRES_URL)")
        chains = ("anvil",)  # the embedded EVM lives in one process
    results = [asyncio.run(run(c, args.voters, args.postgres, args.processes, args.pool_timeout)) for c in chains]
    columns = [
        "database", "chain", "gateway processes", "voters", "receipts", "verified", "p50 s", "p99 s", "max s",
        "all submitted s", "all receipts s", "vote txs", "gateway CPU ms / castVote", "vote audit entries", "load avg",
    ]
    rows = [
        [r["database"], r["chain"], r["processes"], r["voters"], r["receipts"], r["verified"], f"{r['p50']:.2f}", f"{r['p99']:.2f}", f"{r['max']:.2f}", f"{r['submit_s']:.2f}", f"{r['elapsed_s']:.2f}", r["transactions"], f"{r['gateway_cpu_ms']:.1f}", r["audited"], r["load"]]
        for r in results
    ]
    console.print(results_table("Vote submission → verifiable receipt", columns, rows))
    print(markdown_table(columns, rows))  # the same, unabridged, for the docs
    if args.write_docs:
        body = (
            "## Governance: vote submission → verifiable receipt (issue 5)\n\n"
            f"`python -m bench.governance_receipts --voters {args.voters}` — {args.voters} owners send `castVote` at once through "
            "`/graphql` (in process); the relayer batches waiting ballots into `castVotesBySig`; latency is until the vote's "
            "transaction is mined and recorded (what `verifyVoteReceipt` checks); every receipt is then verified against the contract. "
            f"{machine_description()}.\n\n" + markdown_table(columns, rows)
        )
        write_docs_section("governance_receipts", body)


if __name__ == "__main__":
    main()
