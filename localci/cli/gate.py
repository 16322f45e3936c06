"""``localci gate``: the verifier workflow's step."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import publish_options
from localci.cli.output import print_checks

if TYPE_CHECKING:
    from localci.publish.credentials import PublishFlags

__all__ = ["gate"]


@click.command()
@click.option(
    "--check-name",
    default="localci / verify",
    show_default=True,
    help="Name of the gating Check Run.",
)
@click.option(
    "--config",
    "config_path",
    default=".localci.yml",
    show_default=True,
    help="Config file, read from the BASE commit.",
)
@click.option("--event-name", envvar="GITHUB_EVENT_NAME", help="GitHub event name.")
@click.option(
    "--event-path",
    envvar="GITHUB_EVENT_PATH",
    type=click.Path(path_type=Path, dir_okay=False),
    help="GitHub event payload.",
)
@click.option("--sha", help="The commit to gate (instead of the event's).")
@click.option("--base-sha", help="The base commit whose policy applies (with --sha).")
@click.option(
    "--trust-config",
    envvar="LOCALCI_TRUST_CONFIG",
    show_envvar=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="ClientTrustConfig JSON: a private Sigstore.",
)
@click.option("--staging", is_flag=True, help="Verify against Sigstore's staging instance.")
@click.option("--offline", is_flag=True, help="Use the cached Sigstore trust root.")
@click.option(
    "--attest",
    is_flag=True,
    help="Also sign the verdict as a SLSA VSA with the workflow's identity and store it in "
    "GitHub's attestation store (needs id-token: write and attestations: write).",
)
@click.option(
    "--dispatch-token",
    envvar="LOCALCI_DISPATCH_TOKEN",
    show_envvar=True,
    help="Own token (contents: write) for the localci-failure dispatch "
    "(publish.dispatch_on_failure); never printed.",
)
@click.option(
    "--exit-code",
    "mirror",
    is_flag=True,
    help="Exit 1/4 when the gate fails (default: 0 once the Check Run is posted).",
)
@publish_options
def gate(
    check_name: str,
    config_path: str,
    event_name: str | None,
    event_path: Path | None,
    sha: str | None,
    base_sha: str | None,
    trust_config: Path | None,
    staging: bool,
    offline: bool,
    attest: bool,
    dispatch_token: str | None,
    mirror: bool,
    publish: PublishFlags,
) -> None:
    """Verify the commit under review and post the gating Check Run (the verifier
    workflow's step). The policy comes from the BASE commit; nothing from the change
    under review is executed."""
    from localci.verifier.gate_command import GateCommand, gate_command

    ran = gate_command(
        GateCommand(
            cwd=Path.cwd(),
            publish=publish,
            check_name=check_name,
            config_path=config_path,
            event_name=event_name,
            event_path=event_path,
            sha=sha,
            base_sha=base_sha,
            trust_config=trust_config,
            staging=staging,
            offline=offline,
            attest=attest,
            dispatch_token=dispatch_token or None,
        )
    )
    if not ran.outcomes:
        click.echo(f"nothing to gate for this event: {ran.note or 'no target'}", err=True)
    for o in ran.outcomes:
        click.echo(f"{o.target.head[:12]}: {o.conclusion} {o.url or ''}", err=True)
        if o.target.problem:
            click.echo(f"  {o.target.problem}", err=True)
        for j in o.judgements:
            click.echo(f"  {j.subject.label}: {j.conclusion} ({j.reason})", err=True)
            if j.verdict is not None:
                print_checks(j.verdict, err=True)
        for note in o.notes:
            click.echo(f"  {note}", err=True)
    sys.exit(ran.exit_code if mirror else 0)
