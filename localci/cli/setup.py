"""``localci setup github``: print (and with ``--apply`` make) the gate's GitHub settings."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["setup"]


@click.group()
def setup() -> None:
    """Set up the services localci publishes to and gates merges with."""


@setup.command("github")
@click.option("--app-id", type=int, required=True, help="Your GitHub App that posts the check.")
@click.option(
    "--branch",
    "branches",
    multiple=True,
    help="A protected base branch (repeatable; default: the default branch).",
)
@click.option("--merge-queue", is_flag=True, help="Also admit the merge queue's branches.")
@click.option("--environment", default="localci-gate", show_default=True)
@click.option("--check-name", default="localci / verify", show_default=True)
@click.option("--ruleset-name", default="localci gate", show_default=True)
@click.option("--apply", "apply_", is_flag=True, help="Make the changes (default: print them).")
@click.option("--replace", is_flag=True, help="Update an existing ruleset of the same name.")
@click.option(
    "--token",
    help="A repository admin's token (default: GITHUB_TOKEN, GH_TOKEN, `gh auth token`).",
)
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    default="https://api.github.com",
    show_default=True,
    help="GitHub API base URL (GitHub Enterprise Server).",
)
@click.option("--repo", "github_repo", help="owner/name (default: GITHUB_REPOSITORY or origin).")
def setup_github(
    app_id: int,
    branches: tuple[str, ...],
    merge_queue: bool,
    environment: str,
    check_name: str,
    ruleset_name: str,
    apply_: bool,
    replace: bool,
    token: str | None,
    api_url: str,
    github_repo: str | None,
) -> None:
    """The deployment environment holding the gate App's key, its branch policy, and the
    ruleset requiring the gating check from that App. Prints the plan unless --apply;
    an existing, different ruleset is only replaced with --replace. Never writes secrets.
    """
    from localci.publish.github_setup import SetupCommand, setup_github_command

    plan = setup_github_command(
        SetupCommand(
            cwd=Path.cwd(),
            app_id=app_id,
            branches=branches,
            merge_queue=merge_queue,
            environment=environment,
            check_name=check_name,
            ruleset_name=ruleset_name,
            apply=apply_,
            replace=replace,
            token=token,
            api_url=api_url,
            repo=github_repo,
        )
    )
    for change in plan.changes:
        click.echo(change.render())
    if plan.refused:
        click.echo(
            "refused: an existing ruleset differs; re-run with --replace to update it", err=True
        )
    click.echo("applied" if apply_ else "dry run: nothing changed (use --apply)", err=True)
    for step in plan.next_steps:
        click.echo(f"next: {step}", err=True)
