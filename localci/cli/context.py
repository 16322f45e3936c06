"""``localci context``: why a run failed, for a person or a coding agent without logs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import config_option, publish_options

if TYPE_CHECKING:
    from localci.publish.credentials import PublishFlags

__all__ = ["context"]


@click.command()
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of Markdown.")
@click.option(
    "--max-bytes",
    type=int,
    default=64 * 1024,
    show_default=True,
    help="Bound on the whole output, in bytes; what is cut is said.",
)
@config_option
@publish_options
def context(
    ref: str | None,
    as_json: bool,
    max_bytes: int,
    config_path: Path | None,
    publish: PublishFlags,
) -> None:
    """Print the failure context of the result for REF (default: the newest local result):
    each failed stage with its reason, failing tests, findings, last output lines and a
    command that reproduces it; the commit, configuration and localci version.

    The result comes from .localci/results, the notes ref on the remote, or the Check
    Run's output, whichever answers first.
    """
    from localci.context.command import ContextRequest, context_command

    text = context_command(
        ContextRequest(
            cwd=Path.cwd(),
            ref=ref,
            as_json=as_json,
            max_bytes=max_bytes,
            config=config_path,
            publish=publish,
        )
    )
    click.echo(text, nl=not text.endswith("\n"))
