"""Meta-test (as datasette's ``@documented``): every public name of the plugin SDK is documented.

"Public" is ``kernel.sdk.__all__`` and the ``__all__`` of each ``kernel.sdk`` module; "documented"
is an entry rendered on the SDK reference page (docs/plugins/reference.md), which mkdocstrings
generates from the docstrings. The site is built here as ``mkdocs build`` builds it (the lint
step builds it with ``--strict``), so a name that is exported but not rendered fails this test.
Lives next to tests/test_hooks_meta.py, which does the same for the hooks.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kernel.sdk

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "plugins" / "reference.md"


def sdk_modules() -> dict[str, list[str]]:
    """``{module name: its __all__}`` for every module of the ``kernel.sdk`` package."""
    found = {}
    for info in pkgutil.iter_modules(kernel.sdk.__path__):
        module = importlib.import_module(f"kernel.sdk.{info.name}")
        found[info.name] = list(getattr(module, "__all__", []))
    return found


@pytest.fixture(scope="module")
def rendered_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pytest.importorskip("mkdocs", reason="the docs site needs the dev extra (mkdocs-material, mkdocstrings)")
    site = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site), "--config-file", str(ROOT / "mkdocs.yml"), "--no-strict"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    html = (site / "plugins" / "reference" / "index.html").read_text(encoding="utf-8")
    return set(re.findall(r'id="(kernel\.sdk[\w.]*)"', html))


def test_every_sdk_module_has_a_section_in_the_reference():
    text = REFERENCE.read_text(encoding="utf-8")
    missing = [m for m in sdk_modules() if f"::: kernel.sdk.{m}\n" not in text]
    assert not missing, f"docs/plugins/reference.md lacks '::: kernel.sdk.<module>' for {missing}"


def test_every_public_name_of_every_sdk_module_is_rendered(rendered_ids: set[str]):
    missing = [
        f"kernel.sdk.{module}.{name}"
        for module, names in sdk_modules().items()
        for name in names
        if f"kernel.sdk.{module}.{name}" not in rendered_ids
    ]
    assert not missing, f"public SDK names with no entry in the reference: {missing}"


def test_every_name_kernel_sdk_exports_is_rendered(rendered_ids: set[str]):
    modules = sdk_modules()
    missing = []
    for name in kernel.sdk.__all__:
        homes = {f"kernel.sdk.{name}"} | {f"kernel.sdk.{m}.{name}" for m, names in modules.items() if name in names}
        if name in modules:
            homes.add(f"kernel.sdk.{name}")  # a module exported by name (``devices``)
        if not homes & rendered_ids:
            missing.append(name)
    assert not missing, f"kernel.sdk exports names the reference does not render: {missing}"
