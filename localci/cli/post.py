"""``localci post``: publish a stored result, deliver the spool, or plan a dry run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import config_option, publish_options
from localci.cli.output import print_channels

if TYPE_CHECKING:
    from localci.publish.credentials import PublishFlags

__all__ = ["post"]


@click.command()
@click.argument("ref", required=False)
@click.option("--pending", is_flag=True, help="Deliver what is spooled, and nothing else.")
@click.option("--dry-run", is_flag=True, help="Print every request instead of sending it.")
@click.option(
    "--comment",
    is_flag=True,
    help="Post the PR summary (deltas against the base) as a comment, updated in place.",
)
@click.option("--pr", type=int, help="The pull request for --comment (default: by head sha).")
@config_option
@publish_options
def post(
    ref: str | None,
    pending: bool,
    dry_run: bool,
    comment: bool,
    pr: int | None,
    config_path: Path | None,
    publish: PublishFlags,
) -> None:
    """Publish the stored result for REF (default: newest): the notes ref on the remote,
    and a Check Run (App or Actions token) or commit status (personal token) on GitHub.

    Undeliverable posts are spooled in .localci/spool and exit 5; a commit not yet on
    GitHub is spooled without failing (delivered by `localci post --pending` later).
    """
    if comment:
        _comment(ref, pr, config_path, publish)
        return
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
    print_channels(report.drained, report.published)
    if report.mode == "pending" and not report.drained:
        click.echo("nothing is spooled", err=True)
    sys.exit(report.exit_code)


def _comment(
    ref: str | None, pr: int | None, config_path: Path | None, flags: PublishFlags
) -> None:
    from localci.context.command import CommentRequest, comment_command

    report = comment_command(
        CommentRequest(cwd=Path.cwd(), ref=ref, pr=pr, config=config_path, publish=flags)
    )
    click.echo(f"summary comment on #{report.number}: {report.url or '(no url)'}", err=True)
    if report.step_summary is not None:
        click.echo("summary appended to $GITHUB_STEP_SUMMARY", err=True)
