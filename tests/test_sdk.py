"""The plugin SDK (kernel.sdk): light to import, every public name documented, lazy names
resolve, the estate is reached through the kernel's interface."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kernel.sdk as sdk

ROOT = Path(__file__).resolve().parent.parent
SDK_DOC = ROOT / "docs" / "plugins" / "sdk.md"
SUBMODULES = sorted(p.stem for p in (ROOT / "kernel" / "sdk").glob("*.py") if p.stem != "__init__")


def test_importing_the_sdk_for_hookimpl_loads_no_heavy_dependency():
    code = (
        "import sys\n"
        "from kernel.sdk import hookimpl, PluginManifest, Grant, PermissionSet\n"
        "heavy = [m for m in ('sqlalchemy', 'strawberry', 'casbin', 'web3', 'eth_account', 'kernel.devices', 'fastapi') if m in sys.modules]\n"
        "print(len(sys.modules), heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.split(" ", 1)
    assert out[1].strip() == "[]", out
    assert int(out[0]) < 150  # about 100 with pluggy; it was 1,337 before the SDK was split


def test_every_lazy_name_resolves_to_its_submodules_object():
    for name in sdk.__all__:
        value = getattr(sdk, name)
        assert value is not None, name
    assert sdk.Event is importlib.import_module("kernel.sdk.events").Event
    assert sdk.devices is importlib.import_module("kernel.sdk.devices")
    assert sdk.devices.registry is importlib.import_module("kernel.devices.registry")
    assert callable(sdk.audit)
    with pytest.raises(AttributeError):
        sdk.no_such_name  # noqa: B018


@pytest.mark.parametrize("module", SUBMODULES)
def test_every_public_sdk_name_is_documented(module):
    """docs/plugins/sdk.md has a section per SDK module naming each of its public names."""
    text = SDK_DOC.read_text(encoding="utf-8")
    section = re.search(rf"^### `kernel\.sdk\.{module}`\n(.*?)(?=^### |^## )", text, flags=re.M | re.S)
    assert section, f"docs/plugins/sdk.md has no '### `kernel.sdk.{module}`' section"
    names = importlib.import_module(f"kernel.sdk.{module}").__all__
    missing = [n for n in names if f"`{n}" not in section.group(1) and f" {n}(" not in section.group(1)]
    assert not missing, f"kernel.sdk.{module}: document {missing}"


def test_the_estate_is_read_through_the_kernels_interface():
    from kernel.sdk import estate
    from tenants.estate import models

    assert isinstance(estate.estate(), estate.EstateReader)
    assert estate.Unit is models.Unit and estate.Community is models.Community
    assert estate.totals([estate.VotingUnit(__import__("uuid").uuid4(), 100, estate.DEVELOPER)]) == estate.Totals(area=100, persons=1)
    with pytest.raises(TypeError):
        estate.register_estate(object())  # type: ignore[arg-type]


def test_linli_help_loads_no_heavy_dependency():
    """`linli --help` stays under a second: it imports typer, the plugin host and the plugins'
    manifest modules, not the runtime (docs/benchmarks.md, "CLI start-up")."""
    code = (
        "import sys\n"
        "sys.argv = ['linli', '--help']\n"
        "from gateway.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'strawberry', 'casbin', 'web3', 'fastapi', 'pydantic_settings', 'kernel.runtime') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # Linli as installed: no test plugin
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert "Usage" in done.stdout and "fees" in done.stdout  # plugins' commands are listed
    assert "HEAVY []" in done.stdout, done.stdout[-500:]


def test_the_product_does_not_serve_the_test_plugin():
    """Outside the test session (no test-only site on the path), the plugins loaded are Linli's
    own: the quick start's schema has no ``testPluginGreeting``."""
    code = (
        "from kernel.plugins.host import PluginHost\n"
        "from gateway.schema import compose\n"
        "host = PluginHost()\n"
        "host.load()\n"
        "print(sorted(host.plugins), 'testPluginGreeting' in str(compose(host)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "linli_test_plugin" not in done.stdout and done.stdout.strip().endswith("False"), done.stdout
    assert "'estate'" in done.stdout and "'notices'" in done.stdout


def test_device_alarm_vocabularies_match_the_kernel_s_words():
    """The SDK's alarm enums (GraphQL ``DeviceAlarmSeverity``/``DeviceAlarmStatus``) name exactly
    the severities an alarm rule may have and the states the kernel's alarm life cycle stores."""
    from kernel.devices import alarms, profiles
    from kernel.sdk.vocabulary import AlarmSeverity, AlarmStatus, values

    assert values(AlarmSeverity) == profiles.SEVERITIES
    assert values(AlarmStatus) == (alarms.RAISED, alarms.ACKNOWLEDGED, alarms.CLEARED)
