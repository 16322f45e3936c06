"""The ``localci`` command line: parse, call one core function, print, exit.

Only this module imports click. Errors from the core are :class:`~localci.errors.LocalciError`
subclasses; :func:`main` prints their diagnostics once and exits with their code. A
traceback is shown only with ``--debug`` or for a true bug (exit 3). Heavy modules are
imported inside the commands that need them, so ``localci --help`` starts fast.
"""

from __future__ import annotations

import json
import logging
import os
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
        click.option(
            "--identity-token",
            envvar="SIGSTORE_ID_TOKEN",
            show_envvar=True,
            help="OIDC identity token to sign with (never printed).",
        ),
        click.option(
            "--trust-config",
            type=click.Path(path_type=Path, exists=True, dir_okay=False),
            help="ClientTrustConfig JSON: a private Sigstore.",
        ),
        click.option("--staging", is_flag=True, help="Use Sigstore's staging instance."),
        click.option(
            "--oauth-force-oob",
            is_flag=True,
            help="Interactive sign-in without a browser: paste a code.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _signing(
    identity_token: str | None, trust_config: Path | None, staging: bool, oauth_force_oob: bool
) -> Any:
    from localci.attest.signing import SigningOptions

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


def _publish_flags(func: Any) -> Any:
    """Options for the publishing channels (``run --post-results``, ``post``, ``fetch``)."""
    options = [
        click.option(
            "--token",
            help="GitHub token (default: GITHUB_TOKEN, GH_TOKEN, `gh auth token`). Never printed.",
        ),
        click.option("--app-id", type=int, help="GitHub App id (App authentication)."),
        click.option(
            "--app-private-key",
            type=click.Path(path_type=Path, exists=True, dir_okay=False),
            help="GitHub App private key (PEM file).",
        ),
        click.option(
            "--installation-id",
            type=int,
            help="App installation (default: found from the repository).",
        ),
        click.option(
            "--api-url",
            envvar="GITHUB_API_URL",
            default="https://api.github.com",
            show_default=True,
            help="GitHub API base URL (GitHub Enterprise Server).",
        ),
        click.option(
            "--repo",
            "github_repo",
            help="owner/name (default: GITHUB_REPOSITORY or the remote's URL).",
        ),
        click.option("--remote", help="git remote for the notes ref (default: origin)."),
        click.option("--no-notes", is_flag=True, help="Do not publish through git notes."),
        click.option("--no-github", is_flag=True, help="Do not post to GitHub."),
        click.option(
            "--max-wait",
            type=float,
            default=300.0,
            show_default=True,
            help="Seconds of retry waits allowed before spooling.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _publish_options(root: Path, config: Any, kw: dict[str, Any]) -> Any:
    from dataclasses import replace as dc_replace

    from localci.publish.deliver import Credentials, PublishOptions, resolve_repo, resolve_token

    publish_cfg = config.publish
    if kw.get("remote"):
        publish_cfg = dc_replace(publish_cfg, remote=kw["remote"])
    key = kw.get("app_private_key")
    creds = Credentials(
        token=None if kw.get("app_id") else resolve_token(kw.get("token")),
        app_id=kw.get("app_id"),
        app_private_key=key.read_text(encoding="utf-8") if key else None,
        installation_id=kw.get("installation_id"),
    )
    return PublishOptions(
        publish=publish_cfg,
        notes=not kw.get("no_notes"),
        github=not kw.get("no_github"),
        repo=resolve_repo(root, kw.get("github_repo"), publish_cfg.remote),
        api_url=(kw.get("api_url") or "https://api.github.com").rstrip("/"),
        credentials=creds,
        max_wait=kw.get("max_wait", 300.0),
    )


def _print_checks(verdict: Any, *, err: bool) -> None:
    for check in verdict.checks:
        mark = "ok  " if check.passed else "FAIL"
        click.echo(f"  {mark} {check.name:<11} {check.reason}", err=err)


def _print_outcomes(outcomes: Any) -> None:
    for o in outcomes:
        where = f" {o.url}" if o.url else ""
        click.echo(f"  {o.channel}: {o.state}: {o.message}{where}", err=True)


_PUBLISH_KEYS = (
    "token",
    "app_id",
    "app_private_key",
    "installation_id",
    "api_url",
    "github_repo",
    "remote",
    "no_notes",
    "no_github",
    "max_wait",
)


@cli.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--in-place", is_flag=True, help="Run in the work tree, not a clean worktree.")
@click.option("--rev", default="HEAD", show_default=True, help="The commit to test.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Stages to run at once [default: CPU count].",
)
@click.option("--fail-fast", is_flag=True, help="Stop every stage at the first failure.")
@click.option("--no-cache", is_flag=True, help="Run even if this tree already passed.")
@click.option("--cache-failures", is_flag=True, help="Also re-use a cached failing result.")
@click.option("--stage", "only", multiple=True, help="Run only this stage (and its needs).")
@click.option("--skip", multiple=True, help="Do not run this stage.")
@click.option("-v", "--verbose", is_flag=True, help="Stream every stage's output.")
@click.option("--json", "as_json", is_flag=True, help="Print the result document on stdout.")
@click.option("--sign", "do_sign", is_flag=True, help="Sign the result with Sigstore.")
@_signing_options
@click.option("--post-results", is_flag=True, help="Publish: notes ref, Check Run or status.")
@_publish_flags
def run(
    config_path: Path | None,
    in_place: bool,
    rev: str,
    jobs: int | None,
    fail_fast: bool,
    no_cache: bool,
    cache_failures: bool,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    verbose: bool,
    as_json: bool,
    do_sign: bool,
    identity_token: str | None,
    trust_config: Path | None,
    staging: bool,
    oauth_force_oob: bool,
    post_results: bool,
    **publish_kw: Any,
) -> None:
    """Run the configured stages on the commit and record the result.

    By default the stages run in a clean, detached worktree of the commit, so
    uncommitted edits cannot leak into the result. Independent stages run in parallel;
    a tree that already passed with the same config and tools is not run again.
    The result is written to .localci/results/<sha>.json; logs to .localci/runs/<run-id>/.
    """
    from localci.result.render import render_result
    from localci.run.console import ConsoleReporter
    from localci.run.pipeline import RunOptions, execute

    reporter = ConsoleReporter(verbose=verbose)
    options = RunOptions(
        cwd=Path.cwd(),
        rev=rev,
        config=config_path,
        in_place=in_place,
        jobs=jobs or os.cpu_count() or 1,
        fail_fast=fail_fast,
        only=only,
        skip=skip,
        stream=verbose,
        use_cache=not no_cache,
        cache_failures=cache_failures,
    )
    outcome = execute(options, reporter)
    if do_sign:
        from localci.attest.document import sign_document

        _report_signed(
            sign_document(
                outcome.result_path,
                _signing(identity_token, trust_config, staging, oauth_force_oob),
            )
        )
    if as_json:
        _emit_json(outcome.document)
    else:
        click.echo(render_result(outcome.result), err=True)
        click.echo(f"result: {outcome.result_path}", err=True)
    code = 0 if outcome.result.conclusion == "success" else 1
    from localci.publish.spool import has_spooled

    if post_results or has_spooled(outcome.root):
        from localci.publish.post import post_result, retry_spool_briefly

        # Posts spooled earlier (e.g. before the commit was pushed) go out first, briefly,
        # and never change this run's exit code.
        publishing = _publish_options(outcome.root, outcome.config, publish_kw)
        _print_outcomes(retry_spool_briefly(outcome.root, publishing))
    if post_results:
        report = post_result(outcome.root, outcome.result_path, publishing)
        _print_outcomes(report.outcomes)
        code = max(code, report.exit_code)
    sys.exit(code)


@cli.command()
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result document.")
def show(ref: str | None, as_json: bool) -> None:
    """Print the stored result for REF (a sha, a prefix, or a revision; default: newest)."""
    from localci.result.render import render_result
    from localci.result.show import load_stored_result

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
    from localci.config.init import init_config
    from localci.git import repo_root

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

    from localci.config.check import check_config, effective_config

    config = check_config(Path.cwd(), config_path)
    doc = effective_config(config)
    if as_json:
        _emit_json(doc)
    else:
        click.echo(f"# {config.path}: valid", err=True)
        click.echo(yaml.safe_dump(doc, sort_keys=False), nl=False)


@cli.command()
@click.argument("ref", required=False)
@click.option("--pending", is_flag=True, help="Deliver what is spooled, and nothing else.")
@click.option("--dry-run", is_flag=True, help="Print every request instead of sending it.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@_publish_flags
def post(
    ref: str | None, pending: bool, dry_run: bool, config_path: Path | None, **publish_kw: Any
) -> None:
    """Publish the stored result for REF (default: newest): the notes ref on the remote,
    and a Check Run (App or Actions token) or commit status (personal token) on GitHub.

    Undeliverable posts are spooled in .localci/spool and exit 5; a commit not yet on
    GitHub is spooled without failing (delivered by `localci post --pending` later).
    """
    from localci.attest.document import locate_result
    from localci.config.loader import load_config
    from localci.git import repo_root
    from localci.publish.deliver import drain_spool, plan_requests
    from localci.publish.post import load_note, post_result, retry_spool_briefly

    root = repo_root(Path.cwd())
    config = load_config(root, config_path.resolve() if config_path else None)
    options = _publish_options(root, config, publish_kw)
    if pending:
        outcomes = drain_spool(root, options)
        _print_outcomes(outcomes)
        if not outcomes:
            click.echo("nothing is spooled", err=True)
        sys.exit(max((o.exit_code for o in outcomes), default=0))
    path = locate_result(Path.cwd(), ref)
    if dry_run:
        for request in plan_requests(load_note(path), options):
            click.echo(request.render())
        sys.exit(0)
    _print_outcomes(retry_spool_briefly(root, options))
    report = post_result(root, path, options)
    _print_outcomes(report.outcomes)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the result and bundle as JSON.")
@click.option("--no-local", is_flag=True, help="Skip .localci/results; ask the remotes.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@_publish_flags
def fetch(
    ref: str, as_json: bool, no_local: bool, config_path: Path | None, **publish_kw: Any
) -> None:
    """Get the result for REF: local results, then the notes ref on the remote, then the
    Check Run's output. Says which channel answered."""
    from localci.config.loader import load_config
    from localci.git import repo_root, resolve_commit
    from localci.publish.fetch import fetch_result
    from localci.result.model import result_from_dict
    from localci.result.render import render_result

    root = repo_root(Path.cwd())
    config = load_config(root, config_path.resolve() if config_path else None)
    sha = resolve_commit(root, ref)
    fetched = fetch_result(
        root, sha, _publish_options(root, config, publish_kw), local=not no_local
    )
    click.echo(f"fetched from: {fetched.channel}", err=True)
    if as_json:
        _emit_json(fetched.to_dict())
    else:
        click.echo(render_result(result_from_dict(fetched.note.result)))


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
    from localci.attest.document import locate_result, sign_document

    path = locate_result(Path.cwd(), target)
    _report_signed(
        sign_document(path, _signing(identity_token, trust_config, staging, oauth_force_oob))
    )


@cli.command()
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
        _emit_json(verdict.to_dict())
    else:
        _print_checks(verdict, err=False)
        click.echo("accepted" if verdict.accepted else "rejected")
    sys.exit(verdict.exit_code)


@cli.group()
def hook() -> None:
    """The pre-push hook: run, sign and publish before a push leaves the machine."""


@hook.command("install")
@click.option("--force", is_flag=True, help="Replace a foreign pre-push hook (not kept).")
def hook_install(force: bool) -> None:
    """Install the pre-push hook (core.hooksPath respected; a foreign hook is kept as
    pre-push.legacy and still run first)."""
    from localci.git import repo_root
    from localci.hooks.prepush import install

    click.echo(f"installed {install(repo_root(Path.cwd()), force=force)}")


@hook.command("uninstall")
def hook_uninstall() -> None:
    """Remove localci's pre-push hook (and restore a legacy one)."""
    from localci.git import repo_root
    from localci.hooks.prepush import uninstall

    removed = uninstall(repo_root(Path.cwd()))
    click.echo("removed the pre-push hook" if removed else "no localci pre-push hook found")


@hook.command("run", hidden=True)
@click.argument("hook_type", type=click.Choice(["pre-push"]))
@click.argument("remote")
@click.argument("url", required=False)
def hook_run(hook_type: str, remote: str, url: str | None) -> None:
    """What the installed hook calls (reads git's pre-push lines on stdin)."""
    from localci.git import repo_root
    from localci.hooks.prepush import run_pre_push
    from localci.run.console import ConsoleReporter

    reporter = ConsoleReporter()
    code = run_pre_push(
        repo_root(Path.cwd()), remote, sys.stdin.read().splitlines(), reporter=reporter
    )
    sys.exit(code)


@cli.command()
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
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="ClientTrustConfig JSON: a private Sigstore.",
)
@click.option("--staging", is_flag=True, help="Verify against Sigstore's staging instance.")
@click.option("--offline", is_flag=True, help="Use the cached Sigstore trust root.")
@click.option(
    "--exit-code",
    "mirror",
    is_flag=True,
    help="Exit 1/4 when the gate fails (default: 0 once the Check Run is posted).",
)
@_publish_flags
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
    mirror: bool,
    **publish_kw: Any,
) -> None:
    """Verify the commit under review and post the gating Check Run (the verifier
    workflow's step). The policy comes from the BASE commit; nothing from the change
    under review is executed."""
    from dataclasses import replace as dc_replace

    from localci.config.loader import DEFAULT_CONFIG_YAML, ConfigSource, parse_config
    from localci.git import git as run_git
    from localci.git import repo_root
    from localci.verifier.gate import GateRequest, git_auth_env, load_event
    from localci.verifier.gate import gate as run_gate

    root = repo_root(Path.cwd())
    defaults = parse_config(
        ConfigSource(kind="default", display="<default>", text=DEFAULT_CONFIG_YAML)
    )
    options = _publish_options(root, defaults, publish_kw)
    try:
        url = run_git(root, "remote", "get-url", options.publish.remote)
    except LocalciError:
        url = ""
    options = dc_replace(options, git_env=git_auth_env(url, options.credentials.token))
    outcomes = run_gate(
        GateRequest(
            root=root,
            publish=options,
            check_name=check_name,
            config_path=config_path,
            event_name=event_name,
            event=load_event(event_path),
            sha=sha,
            base_sha=base_sha,
            trust_config=trust_config,
            staging=staging,
            offline=offline,
        )
    )
    if not outcomes:
        click.echo("nothing to gate for this event", err=True)
    worst = 0
    for o in outcomes:
        click.echo(f"{o.target.head[:12]}: {o.conclusion} ({o.reason}) {o.url or ''}", err=True)
        if o.verdict is not None:
            _print_checks(o.verdict, err=True)
    sys.exit(worst if mirror else 0)


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
