"""Run one stage and give its outcome meaning: a :class:`~localci.result.model.StageResult`.

The rules, by kind:

- ``command``: exit 0 passes, anything else fails.
- ``tests`` / ``lint`` / ``coverage``: an exit code in the stage's ``report_exit_codes``
  (default: the tool's own, :mod:`localci.reports.exits`: pytest 0-1, mocha the number of
  failures, nextest 100, PHPUnit 2, coverage.py 0 and 2, ...) means the tool ran and wrote
  its report; the report and thresholds decide. Any other code is an ``error``, explained
  in the tool's words (pytest's exit codes, coverage.py's message and fix), with the
  findings of the report when the tool wrote one anyway (pytest's collection errors).
  coverage.py's exit 2 (total below its ``fail_under``) fails the stage even when no
  ``min_percent`` says so.
- A report that is missing or malformed is an ``error`` with the parser's explanation.
- Paths in findings are relative to the repository root, also for a stage with ``cwd``.
- A timeout is ``timed_out``; a stage stopped by Ctrl-C or ``--fail-fast`` is ``error``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from localci.config.loader import StageConfig
from localci.config.thresholds import describe_failure, evaluate
from localci.errors import ReportError
from localci.git import clean_env
from localci.proc import CommandNotFound, ProcessOutcome, run_process
from localci.redact import Redactor
from localci.result.model import Finding, Metrics, StageResult
from localci.result.store import utc_now
from localci.schemas import RESULT_SCHEMA, preload

__all__ = [
    "MAX_FINDINGS",
    "StageContext",
    "expand",
    "judge_outcome",
    "run_stage",
    "stage_argv",
    "stage_env",
]

MAX_FINDINGS = 1000
"""Findings kept per stage in a result; ``findings_total`` keeps the real count."""


@dataclass(frozen=True, kw_only=True)
class StageContext:
    """What every stage of one run shares.

    ``workspace`` is the checkout the stages run in (a temporary worktree, or the work
    tree with ``--in-place``); ``reports`` is this run's report folder (``{reports}``);
    ``logs`` the folder for ``<stage>.log``; ``cancel`` stops running stages when set, and
    ``cancel_reason`` says why (recorded as the stopped stages' reason). ``python`` is the
    project's interpreter (what ``{python}`` becomes); ``hide`` is the user's work tree,
    which an isolated stage's Python must not see (``None`` with ``--in-place``);
    ``rerun_failures`` re-runs a JUnit tests stage's failed tests (:mod:`localci.run.rerun`).
    ``on_started`` is called on a stage's thread once its process has started (the run
    scrubs earlier stages' results then: :mod:`localci.run.scrubbing`).
    """

    workspace: Path
    reports: Path
    logs: Path
    redactor: Redactor
    cancel: threading.Event
    cancel_reason: Callable[[], str] = lambda: "stopped before it finished"
    on_line: Callable[[str, str], None] | None = None
    report_before: tuple[int, int, int] | None = None
    rerun_failures: int = 0
    python: str = sys.executable
    hide: Path | None = None
    on_started: Callable[[], None] | None = None


def expand(text: str, ctx: StageContext) -> str:
    """Replace ``{reports}`` and ``{python}`` in one argv item or path."""
    return text.replace("{reports}", str(ctx.reports)).replace("{python}", ctx.python)


def stage_env(stage: StageConfig, ctx: StageContext) -> dict[str, str]:
    """The environment a stage runs with.

    Inherited variables minus git's repository selectors; the folder of the project's
    interpreter first on ``PATH`` (its tools: pytest, ruff, coverage); the workspace's
    ``src/`` (when present) and root first on ``PYTHONPATH``, so the commit's code wins
    over an installed copy; for an isolated run, before them, ``sitecustomize`` from
    ``localci/run/_hide``, which hides the user's work tree from Python even where an
    editable install's ``.pth`` file names it (``LOCALCI_HIDE``); ``LOCALCI=1`` and
    ``LOCALCI_REPORTS``; then the stage's own ``env``.
    """
    env = clean_env()
    bin_dir = os.path.dirname(ctx.python)
    env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)
    paths = []
    if ctx.hide is not None:
        # First, so a project's own sitecustomize cannot pre-empt it (ours runs that next).
        paths.append(str(_HIDE_SITE))
        env["LOCALCI_HIDE"] = str(ctx.hide)
    if (ctx.workspace / "src").is_dir():
        paths.append(str(ctx.workspace / "src"))
    paths.append(str(ctx.workspace))
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    paths += [p for p in inherited if ctx.hide is None or not _within(Path(p), ctx.hide)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["LOCALCI"] = "1"
    env["LOCALCI_REPORTS"] = str(ctx.reports)
    env.update(stage.env)
    return env


_HIDE_SITE = Path(__file__).resolve().parent / "_hide"


def _within(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def stage_argv(stage: StageConfig, ctx: StageContext) -> list[str]:
    """The stage's command with ``{reports}`` and ``{python}`` expanded (``sh -c`` for
    a shell string)."""
    if isinstance(stage.run, str):
        return ["/bin/sh", "-c", expand(stage.run, ctx)]
    return [expand(a, ctx) for a in stage.run]


_WARM = threading.Lock()


def warm_up() -> None:
    """Load what judging the stages' reports and recording the result need (the report
    parsers, pytest's layer and the exit-code table, the result schema's validators),
    once per process; about 0.15 s. A run calls it on every stage's thread once that
    stage's process has started (``on_started``), so it neither delays a process start
    nor runs after a stage; the first call does the work and any other returns at once
    (two stages starting together do not both load, nor does one wait for the other).
    What it has not loaded yet loads on demand."""
    if not _WARM.acquire(blocking=False):  # held for good by the first caller
        return
    with contextlib.suppress(Exception):  # only a head start: it all loads on demand too
        import localci.reports
        import localci.reports.exits
        import localci.reports.pytest_junit  # noqa: F401

        preload(RESULT_SCHEMA)


def run_stage(stage: StageConfig, ctx: StageContext) -> StageResult:
    """Run ``stage`` to completion and judge it; never raises for a stage's own failure.

    :raises KeyboardInterrupt: passed through after the process group was stopped.
    """
    argv = stage_argv(stage, ctx)
    env = stage_env(stage, ctx)
    started = utc_now()
    # Recorded as configured ({python}, {reports} kept): a result holds no local path.
    configured = (stage.run,) if isinstance(stage.run, str) else stage.run
    base = _Partial(stage=stage, argv=configured, redact=ctx.redactor, started=started)
    cwd = _inside(ctx.workspace / (stage.cwd or "."), (ctx.workspace,))
    if cwd is None:
        return base.finish(status="error", reason=f"cwd {stage.cwd!r} is outside the checkout")
    report_before = _report_state(stage, ctx)
    if (
        stage.skip_if_missing
        and not stage.shell
        and shutil.which(argv[0], path=env["PATH"]) is None
    ):
        return base.finish(status="skipped", reason=f"{argv[0]} is not installed (skip_if_missing)")
    on_line = (lambda line: ctx.on_line(stage.name, line)) if ctx.on_line else None  # type: ignore[misc]
    try:
        outcome = run_process(
            argv,
            cwd=cwd,
            env=env,
            log_path=ctx.logs / f"{stage.name}.log",
            timeout=stage.timeout,
            cancel=ctx.cancel,
            on_line=on_line,
            redact=ctx.redactor,
            on_start=ctx.on_started,
        )
    except CommandNotFound as exc:
        reason = f"cannot run {exc.program!r}: {exc.reason}; is it installed and on PATH?"
        return base.finish(status="error", reason=reason)
    return _judge(stage, base, outcome, replace(ctx, report_before=report_before))


def judge_outcome(
    stage: StageConfig, ctx: StageContext, outcome: ProcessOutcome, *, argv: list[str], started: str
) -> StageResult:
    """Judge a finished process as :func:`run_stage` does, for an outcome assembled
    elsewhere (the merged shards of a sharded stage); ``started`` is a UTC timestamp."""
    base = _Partial(stage=stage, argv=tuple(argv), redact=ctx.redactor, started=started)
    return _judge(stage, base, outcome, ctx)


@dataclass(frozen=True)
class _Partial:
    """A stage's result in the making. The command is redacted when the result is made,
    not before the process starts, so a first stage never waits for the redaction rules
    to load (its output pump loads them while it runs)."""

    stage: StageConfig
    argv: tuple[str, ...]
    redact: Callable[[str], str]
    started: str

    def finish(self, **fields: object) -> StageResult:
        return StageResult(
            name=self.stage.name,
            kind=self.stage.kind,
            command=tuple(map(self.redact, self.argv)),
            started_at=self.started,
            finished_at=utc_now(),
            report_format=self.stage.report.format if self.stage.report else None,
            duration=fields.pop("duration", 0.0),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )


def _judge(
    stage: StageConfig, base: _Partial, outcome: ProcessOutcome, ctx: StageContext
) -> StageResult:
    code = outcome.exit_code
    common: dict[str, object] = {"duration": round(outcome.duration, 3), "exit_code": code}
    tail = {
        "log_tail": outcome.tail,  # already redacted, line by line, by run_process
        "log_tail_truncated": outcome.tail_truncated,
    }
    if outcome.timed_out:
        reason = f"timed out after {stage.timeout:g} s; its process group was killed"
        return base.finish(status="timed_out", reason=reason, **common, **tail)
    if outcome.cancelled:
        return base.finish(status="error", reason=ctx.cancel_reason(), **common, **tail)
    if stage.kind == "command" or stage.report is None:
        if code == 0:
            return base.finish(status="passed", **common)
        return base.finish(status="failed", reason=_exit_reason(code), **common, **tail)
    return _judge_report(stage, base, outcome, ctx, common, tail)


def _judge_report(
    stage: StageConfig,
    base: _Partial,
    outcome: ProcessOutcome,
    ctx: StageContext,
    common: Mapping[str, object],
    tail: Mapping[str, object],
) -> StageResult:
    from localci.reports import parse_report
    from localci.reports.exits import explain_exit, report_exit_codes

    code = outcome.exit_code
    assert stage.report is not None
    words = stage.run.split() if isinstance(stage.run, str) else stage.run
    codes = stage.report_exit_codes or report_exit_codes(stage.kind, words)
    path = _report_path(stage, ctx)
    if path is None:
        outside = f"report path {stage.report.path!r} is outside the checkout and {{reports}}"
        return base.finish(status="error", reason=outside, **common, **tail)
    if ctx.report_before is not None and _stat(path) == ctx.report_before:
        stale = f"{stage.report.path} was not written by this stage (it predates the stage)"
        return base.finish(status="error", reason=stale, **common, **tail)
    cwd = ctx.workspace / stage.cwd if stage.cwd else ctx.workspace
    log = ctx.logs / f"{stage.name}.log"
    data, problem = None, ""
    try:
        data = parse_report(stage.report.format, path, root=ctx.workspace, base=cwd, log=log)
    except ReportError as exc:
        problem = exc.message
    if code not in codes:
        reason = explain_exit(stage.kind, words, code, outcome.tail, ctx.workspace)
        found = _kept_findings(data.findings) if data is not None else {}
        return base.finish(
            status="error", reason=reason or _exit_reason(code), **found, **common, **tail
        )
    if data is None:
        return base.finish(status="error", reason=problem, **common, **tail)
    if stage.kind == "tests" and ctx.rerun_failures and stage.report.format == "junit":
        from localci.run.rerun import rerun_failures

        data = rerun_failures(stage, ctx, data, ctx.rerun_failures)
    metrics = Metrics(tests=data.tests, coverage=data.coverage, lint=data.lint)
    thresholds = evaluate(stage, metrics)
    kept = {**_kept_findings(data.findings), "inventory": data.inventory}
    failed = [describe_failure(t) for t in thresholds if not t.passed]
    if stage.kind == "coverage" and code == 2 and not failed:
        failed = ["coverage.py exited 2: the total is below the project's own fail_under"]
    if not failed and code != 0 and _report_is_clean(metrics):
        failed = [f"{_exit_reason(code)} although its report shows no failures"]
    if failed:
        return base.finish(
            status="failed",
            reason="; ".join(failed),
            metrics=metrics,
            thresholds=thresholds,
            **kept,
            **common,
            **tail,
        )
    return base.finish(status="passed", metrics=metrics, thresholds=thresholds, **kept, **common)


def _kept_findings(found: tuple[Finding, ...]) -> dict[str, object]:
    """The first :data:`MAX_FINDINGS` findings, most severe first, and their count. Their
    text is masked with the rest of the result (:mod:`localci.run.scrubbing`)."""
    findings = _order_findings(found)
    return {"findings": findings[:MAX_FINDINGS], "findings_total": len(findings)}


def _inside(path: Path, roots: tuple[Path, ...]) -> Path | None:
    """``path`` when it resolves (symlinks followed) inside one of ``roots``, else None."""
    resolved = path.resolve()
    if any(resolved.is_relative_to(r.resolve()) for r in roots):
        return path
    return None


def _report_path(stage: StageConfig, ctx: StageContext) -> Path | None:
    """The stage's report path, confined to the checkout and the run's report folder."""
    assert stage.report is not None
    path = Path(expand(stage.report.path, ctx))
    if not path.is_absolute():
        path = ctx.workspace / path
    return _inside(path, (ctx.workspace, ctx.reports))


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _report_state(stage: StageConfig, ctx: StageContext) -> tuple[int, int, int] | None:
    """The report file's identity before the stage runs (``None``: absent), so a report
    the stage did not write (one committed to the repository) is not taken as its own."""
    if stage.report is None:
        return None
    path = _report_path(stage, ctx)
    return _stat(path) if path is not None else None


def _order_findings(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    rank = {"error": 0, "warning": 1, "note": 2}
    return tuple(sorted(findings, key=lambda f: rank[f.severity]))


def _report_is_clean(metrics: Metrics) -> bool:
    if metrics.tests is not None:
        return metrics.tests.failed + metrics.tests.errors == 0
    if metrics.lint is not None:
        return metrics.lint.total == 0
    return False


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"was killed by signal {-code}"
    return f"exited with code {code}"
