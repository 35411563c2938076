"""``linli plugin new``: a new plugin package rendered from Linli's template (with copier).

The template (``kernel/sdk/template``, shipped as package data) makes an installable
distribution: a pyproject with the ``linli.plugins`` entry point, the manifest, one model with its
migration, one query and one mutation guarded by permissions (with default role grants), one
scheduled job, one event handler, a docs page and tests on the testing kit that pass as rendered.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ScaffoldError(ValueError):
    """The plugin cannot be rendered (a bad name, a folder in the way); the message says why."""


def render_plugin(name: str, destination: Path, *, description: str = "") -> Path:
    """Render the template for plugin ``name`` into ``destination / name`` and return that path.

    ``name`` is the plugin's name and Python package: 2–40 lowercase letters, digits or
    underscores, starting with a letter. The folder must not exist yet.
    """
    if not NAME.match(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(
            f"{name!r} is not a plugin name: use 2–40 lowercase letters, digits or single underscores, starting with a letter"
        )
    target = Path(destination) / name
    if target.exists():
        raise ScaffoldError(f"{target} exists already; choose another name or folder")
    from copier import run_copy

    run_copy(
        str(TEMPLATE),
        str(target),
        data={"name": name, "description": description or f"The {name} plugin for Linli"},
        defaults=True,
        quiet=True,
        unsafe=False,
    )
    return target


__all__ = ["ScaffoldError", "render_plugin"]
