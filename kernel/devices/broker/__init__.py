"""The broker side of MQTT: the ``linli_auth`` Mosquitto plugin (C source beside this file) and
a helper that builds it and runs a local Mosquitto with it (tests, the benchmark, development).

Why a plugin and not Mosquitto's dynamic-security: ThingsBoard devices all publish to the same
topic ``v1/devices/me/telemetry`` with the token as username, and an MQTT subscriber cannot
tell who published a message. The plugin authenticates the token by its SHA-256 digest (the
broker never holds a token), confines each device to ``v1/devices/me/...``, and rewrites its
topic to ``linli/up/<digest>/...`` so the bridge knows the publisher. See docs/devices.md.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "linli_auth.c"
MOSQUITTO = os.environ.get("LINLI_MOSQUITTO_BINARY", "/usr/sbin/mosquitto")
HEADERS = ("/usr/include/mosquitto_broker.h", "/usr/include/mosquitto.h")


class BrokerUnavailable(RuntimeError):
    """No Mosquitto binary, compiler or headers to run a local broker with the plugin."""


def build_plugin(out_dir: Path) -> Path:
    """Compile ``linli_auth.so`` into ``out_dir`` (if missing or older than the source)."""
    out = out_dir / "linli_auth.so"
    if out.exists() and out.stat().st_mtime >= SOURCE.stat().st_mtime:
        return out
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None or not all(Path(h).exists() for h in HEADERS):
        raise BrokerUnavailable("building linli_auth needs gcc and the mosquitto-dev + libmosquitto-dev headers")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603 - our compiler, our source, our output path
        [cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(SOURCE), "-lcrypto"], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BrokerUnavailable(f"linli_auth did not compile: {result.stderr.strip()}")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalBroker:
    """A Mosquitto on 127.0.0.1:<port> with the linli_auth plugin and persistence."""

    workdir: Path
    bridge_username: str = "linli-bridge"
    bridge_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.bridge_username}:{self.bridge_password}@127.0.0.1:{self.port}"

    def config(self, plugin: Path) -> str:
        return "\n".join(
            [
                f"listener {self.port} 127.0.0.1",
                # run as whoever started it: a root-started Mosquitto would drop to the
                # `mosquitto` user, who cannot read a private work dir
                f"user {pwd.getpwuid(os.geteuid()).pw_name}",
                "allow_anonymous false",
                f"plugin {plugin}",
                f"plugin_opt_bridge_username {self.bridge_username}",
                f"plugin_opt_bridge_password {self.bridge_password}",
                f"plugin_opt_state_file {self.workdir / 'digests.txt'}",
                "persistence true",
                f"persistence_location {self.workdir}/",
                "autosave_interval 60",
                # the bridge's persistent session may hold a burst while it reconnects
                "max_queued_messages 1000000",
                # the bridge acks after commit: this bounds what it holds in memory (back-pressure)
                "max_inflight_messages 10000",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "",
            ]
        )

    def start(self) -> LocalBroker:
        if not Path(MOSQUITTO).exists():
            raise BrokerUnavailable(f"no Mosquitto at {MOSQUITTO}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        plugin = build_plugin(self.workdir)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config(plugin))
        self.process = subprocess.Popen(  # noqa: S603 - the configured Mosquitto binary
            [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=open(self.workdir / "mosquitto.log", "ab")
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerUnavailable(f"mosquitto exited: {(self.workdir / 'mosquitto.log').read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise BrokerUnavailable("mosquitto did not start listening")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: persistence and the digest set are saved)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
