"""``localci post``: publish a stored result, deliver the spool, or plan a dry run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import config_option, publish_options
from localci.cli.output import print_outcomes

if TYPE_CHECKING:
    from localci.publish.credentials import PublishFlags

__all__ = ["post"]


@click.command()
@click.argument("ref", required=False)
@click.option("--pending", is_flag=True, help="Deliver what is spooled, and nothing else.")
@click.option("--dry-run", is_flag=True, help="Print every request instead of sending it.")
@config_option
@publish_options
def post(
    ref: str | None, pending: bool, dry_run: bool, config_path: Path | None, publish: PublishFlags
) -> None:
    """Publish the stored result for REF (default: newest): the notes ref on the remote,
    and a Check Run (App or Actions token) or commit status (personal token) on GitHub.

    Undeliverable posts are spooled in .localci/spool and exit 5; a commit not yet on
    GitHub is spooled without failing (delivered by `localci post --pending` later).
    """
    from localci.publish.flow import PostRequest, post_command

    report = post_command(
        PostRequest(
            cwd=Path.cwd(),
            ref=ref,
            pending=pending,
            dry_run=dry_run,
            config=config_path,
            publish=publish,
        )
    )
    for request in report.planned:
        click.echo(request.render())
    print_outcomes(report.drained)
    if report.mode == "pending" and not report.drained:
        click.echo("nothing is spooled", err=True)
    if report.published is not None:
        print_outcomes(report.published.outcomes)
    sys.exit(report.exit_code)
