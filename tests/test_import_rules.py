"""The rooms' import rules (docs/architecture.md) stay complete: import-linter checks them
(scripts/lint-imports.sh, run by .ci/run); these tests keep its configuration honest."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}


def _kernel_modules() -> set[str]:
    kernel = ROOT / "kernel"
    return {
        f"kernel.{p.stem if p.is_file() else p.name}"
        for p in kernel.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }


def test_no_contract_ignores_an_import():
    assert CONTRACTS, "no import-linter contracts in pyproject.toml"
    assert all("ignore_imports" not in c for c in CONFIG["contracts"])


def test_plugins_may_import_no_kernel_module_but_the_sdk():
    forbidden = set(CONTRACTS["plugins-sdk-only"]["forbidden_modules"])
    assert forbidden >= {"tenants", "gateway", "contracts"}
    missing = _kernel_modules() - {"kernel.sdk"} - forbidden
    assert not missing, f"add {sorted(missing)} to the plugins-sdk-only contract in pyproject.toml"
    assert "kernel.sdk" not in forbidden and "kernel" not in forbidden


def test_every_plugin_package_and_its_migrations_are_checked():
    assert CONTRACTS["plugins-independent"]["modules"] == ["plugins.*"]
    for plugin in (ROOT / "plugins").iterdir():
        if not (plugin / "__init__.py").exists():
            continue
        migrations = plugin / "migrations"
        if migrations.is_dir():  # a package, or import-linter would not see the migrations' imports
            assert (migrations / "__init__.py").exists() and (migrations / "versions" / "__init__.py").exists(), plugin.name


def test_the_rooms_import_only_what_they_may():
    assert set(CONTRACTS["kernel"]["forbidden_modules"]) == {"tenants", "gateway", "plugins"}
    assert set(CONTRACTS["tenants"]["forbidden_modules"]) == {"gateway", "plugins"}
    assert set(CONTRACTS["gateway"]["forbidden_modules"]) == {"plugins"}
    assert set(CONTRACTS["contracts"]["forbidden_modules"]) == {"kernel", "tenants", "gateway", "plugins"}


def test_ci_runs_lint_imports_before_the_tests():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index("bash scripts/lint-imports.sh") < ci.index("bash scripts/test.sh")
    assert "lint-imports" in (ROOT / "tox.ini").read_text(encoding="utf-8")


def test_lint_imports_passes_but_for_the_listed_pending_violations():
    """scripts/lint-imports.sh fails on any violation it does not list as pending."""
    script = ROOT / "scripts" / "lint-imports.sh"
    bindir = Path(sys.executable).parent
    done = subprocess.run(["bash", str(script)], cwd=ROOT, capture_output=True, text=True, env={"PATH": f"{bindir}:/usr/bin:/bin"}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts:" in done.stdout


def test_the_example_plugin_is_held_to_the_plugins_rule():
    """examples/parcel_lockers (a separate distribution) imports kernel.sdk and itself only."""
    assert "parcel_lockers" in CONFIG["root_packages"]
    forbidden = set(CONTRACTS["examples-sdk-only"]["forbidden_modules"])
    assert forbidden == set(CONTRACTS["plugins-sdk-only"]["forbidden_modules"]) | {"plugins"}
    assert CONTRACTS["examples-sdk-only"]["source_modules"] == ["parcel_lockers"]
    versions = ROOT / "examples" / "parcel_lockers" / "parcel_lockers" / "migrations" / "versions"
    assert (versions / "__init__.py").exists() and (versions.parent / "__init__.py").exists()
