"""Start and stop a local anvil node (from ``contracts/node_modules``) for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Self

__all__ = ["Anvil", "AnvilNotFound", "anvil_binary", "free_port"]

_CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "contracts"


class AnvilNotFound(RuntimeError):
    """No anvil binary: run ``npm ci`` in ``contracts/``."""


def anvil_binary() -> Path:
    """``contracts/node_modules/.bin/anvil`` (installed by ``npm ci``), else ``anvil`` on ``PATH``."""
    local = _CONTRACTS_DIR / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return local
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise AnvilNotFound("anvil not found: run `npm ci` in contracts/")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Anvil:
    """An anvil process on 127.0.0.1.

    ``state_path`` makes anvil load its state from that file at start and dump it there every
    ``state_interval`` seconds and at a clean stop (``--state``), so it can be killed and restarted.
    The npm launcher spawns the native binary as a child: the process runs in its own session and is
    stopped by signalling its process group, so no child outlives it.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        state_path: str | Path | None = None,
        state_interval: int | None = None,
        block_time: float | None = None,
        gas_limit: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.state_path = Path(state_path) if state_path else None
        self.state_interval = state_interval
        self.block_time = block_time
        self.gas_limit = gas_limit
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The JSON-RPC URL."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The command line used to start anvil."""
        cmd = [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(self.port), "--silent"]
        if self.state_path is not None:
            cmd += ["--state", str(self.state_path)]
        if self.state_interval is not None:
            cmd += ["--state-interval", str(self.state_interval)]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        if self.gas_limit is not None:
            cmd += ["--gas-limit", str(self.gas_limit)]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 20.0) -> Self:
        """Start anvil and wait until it answers JSON-RPC."""
        if self.process is not None:
            raise RuntimeError("anvil already started")
        self.process = subprocess.Popen(  # noqa: S603 - our own anvil binary
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                self.process = None
                raise RuntimeError(f"anvil exited at start: {err.strip()}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"anvil did not answer on {self.url} within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM: anvil dumps its state when it has a ``state_path``)."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill at once (SIGKILL), as a crash would: state since the last periodic dump is lost."""
        self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        proc = self.process
        if proc is None:
            return
        self.process = None
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        # The group may still hold the native child for a moment; make sure it is gone.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.02)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _answers(self) -> bool:
        body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310 - loopback http only
        try:
            with urllib.request.urlopen(request, timeout=0.5) as response:  # noqa: S310 - loopback http only
                return response.status == 200
        except OSError:
            return False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
