"""``localci run``: run the stages on a commit, then sign and publish as asked."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from localci.cli.options import config_option, publish_options, signing_options
from localci.cli.output import print_run_report

if TYPE_CHECKING:
    from localci.attest.options import SigningOptions
    from localci.publish.credentials import PublishFlags

__all__ = ["run"]


@click.command()
@config_option
@click.option("--in-place", is_flag=True, help="Run in the work tree, not a clean worktree.")
@click.option("--rev", default="HEAD", show_default=True, help="The commit to test.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Stages to run at once [default: CPU count].",
)
@click.option(
    "--python",
    "python",
    help="The project's Python for {python} (a path or a command) [default: config "
    "`python:`, VIRTUAL_ENV, .venv/, then localci's own].",
)
@click.option("--fail-fast", is_flag=True, help="Stop every stage at the first failure.")
@click.option("--no-cache", is_flag=True, help="Run even if this tree already passed.")
@click.option("--cache-failures", is_flag=True, help="Also re-use a cached failing result.")
@click.option(
    "--rerun-failures",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Re-run failed tests by node id up to N times; those that pass are flaky.",
)
@click.option("--stage", "only", multiple=True, help="Run only this stage (and its needs).")
@click.option("--skip", multiple=True, help="Do not run this stage.")
@click.option("-v", "--verbose", is_flag=True, help="Stream every stage's output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result document on stdout.")
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    help="Run tests stages here, or sharded over a Dask cluster [default: config, local].",
)
@click.option("--scheduler", help="Dask scheduler address (tcp://HOST:8786 or tls://...).")
@click.option("--shards", type=click.IntRange(min=1), help="Shards per tests stage.")
@click.option("--sign", "do_sign", is_flag=True, help="Sign the result with Sigstore.")
@signing_options
@click.option("--post-results", is_flag=True, help="Publish: notes ref, Check Run or status.")
@publish_options
def run(
    config_path: Path | None,
    in_place: bool,
    rev: str,
    jobs: int | None,
    python: str | None,
    fail_fast: bool,
    no_cache: bool,
    cache_failures: bool,
    rerun_failures: int,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    verbose: bool,
    as_json: bool,
    executor: str | None,
    scheduler: str | None,
    shards: int | None,
    do_sign: bool,
    signing: SigningOptions,
    post_results: bool,
    publish: PublishFlags,
) -> None:
    """Run the configured stages on the commit and record the result.

    By default the stages run in a clean, detached worktree of the commit, so
    uncommitted edits cannot leak into the result. Independent stages run in parallel;
    a tree that already passed with the same config and tools is not run again.
    The result is written to .localci/results/<sha>.json; logs to .localci/runs/<run-id>/.
    """
    from localci.publish.flow import RunRequest, run_command
    from localci.run.console import ConsoleReporter
    from localci.run.pipeline import RunOptions

    request = RunRequest(
        run=RunOptions(
            cwd=Path.cwd(),
            rev=rev,
            config=config_path,
            in_place=in_place,
            jobs=jobs or os.cpu_count() or 1,
            fail_fast=fail_fast,
            python=python,
            only=only,
            skip=skip,
            stream=verbose,
            use_cache=not no_cache,
            cache_failures=cache_failures,
            executor=executor,
            scheduler=scheduler,
            shards=shards,
            rerun_failures=rerun_failures,
        ),
        signing=signing if do_sign else None,
        post=post_results,
        publish=publish,
    )
    report = run_command(request, ConsoleReporter(verbose=verbose))
    print_run_report(report, as_json=as_json)
    sys.exit(report.exit_code)
