"""``localci config --check``: validate and print the effective configuration."""

from __future__ import annotations

from pathlib import Path

import click

from localci.cli.options import config_option
from localci.cli.output import emit_json

__all__ = ["config_cmd"]


@click.command("config")
@click.option("--check", is_flag=True, help="Validate and print the effective configuration.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of YAML.")
def config_cmd(check: bool, config_path: Path | None, as_json: bool) -> None:
    """Validate the configuration and print the effective one (every default filled in)."""
    import yaml

    from localci.config.check import check_config, effective_config, isolated_config_note
    from localci.config.identity import identity_regex_warnings

    config = check_config(Path.cwd(), config_path)
    for warning in identity_regex_warnings(config):
        click.echo(f"warning: {warning}", err=True)
    doc = effective_config(config)
    note = isolated_config_note(Path.cwd())
    if as_json:
        emit_json({**doc, "isolated_run": note})
    else:
        click.echo(f"# {config.path}: valid", err=True)
        click.echo(f"# {note}", err=True)
        click.echo(yaml.safe_dump(doc, sort_keys=False), nl=False)
