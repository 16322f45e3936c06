"""The ``localci`` command line: parse, call one core function, print, exit.

Only this module imports click. Errors from the core are :class:`~localci.errors.LocalciError`
subclasses; :func:`main` prints their diagnostics once and exits with their code. A
traceback is shown only with ``--debug`` or for a true bug (exit 3). Heavy modules are
imported inside the commands that need them, so ``localci --help`` starts fast.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from localci import __version__
from localci.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, LocalciError

__all__ = ["cli", "main"]

_DEBUG = {"on": False}


def _emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="localci")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Run your project's CI on your machine, bind the result to the commit, sign and
    publish it, and let GitHub gate merges on it.

    \b
    Exit codes: 0 passed · 1 a check or threshold failed · 2 usage or configuration error
    · 3 internal error · 4 verification failed · 5 GitHub or git remote unreachable
    (result spooled) · 130 interrupted.
    """
    _DEBUG["on"] = debug
    if not debug:
        # sigstore logs advice meant for its own CLI (e.g. offline TUF notices) at WARNING.
        logging.getLogger("sigstore").setLevel(logging.ERROR)


def _signing_options(func: Any) -> Any:
    """The options every signing command shares (sigstore's names and meanings)."""
    options = [
        click.option("--identity-token", envvar="SIGSTORE_ID_TOKEN", show_envvar=True,
                     help="OIDC identity token to sign with (never printed)."),
        click.option("--trust-config", type=click.Path(path_type=Path, exists=True,
                     dir_okay=False), help="ClientTrustConfig JSON: a private Sigstore."),
        click.option("--staging", is_flag=True, help="Use Sigstore's staging instance."),
        click.option("--oauth-force-oob", is_flag=True,
                     help="Interactive sign-in without a browser: paste a code."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _signing(identity_token: str | None, trust_config: Path | None, staging: bool,
             oauth_force_oob: bool) -> Any:
    from localci.attest import SigningOptions

    return SigningOptions(
        identity_token=identity_token or None,
        trust_config=trust_config,
        staging=staging,
        oauth_force_oob=oauth_force_oob,
        interactive=sys.stdin.isatty() and sys.stderr.isatty(),
    )


def _report_signed(outcome: Any) -> None:
    click.echo(f"signed by {outcome.identity} (issuer {outcome.issuer})", err=True)
    click.echo(f"bundle: {outcome.bundle_path}", err=True)


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--in-place", is_flag=True, help="Run in the work tree, not a clean worktree.")
@click.option("--rev", default="HEAD", show_default=True, help="The commit to test.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Stages to run at once.")
@click.option("--fail-fast", is_flag=True, help="Stop every stage at the first failure.")
@click.option("--stage", "only", multiple=True, help="Run only this stage (and its needs).")
@click.option("--skip", multiple=True, help="Do not run this stage.")
@click.option("-v", "--verbose", is_flag=True, help="Stream every stage's output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result document on stdout.")
@click.option("--sign", "do_sign", is_flag=True, help="Sign the result with Sigstore.")
@_signing_options
def run(
    config_path: Path | None,
    in_place: bool,
    rev: str,
    jobs: int,
    fail_fast: bool,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    verbose: bool,
    as_json: bool,
    do_sign: bool,
    identity_token: str | None,
    trust_config: Path | None,
    staging: bool,
    oauth_force_oob: bool,
) -> None:
    """Run the configured stages on the commit and record the result.

    By default the stages run in a clean, detached worktree of the commit, so
    uncommitted edits cannot leak into the result. The result is written to
    .localci/results/<sha>.json; logs to .localci/runs/<run-id>/.
    """
    from localci.console import ConsoleReporter
    from localci.render import render_result
    from localci.runner import RunOptions, execute

    reporter = ConsoleReporter(verbose=verbose)
    options = RunOptions(
        cwd=Path.cwd(),
        rev=rev,
        config=config_path,
        in_place=in_place,
        jobs=jobs,
        fail_fast=fail_fast,
        only=only,
        skip=skip,
        stream=verbose,
    )
    outcome = execute(options, reporter)
    if do_sign:
        from localci.commands.sign import sign_document

        _report_signed(sign_document(
            outcome.result_path, _signing(identity_token, trust_config, staging, oauth_force_oob)
        ))
    if as_json:
        _emit_json(outcome.document)
    else:
        click.echo(render_result(outcome.result), err=True)
        click.echo(f"result: {outcome.result_path}", err=True)
    sys.exit(0 if outcome.result.conclusion == "success" else 1)


@cli.command()
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result document.")
def show(ref: str | None, as_json: bool) -> None:
    """Print the stored result for REF (a sha, a prefix, or a revision; default: newest)."""
    from localci.commands.show import load_stored_result
    from localci.render import render_result

    result, doc = load_stored_result(Path.cwd(), ref)
    if as_json:
        _emit_json(doc)
    else:
        click.echo(render_result(result))


@cli.command()
@click.option("--pyproject", is_flag=True, help="Write [tool.localci] into pyproject.toml.")
@click.option("--force", is_flag=True, help="Overwrite an existing .localci.yml.")
def init(pyproject: bool, force: bool) -> None:
    """Write a starter configuration for this project."""
    from localci.commands.init import init_config
    from localci.gitrepo import repo_root

    try:
        root = repo_root(Path.cwd())
    except LocalciError:
        root = Path.cwd()
    path = init_config(root, pyproject=pyproject, force=force)
    click.echo(f"wrote {path}")


@cli.command("config")
@click.option("--check", is_flag=True, help="Validate and print the effective configuration.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of YAML.")
def config_cmd(check: bool, config_path: Path | None, as_json: bool) -> None:
    """Validate the configuration and print the effective one (every default filled in)."""
    import yaml

    from localci.commands.config_check import check_config, effective_config

    config = check_config(Path.cwd(), config_path)
    doc = effective_config(config)
    if as_json:
        _emit_json(doc)
    else:
        click.echo(f"# {config.path}: valid", err=True)
        click.echo(yaml.safe_dump(doc, sort_keys=False), nl=False)


@cli.command()
@click.argument("target", required=False)
@_signing_options
def sign(
    target: str | None,
    identity_token: str | None,
    trust_config: Path | None,
    staging: bool,
    oauth_force_oob: bool,
) -> None:
    """Sign a stored result: TARGET is a sha, a revision or a result file (default: newest).

    The signed object is an in-toto Statement whose subject is git+<repo-url>@<commit>
    with the sha256 of the result's RFC 8785 canonical JSON; the Sigstore bundle is
    written beside the result as <sha>.sigstore.json. Signing with the public-good
    instance publishes your identity and the digest in the public Rekor log.
    """
    from localci.commands.sign import locate_result, sign_document

    path = locate_result(Path.cwd(), target)
    _report_signed(
        sign_document(path, _signing(identity_token, trust_config, staging, oauth_force_oob))
    )


@cli.command()
@click.argument("ref", required=False)
@click.option("--policy", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              required=True, help="Config file whose verify: section applies (the BASE's).")
@click.option("--result", "result_path", type=click.Path(path_type=Path),
              help="Result file (default: .localci/results/<sha>.json).")
@click.option("--bundle", "bundle_path", type=click.Path(path_type=Path),
              help="Sigstore bundle (default: beside the result).")
@click.option("--sha", help="The commit being gated (default: REF resolved by git).")
@click.option("--tree", help="The tree of that commit (for accept_same_tree).")
@click.option("--trust-config", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="ClientTrustConfig JSON: a private Sigstore.")
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
    from localci.commands.verify import VerifyRequest, run_verify

    verdict = run_verify(VerifyRequest(
        cwd=Path.cwd(), policy=policy, ref=ref, result=result_path, bundle=bundle_path,
        sha=sha, tree=tree, trust_config=trust_config, staging=staging,
    ))
    if as_json:
        _emit_json(verdict.to_dict())
    else:
        for check in verdict.checks:
            mark = "ok  " if check.passed else "FAIL"
            click.echo(f"  {mark} {check.name:<11} {check.reason}")
        click.echo("accepted" if verdict.accepted else "rejected")
    sys.exit(verdict.exit_code)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the CLI and turn every outcome into an exit code."""
    try:
        code = cli.main(args=argv, prog_name="localci", standalone_mode=False)
    except LocalciError as exc:
        _fail(exc.diagnostics(), exc.exit_code)
    except click.exceptions.Abort:
        _fail("interrupted", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code not in (0, 1) else exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception:
        detail = traceback.format_exc()
        if _DEBUG["on"]:
            click.echo(detail, err=True)
        _fail(
            "localci hit an internal error (a bug): "
            + detail.strip().splitlines()[-1]
            + ("" if _DEBUG["on"] else "\nRun with --debug for the traceback."),
            EXIT_INTERNAL,
        )
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"localci: error: {message}", err=True)
    sys.exit(code)
