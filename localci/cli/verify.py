"""``localci verify``: check a result and its signature against a policy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from localci.cli.output import emit_json, print_checks

__all__ = ["verify"]


@click.command()
@click.argument("ref", required=False)
@click.option(
    "--policy",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    required=True,
    help="Config file whose verify: section applies (the BASE's).",
)
@click.option(
    "--result",
    "result_path",
    type=click.Path(path_type=Path),
    help="Result file (default: .localci/results/<sha>.json).",
)
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(path_type=Path),
    help="Sigstore bundle (default: beside the result).",
)
@click.option("--sha", help="The commit being gated (default: REF resolved by git).")
@click.option("--tree", help="The tree of that commit (for accept_same_tree).")
@click.option(
    "--trust-config",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="ClientTrustConfig JSON: a private Sigstore.",
)
@click.option("--staging", is_flag=True, help="Verify against Sigstore's staging instance.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify(
    ref: str | None,
    policy: Path,
    result_path: Path | None,
    bundle_path: Path | None,
    sha: str | None,
    tree: str | None,
    trust_config: Path | None,
    staging: bool,
    as_json: bool,
) -> None:
    """Check a result and its signature against a policy for commit REF (default HEAD).

    Exit 0 accepted, 1 policy not met (thresholds, stages, age), 4 signature, identity
    or binding failure, 2 bad input.
    """
    from localci.verifier.local import VerifyRequest, run_verify

    verdict = run_verify(
        VerifyRequest(
            cwd=Path.cwd(),
            policy=policy,
            ref=ref,
            result=result_path,
            bundle=bundle_path,
            sha=sha,
            tree=tree,
            trust_config=trust_config,
            staging=staging,
        )
    )
    if as_json:
        emit_json(verdict.to_dict())
    else:
        print_checks(verdict, err=False)
        click.echo("accepted" if verdict.accepted else "rejected")
    sys.exit(verdict.exit_code)
