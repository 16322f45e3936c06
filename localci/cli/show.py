"""``localci show``: print a stored result."""

from __future__ import annotations

from pathlib import Path

import click

from localci.cli.output import emit_json

__all__ = ["show"]


@click.command()
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result document.")
def show(ref: str | None, as_json: bool) -> None:
    """Print the stored result for REF (a sha, a prefix, or a revision; default: newest)."""
    from localci.redact import printable
    from localci.result.render import render_result
    from localci.result.show import load_stored_result

    result, doc = load_stored_result(Path.cwd(), ref)
    if as_json:
        emit_json(doc)
    else:
        # A stored result may have come from elsewhere: no terminal control from it.
        click.echo(printable(render_result(result, output=True)))
