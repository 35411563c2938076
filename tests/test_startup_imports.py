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
