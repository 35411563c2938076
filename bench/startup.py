"""Start-up cost of the ``linli`` command line and of ``linli serve`` on the embedded default
(issue 17 part 4): CPU time (user + sys) and wall time, with the load average, of

* ``linli --help``, ``linli plugins list``, ``linli tenant list`` (builds a runtime, opens the database);
* ``linli serve`` from start to the first ``/healthz`` 200: on a fresh data folder (it migrates it) and
  restarted on that folder (what "ready" means for a server that restarts).

Each command runs in a fresh interpreter in an empty folder with ``LINLI_DATA_DIR`` in a temporary
folder. ``--baseline PATH`` also runs a checkout of another commit (``git archive <commit> | tar -x -C
PATH``) with the same interpreter through ``PYTHONPATH``, alternating with this tree, so the two
columns share the machine's load. Bytecode is written (``PYTHONDONTWRITEBYTECODE`` is dropped) and one
unmeasured run of each comes first: what a user's second start costs, not the compiler's.

    python -m bench.startup --runs 5 [--baseline /tmp/linli-base]

On a shared machine compare the CPU columns; wall time also counts the other processes' turns.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import (
    REPO,
    console,
    free_port,
    machine_description,
    process_cpu_seconds,
    results_table,
)

COMMANDS: dict[str, list[str]] = {
    "linli --help": ["--help"],
    "linli plugins list": ["plugins", "list"],
    "linli tenant list": ["tenant", "list"],
}


def _env(code: Path | None, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LINLI_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    env["LINLI_DATA_DIR"] = str(data_dir)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def _linli(args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from gateway.cli import main; sys.argv[0] = 'linli'; main()",
        *args,
    ]


def run_command(code: Path | None, args: list[str], data_dir: Path) -> tuple[float, float]:
    """(CPU, wall) seconds of one ``linli`` command in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="linli-cwd-") as cwd:
        started = time.perf_counter()
        proc = subprocess.Popen(
            _linli(args),
            cwd=cwd,
            env=_env(code, data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # noqa: S603
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise RuntimeError(
                f"linli {' '.join(args)} failed: {proc.stderr.read().decode()[-1500:] if proc.stderr else ''}"
            )
        return usage.ru_utime + usage.ru_stime, wall


def run_serve(code: Path | None, data_dir: Path, timeout: float = 300.0) -> tuple[float, float]:
    """(CPU, wall) seconds of ``linli serve`` from its start to the first ``/healthz`` 200."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="linli-cwd-") as cwd:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            _linli(["serve", "--port", str(port)]),
            cwd=cwd,
            env=_env(code, data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"linli serve exited: {proc.stderr.read().decode()[-1500:] if proc.stderr else ''}"
                    )
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=2
                    ) as answer:  # noqa: S310
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError("linli serve was not ready in time")
                time.sleep(0.02)
            wall = time.perf_counter() - started
            cpu = process_cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return cpu, wall


def _span(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f} (median {statistics.median(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of another commit, run through PYTHONPATH"
    )
    parser.add_argument(
        "--only",
        choices=[*COMMANDS, "serve"],
        action="append",
        help="measure only these (repeatable)",
    )
    args = parser.parse_args()
    variants: dict[str, Path | None] = {"this tree": None}
    if args.baseline:
        variants = {"baseline": args.baseline.resolve(), **variants}
    wanted = args.only or [*COMMANDS, "serve"]
    load_before = os.getloadavg()
    rows = []
    root = Path(tempfile.mkdtemp(prefix="linli-startup-"))
    try:
        for name in wanted:
            if name == "serve":
                for label in (
                    "linli serve → /healthz, fresh data folder",
                    "linli serve → /healthz, restart",
                ):
                    samples: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
                    for i in range(args.runs + 1):
                        for variant, code in variants.items():
                            data = (
                                root / f"serve-{variant}-{i}"
                                if "fresh" in label
                                else root / f"serve-{variant}"
                            )
                            if "restart" in label and not data.exists():
                                run_serve(code, data)  # the folder a restart finds
                            sample = run_serve(code, data)
                            if "fresh" in label:
                                shutil.rmtree(data, ignore_errors=True)
                            if i:  # the first run writes bytecode
                                samples[variant].append(sample)
                    rows.extend(
                        [label, v, _span([c for c, _ in s]), _span([w for _, w in s])]
                        for v, s in samples.items()
                    )
                continue
            samples = {v: [] for v in variants}
            for i in range(args.runs + 1):
                for variant, code in variants.items():
                    data = root / f"cli-{variant}"
                    if name == "linli tenant list" and not data.exists():
                        run_command(code, ["db", "upgrade"], data)
                    sample = run_command(code, COMMANDS[name], data)
                    if i:
                        samples[variant].append(sample)
            rows.extend(
                [name, v, _span([c for c, _ in s]), _span([w for _, w in s])]
                for v, s in samples.items()
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()
    console.print(
        results_table(
            f"Start-up, {args.runs} runs each (min–max)",
            ["command", "code", "CPU s (user + sys)", "wall s"],
            rows,
            text_columns=2,
        )
    )
    console.print(f"machine: {machine_description()}; repository {REPO}")
    console.print(
        f"load average before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}"
    )


if __name__ == "__main__":
    main()
