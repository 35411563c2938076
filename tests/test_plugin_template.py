"""``linli plugin new``: the template renders an installable plugin whose own tests pass as
rendered. The package is really installed (a wheel built by pip, entry point and all) into a
folder of its own on ``PYTHONPATH``, so the venv the suite runs in is left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernel.sdk.scaffold import ScaffoldError, render_plugin

EXPECTED = [
    "README.md",
    "docs/index.md",
    "pyproject.toml",
    "tests/test_bike_sheds.py",
    "bike_sheds/__init__.py",
    "bike_sheds/graphql.py",
    "bike_sheds/models.py",
    "bike_sheds/repository.py",
    "bike_sheds/service.py",
    "bike_sheds/migrations/versions/bike_sheds_0001_tables.py",
]


def test_the_template_renders_an_installable_plugin_whose_tests_pass(tmp_path: Path) -> None:
    target = render_plugin("bike_sheds", tmp_path, description="Bike sheds (车棚)")
    for rel in EXPECTED:
        assert (target / rel).is_file(), rel
    pyproject = (target / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."linli.plugins"]' in pyproject and 'bike_sheds = "bike_sheds"' in pyproject
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(target)],
        check=True, capture_output=True, text=True,
    )
    assert (site / "linli_bike_sheds-0.1.0.dist-info" / "entry_points.txt").read_text().count("bike_sheds") >= 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=target, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


@pytest.mark.parametrize("name", ["Bad", "x", "2fast", "bike-sheds", "bike__sheds", "trailing_", "a" * 41])
def test_a_bad_name_is_refused_with_the_rule(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="lowercase letters"):
        render_plugin(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_linli_plugin_new_renders_and_refuses_an_existing_folder(tmp_path: Path) -> None:
    from gateway.cli import cli

    runner = CliRunner()
    first = runner.invoke(cli, ["plugin", "new", "kiosk", "--dir", str(tmp_path), "--description", "Kiosks"])
    assert first.exit_code == 0, first.output
    assert "kioskEntries" in (tmp_path / "kiosk" / "tests" / "test_kiosk.py").read_text(encoding="utf-8")
    assert "async def kiosk_entries" in (tmp_path / "kiosk" / "kiosk" / "graphql.py").read_text(encoding="utf-8")
    again = runner.invoke(cli, ["plugin", "new", "kiosk", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "exists already" in again.output
