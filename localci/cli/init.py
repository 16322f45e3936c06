"""``localci init``: write a starter configuration."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["init"]


@click.command()
@click.option("--pyproject", is_flag=True, help="Write [tool.localci] into pyproject.toml.")
@click.option("--force", is_flag=True, help="Overwrite an existing .localci.yml.")
def init(pyproject: bool, force: bool) -> None:
    """Write a starter configuration for this project."""
    from localci.config.init import init_project

    path = init_project(Path.cwd(), pyproject=pyproject, force=force)
    click.echo(f"wrote {path}")
