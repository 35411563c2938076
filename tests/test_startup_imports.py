"""Start-up cost (issue #17 part 4): CLI commands load only what they use (docs/benchmarks.md,
"Start-up"). Checked by the modules a fresh interpreter ends up with, not by wall time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAIN = ("web3", "eth_account", "kernel.chain.relay", "kernel.chain.client")


def _modules_after(code: str, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("LINLI_")}
    env["LINLI_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_building_the_runtime_loads_no_chain_library(tmp_path):
    """The chain relayer (web3, eth-account) is loaded by the first ``chain`` outbox message, not by
    every command that builds a runtime."""
    out = _modules_after(
        "import sys\n"
        "from kernel.config import Settings\n"
        "from kernel.runtime import Runtime\n"
        f"runtime = Runtime.build(Settings(database_url='sqlite+aiosqlite:///{tmp_path}/x.db'))\n"
        "assert callable(runtime.deliverers['chain'])\n"
        f"print('CHAIN', [m for m in {CHAIN!r} if m in sys.modules])\n",
        tmp_path,
    )
    assert "CHAIN []" in out, out[-500:]


def test_plugins_list_builds_no_runtime(tmp_path):
    out = _modules_after(
        "import sys\n"
        "sys.argv = ['linli', 'plugins', 'list']\n"
        "from gateway.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print('HEAVY', [m for m in ('kernel.runtime', 'kernel.db.engine') + {CHAIN!r} if m in sys.modules])\n",
        tmp_path,
    )
    assert "estate" in out and "governance" in out  # the table lists the plugins
    assert "HEAVY []" in out, out[-500:]


#: web3's stack and the embedded EVM: loaded by the first chain operation (a vote, a fund flow, the
#: indexer finding a deployment), never by serving (docs/benchmarks.md, "Start-up"). The relayer's and
#: indexer's own modules are light and may load (the scheduled jobs name them).
CHAIN_STACK = ("web3", "eth_account", "kernel.chain.client", "eth_abi", "eth_utils", "eth_keyfile", "eth_keys", "py_ecc", "eth_tester", "eth", "kernel.chain.embedded")


def test_serving_loads_no_chain_library_and_hashes_no_password_before_ready(tmp_path):
    """What ``linli serve`` does on the embedded default up to serving: build the runtime, migrate,
    compose the app with every plugin's GraphQL, start it with the background workers. Importing the
    gateway makes no argon2 hash (the unknown-login equaliser is made beside serving, in a thread)."""
    out = _modules_after(
        "import asyncio, sys\n"
        "from gateway.app import create_app\n"
        "from gateway.cli import _runtime, upgrade\n"
        "from kernel.identity import passwords\n"
        "assert not passwords._dummy_hashes, 'a password was hashed at import'\n"
        "runtime = _runtime()\n"
        "asyncio.run(upgrade(runtime))\n"
        "app = create_app(runtime, workers=True)\n"
        "async def serve():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        print('SCHEMA', 'castVote' in str(app.state.schema))\n"
        "asyncio.run(serve())\n"
        "print('EQUALISER', [h.startswith('$argon2id$v=19$m=65536,t=3,p=4$') for h in passwords._dummy_hashes.values()])\n"
        f"print('CHAIN', [m for m in {CHAIN_STACK!r} if m in sys.modules])\n",
        tmp_path,
    )
    assert "SCHEMA True" in out, out[-500:]  # governance's mutations are in the schema
    assert "EQUALISER [True]" in out, out[-500:]  # made once serving, at the production cost
    assert "CHAIN []" in out, out[-500:]


def test_the_chain_package_loads_its_client_on_first_use(tmp_path):
    """``kernel.chain``'s names are loaded on first use (``kernel.models`` imports ``kernel.chain.models``,
    which runs the package); a plugin's EIP-712 struct defined at import time costs no eth-account."""
    out = _modules_after(
        "import sys\n"
        "import kernel.models\n"
        "from kernel.sdk import TypedStruct\n"
        "s = TypedStruct('D', '1', 'Ballot', (('proposalId', 'uint256'),))\n"
        f"print('BEFORE', [m for m in {CHAIN_STACK!r} if m in sys.modules])\n"
        "from kernel.chain import ChainClient, devchain\n"
        "import kernel.chain\n"
        "assert set(kernel.chain.__all__) <= set(dir(kernel.chain)) | set(kernel.chain._WHERE)\n"
        "print('AFTER', ChainClient.__name__, devchain.__name__, 'web3' in sys.modules)\n"
        "print('DIGEST', s.digest(1, '0x' + '11' * 20, {'proposalId': 7}).hex())\n",
        tmp_path,
    )
    assert "BEFORE []" in out, out[-500:]
    assert "AFTER ChainClient kernel.chain.devchain True" in out, out[-500:]
    assert "DIGEST " in out and len(out.split("DIGEST ")[1].split()[0]) == 64


def test_the_gateway_answers_while_the_embedded_chain_loads(tmp_path):
    """The first chain operation loads web3's stack and replays the embedded chain in a worker thread
    (``kernel.chain.relay.chain_client``): requests that need no chain are answered meanwhile, and
    the operation gets its client once it is there."""
    out = _modules_after(
        "import asyncio, sys, time\n"
        "import httpx\n"
        "from gateway.app import create_app\n"
        "from gateway.cli import _runtime, upgrade\n"
        "from kernel.chain.relay import chain_client\n"
        "runtime = _runtime()\n"
        "asyncio.run(upgrade(runtime))\n"
        "app = create_app(runtime)\n"
        "async def go():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        chain = asyncio.create_task(chain_client(runtime))\n"
        "        answered = 0\n"
        "        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://t') as http:\n"
        "            while not chain.done():\n"
        "                assert (await http.get('/healthz')).status_code == 200\n"
        "                answered += 1\n"
        "                await asyncio.sleep(0.01)\n"
        "        client = await chain\n"
        "        print('ANSWERED', answered, 'EMBEDDED', client.is_embedded, client.chain_id, 'web3' in sys.modules)\n"
        "        assert await chain_client(runtime) is client\n"
        "asyncio.run(go())\n",
        tmp_path,
    )
    line = next(x for x in out.splitlines() if x.startswith("ANSWERED"))
    answered, rest = int(line.split()[1]), line.split()[2:]
    assert rest[0] == "EMBEDDED" and rest[1] == "True" and rest[-1] == "True", line
    assert answered >= 3, line  # the event loop was not held by the chain's loading
