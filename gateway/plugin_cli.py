"""``linli plugin …``: commands for plugin authors (``new`` renders a plugin package)."""

from __future__ import annotations

from pathlib import Path

import typer

plugin_cli = typer.Typer(help="Write plugins: `linli plugin new NAME` starts one.")


@plugin_cli.command("new")
def new(
    name: str = typer.Argument(..., help="plugin name and Python package, e.g. bike_sheds"),
    directory: Path = typer.Option(Path("."), "--dir", "-d", help="folder to create the package in"),
    description: str = typer.Option("", "--description", help="one line saying what the plugin does"),
) -> None:
    """Create an installable plugin package NAME/ from Linli's template: entry point, manifest,
    a model and its migration, a query and a mutation with permissions, a scheduled job, an
    event handler, a docs page and passing tests."""
    from kernel.sdk.scaffold import ScaffoldError, render_plugin

    try:
        target = render_plugin(name, directory, description=description)
    except ScaffoldError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created {target}\nnext: cd {target} && pip install -e . && pytest -q")
