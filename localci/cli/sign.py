"""``localci sign``: sign a stored result with Sigstore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import signing_options
from localci.cli.output import print_signed

if TYPE_CHECKING:
    from localci.attest.options import SigningOptions

__all__ = ["sign"]


@click.command()
@click.argument("target", required=False)
@signing_options
def sign(target: str | None, signing: SigningOptions) -> None:
    """Sign a stored result: TARGET is a sha, a revision or a result file (default: newest).

    The signed object is an in-toto Statement whose subject is git+<repo-url>@<commit>
    with the sha256 of the result's RFC 8785 canonical JSON; the Sigstore bundle is
    written beside the result as <sha>.sigstore.json. Signing with the public-good
    instance publishes your identity and the digest in the public Rekor log.
    """
    from localci.attest.document import sign_target

    print_signed(sign_target(Path.cwd(), target, signing))
