"""The embedded EVM keeps its chain across restarts (kernel/chain/embedded.py).

Real restarts: each step runs in its own Python process on the embedded default (an empty data
folder, SQLite, no chain URL), as ``linli serve`` stopped and started would. A community's contracts
deployed by the first process are still there for the second; a frame cut short by a crash is
dropped and the chain resumes at the last whole request; a second process on the same folder is
refused with a message saying what to do.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kernel.chain.embedded import JOURNAL, ChainStore, ChainStoreBusy

ROOT = Path(__file__).resolve().parents[2]

FIRST = """
import asyncio, uuid
from kernel.config import Settings
from kernel.runtime import Runtime
from kernel.db.migrate import upgrade
from kernel.chain.relay import ensure_community_contracts
from tenants.lifecycle import provision
from tenants.estate import service

async def main():
    runtime = Runtime.build(Settings())
    s = runtime.settings
    assert s.embedded_chain_dir is not None and s.chain_url is None
    await upgrade(s.database_admin_url, s.database_url, runtime.host)
    p = await provision(runtime, slug="persist", name="persist", admin_username="persist-admin", admin_password="a long password 123")
    async with runtime.db.tenant(p.tenant_id) as session:
        community = await service.create_community(session, code="P1", name="持久社区")
        deployment = await ensure_community_contracts(runtime, session, community.id)
    print("DEPLOYED", deployment.address_of("governance"))
    await runtime.db.dispose()

asyncio.run(main())
"""

SECOND = """
import asyncio
from kernel.config import Settings
from kernel.runtime import Runtime
from kernel.chain.relay import chain_client
from kernel.chain.reset import chain_records_stale
from tenants.lifecycle import get_by_slug

async def main():
    runtime = Runtime.build(Settings())
    tenant = await get_by_slug(runtime, "persist")
    async with runtime.db.tenant(tenant.id) as session:
        print("STALE", await chain_records_stale(runtime, session))
    client = await chain_client(runtime)
    print("BLOCK", await client.w3.eth.block_number)
    await runtime.db.dispose()

asyncio.run(main())
"""


def _run(script: str, data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env.update(LINLI_DATA_DIR=str(data_dir), LINLI_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _value(out: str, label: str) -> str:
    return next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(label + " "))


def test_contracts_survive_a_restart_and_a_lost_chain_is_detected(tmp_path: Path) -> None:
    first = _run(FIRST, tmp_path)
    assert _value(first, "DEPLOYED").startswith("0x")
    journal = tmp_path / "chain" / JOURNAL
    assert journal.stat().st_size > 0

    second = _run(SECOND, tmp_path)
    assert _value(second, "STALE") == "False"  # the records point at contracts that are there
    blocks = int(_value(second, "BLOCK"))
    assert blocks > 0

    # a crash in the middle of a write: the torn frame is dropped, the chain is what it was
    with journal.open("ab") as f:
        f.write(b"\x00\x00\x10\x00garbage")
    again = _run(SECOND, tmp_path)
    assert _value(again, "STALE") == "False" and int(_value(again, "BLOCK")) == blocks

    # the chain folder lost: the records are stale, and that is what callers are told
    journal.unlink()
    lost = _run(SECOND, tmp_path)
    assert _value(lost, "STALE") == "True"


def test_one_process_per_chain_folder(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    try:
        other = subprocess.run(
            [sys.executable, "-c", f"from kernel.chain.embedded import ChainStore; ChainStore(__import__('pathlib').Path({str(tmp_path)!r}))"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        assert other.returncode != 0
        assert "ChainStoreBusy" in other.stderr and "LINLI_CHAIN_URL" in other.stderr
        with pytest.raises(ChainStoreBusy):
            ChainStore(tmp_path)  # a second open in this process is refused too (one store per folder)
    finally:
        store.close()


def test_the_store_resumes_from_its_last_flush(tmp_path: Path) -> None:
    folder = tmp_path.resolve()

    async def go() -> tuple[int, int]:
        from kernel.chain import devchain
        from kernel.chain.client import ChainClient
        from kernel.chain.embedded import _OPEN

        client = await ChainClient.connect(None, store=tmp_path)
        await devchain.mine(client, 3)
        before = await client.w3.eth.block_number
        _OPEN.pop(folder).close()  # the process "stops"
        client = await ChainClient.connect(None, store=tmp_path)
        after = await client.w3.eth.block_number
        _OPEN.pop(folder).close()
        return before, after

    before, after = asyncio.run(go())
    assert before == after == 3
