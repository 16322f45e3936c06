"""``localci fetch``: find a result through the channels' fallback chain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import config_option, publish_options
from localci.cli.output import emit_json

if TYPE_CHECKING:
    from localci.publish.credentials import PublishFlags

__all__ = ["fetch"]


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the result and bundle as JSON.")
@click.option("--no-local", is_flag=True, help="Skip .localci/results; ask the remotes.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write <sha>.json (the signed bytes) and its bundles into this folder.",
)
@config_option
@publish_options
def fetch(
    ref: str,
    as_json: bool,
    no_local: bool,
    out: Path | None,
    config_path: Path | None,
    publish: PublishFlags,
) -> None:
    """Get the result for REF: local results, then the notes ref on the remote, then
    GitHub's attestation store, then the Check Run's output. Says which channel answered."""
    from localci.publish.flow import FetchRequest, fetch_command
    from localci.redact import load_rules, printable
    from localci.result.render import render_result

    load_rules()  # what a remote holds is printed: the full rule set masks it
    fetched = fetch_command(
        FetchRequest(
            cwd=Path.cwd(), ref=ref, local=not no_local, config=config_path, publish=publish
        )
    )
    click.echo(f"fetched from: {fetched.channel}", err=True)
    if out is not None:
        from localci.publish.fetch import save_fetched

        for path in save_fetched(out, fetched.sha, fetched.signed):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        emit_json(fetched.to_dict())
    else:
        click.echo(printable(render_result(fetched.signed.result)))
