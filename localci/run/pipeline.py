"""``localci run`` as a pipeline of plain steps.

``repository -> workspace (clean worktree of the commit) -> config -> stage schedule ->
Result -> .localci/results/<sha>.json``. Each step is a function; :func:`execute` strings
them together. Stages run as a DAG (``needs`` / ``after``) on up to ``jobs`` threads; each
stage's process lives in its own process group, so Ctrl-C and ``--fail-fast`` stop whole
process trees.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from localci import __version__
from localci import git as gitrepo
from localci.config.loader import Config, StageConfig, find_config_at, load_config, parse_config
from localci.errors import Interrupted, LocalciError, UsageError
from localci.redact import Redactor
from localci.result.model import CacheOrigin, Conclusion, GitInfo, Result, RunnerInfo, StageResult
from localci.result.store import Store, new_run_id, utc_now, validate_result_doc
from localci.run import cache
from localci.run.stage import StageContext, run_stage

__all__ = ["Reporter", "RunOptions", "RunOutcome", "conclude", "execute", "select_stages"]


class Reporter(Protocol):
    """Where a run tells people what is happening (the CLI prints; tests record)."""

    def notice(self, text: str) -> None:
        """A one-line message (a skipped tool, a removed old run)."""

    def stage_started(self, stage: StageConfig) -> None:
        """``stage`` has started."""

    def stage_finished(self, result: StageResult) -> None:
        """A stage ended (or was skipped); ``result`` says how."""

    def output_line(self, stage: str, line: str) -> None:
        """One line of a stage's output (only called when streaming is wanted)."""


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run.

    ``rev``: the commit to test; ``config``: an explicit config file; ``in_place``: run in
    the work tree instead of a clean worktree; ``jobs``: stages at once (>= 1);
    ``only`` / ``skip``: stage names (a partial run); ``stream``: pass output lines to the
    reporter as they come; ``use_cache``: re-use a passing result for the same tree,
    config and tool environment; ``cache_failures``: re-use failing ones too.
    """

    cwd: Path
    rev: str = "HEAD"
    config: Path | None = None
    in_place: bool = False
    jobs: int = 1
    fail_fast: bool = False
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    stream: bool = False
    use_cache: bool = True
    cache_failures: bool = False


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """What :func:`execute` produced: the result, its JSON document, and where they are."""

    result: Result
    document: dict[str, Any]
    result_path: Path
    run_dir: Path
    config: Config
    root: Path
    cached: bool = False


@dataclass
class _Cancellation:
    event: threading.Event = field(default_factory=threading.Event)
    reason: str = ""

    def set(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


def execute(options: RunOptions, reporter: Reporter) -> RunOutcome:
    """Run the configured stages on the commit and store the result.

    :raises GitError: outside a repository, or with no commits.
    :raises ConfigError: for an invalid configuration.
    :raises UsageError: for unknown ``--stage`` / ``--skip`` names.
    :raises Interrupted: on Ctrl-C, after every stage process was stopped.
    """
    root = gitrepo.repo_root(options.cwd)
    commit = gitrepo.resolve_commit(root, options.rev)
    if options.in_place and commit != gitrepo.resolve_commit(root, "HEAD"):
        raise UsageError("--in-place tests the work tree, so it cannot test another commit")
    store = Store(root)
    store.ensure()
    config = _load_config(root, commit, options)
    store.sweep(config.retention_days)
    stages, partial = select_stages(config, options.only, options.skip)
    facts = gitrepo.collect_facts(
        root, commit, in_place=options.in_place, remote=config.publish.remote
    )
    key = _cache_key(facts, config, options, partial, reporter)
    if key is not None:
        hit = _cache_hit(root, store, key, facts, config, options, reporter)
        if hit is not None:
            return hit
    started, t0 = utc_now(), time.monotonic()
    with _workspace(root, commit, options.in_place) as workspace:
        run_id = new_run_id()
        run_dir = store.run_dir(run_id)
        (run_dir / "reports").mkdir(parents=True)
        cancel = _Cancellation()
        ctx = StageContext(
            workspace=workspace,
            reports=run_dir / "reports",
            logs=run_dir,
            # Secret-named variables of the stages' own env are masked like inherited ones.
            redactor=Redactor(env={**os.environ, **{k: v for s in stages for k, v in s.env}}),
            cancel=cancel.event,
            cancel_reason=lambda: cancel.reason,
            on_line=reporter.output_line if options.stream else None,
        )
        results = _schedule(stages, ctx, options, reporter, cancel)
    result = Result(
        run_id=run_id,
        localci_version=__version__,
        started_at=started,
        finished_at=utc_now(),
        duration=round(time.monotonic() - t0, 3),
        conclusion=conclude(results),
        partial=partial,
        git=GitInfo(**vars(facts)),
        runner=RunnerInfo(
            os=platform.platform(), python=platform.python_version(), localci_version=__version__
        ),
        config_path=config.path,
        config_sha256=config.sha256,
        stages=results,
    )
    doc = store.write_result(result, run_dir=run_dir)
    if key is not None:
        cache.store(root, key, result, doc)
    return RunOutcome(
        result=result,
        document=doc,
        result_path=store.result_path(commit),
        run_dir=run_dir,
        config=config,
        root=root,
    )


def _load_config(root: Path, commit: str, options: RunOptions) -> Config:
    """The config: ``--config`` as a file; with ``--in-place`` the work tree's; otherwise
    as it is in the commit under test (the config is part of the code being tested)."""
    if options.config is not None:
        return load_config(root, options.config.resolve())
    if options.in_place:
        return load_config(root)
    return parse_config(find_config_at(root, commit))


def _cache_key(
    facts: gitrepo.GitFacts,
    config: Config,
    options: RunOptions,
    partial: bool,
    reporter: Reporter,
) -> cache.CacheKey | None:
    if not (options.use_cache and config.cache_enabled) or partial or facts.dirty:
        return None
    try:
        return cache.cache_key(facts.tree, config)
    except Exception as exc:  # fail open: a cache we cannot key is a cache we skip
        reporter.notice(f"result cache skipped: cannot fingerprint the environment ({exc})")
        return None


def _cache_hit(
    root: Path,
    store: Store,
    key: cache.CacheKey,
    facts: gitrepo.GitFacts,
    config: Config,
    options: RunOptions,
    reporter: Reporter,
) -> RunOutcome | None:
    doc = cache.lookup(root, key, failures=options.cache_failures)
    if doc is None:
        return None
    try:
        cached = validate_result_doc(doc, source="cached result")
    except UsageError:
        return None
    path = store.result_path(facts.commit)
    if cached.git.commit == facts.commit and cached.cached_from is None:
        result = cached
        if not path.is_file() or json.loads(path.read_text(encoding="utf-8")) != doc:
            doc = store.write_result(result)
    else:
        origin = cached.cached_from or CacheOrigin(
            commit=cached.git.commit, run_id=cached.run_id, key=key.digest
        )
        result = cached.rebound(GitInfo(**vars(facts)), origin)
        doc = store.write_result(result)
    reporter.notice(
        f"cache hit: tree {facts.tree[:12]} already {cached.conclusion} in run "
        f"{cached.run_id} (commit {cached.git.commit[:12]}); use --no-cache to run again"
    )
    return RunOutcome(
        result=result,
        document=doc,
        result_path=path,
        run_dir=store.run_dir(cached.run_id),
        config=config,
        root=root,
        cached=True,
    )


@contextlib.contextmanager
def _workspace(root: Path, commit: str, in_place: bool) -> Iterator[Path]:
    """The directory stages run in; a temporary detached worktree unless ``in_place``.

    The worktree is removed on every exit path, Ctrl-C included.
    """
    if in_place:
        yield root
        return
    holder = Path(tempfile.mkdtemp(prefix="localci-", dir=_worktree_parent(root, commit)))
    path = holder / root.name
    try:
        gitrepo.add_worktree(root, commit, path)
        yield path
    finally:
        gitrepo.remove_worktree(root, path)
        shutil.rmtree(holder, ignore_errors=True)


_SHM = Path("/dev/shm")  # noqa: S108 - only ever a parent for mkdtemp (mode 0700)
_SHM_HEADROOM = 4
"""tmpfs is used only when it has this many times the tree's size free (it is memory)."""


def _worktree_parent(root: Path, commit: str) -> str | None:
    """Where the temporary worktree goes: ``LOCALCI_WORKTREE_DIR`` when set; else
    ``/dev/shm`` (tmpfs) when it is writable and has ample room for the commit's tree,
    because writing thousands of small files to memory is many times faster than to
    disk; else the system temporary directory (``None``)."""
    explicit = os.environ.get("LOCALCI_WORKTREE_DIR")
    if explicit:
        return explicit
    if not (_SHM.is_dir() and os.access(_SHM, os.W_OK)):
        return None
    try:
        sizes = gitrepo.git(root, "ls-tree", "-r", "-l", "--full-tree", commit)
        tree_bytes = sum(int(f) for f in (ln.split()[3] for ln in sizes.splitlines()) if f != "-")
        free = shutil.disk_usage(_SHM).free
    except (LocalciError, OSError, ValueError, IndexError):
        return None
    return str(_SHM) if free > _SHM_HEADROOM * tree_bytes + (64 << 20) else None


def select_stages(
    config: Config, only: Sequence[str], skip: Sequence[str]
) -> tuple[tuple[StageConfig, ...], bool]:
    """The stages to run and whether that is a partial run.

    ``only`` keeps the named stages plus everything they transitively ``need``; ``skip``
    then removes stages. Order is the configuration's.

    :raises UsageError: for a name no stage has (with a close match when there is one).
    """
    names = [s.name for s in config.stages]
    for name in (*only, *skip):
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
            hint = f"Did you mean `{close[0]}`?" if close else f"Stages: {', '.join(names)}."
            raise UsageError(f"no stage is named {name!r}", hint=hint)
    wanted = set(names)
    if only:
        wanted = set()
        todo = list(only)
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(config.stage(name).needs)  # type: ignore[union-attr]
    wanted -= set(skip)
    stages = tuple(s for s in config.stages if s.name in wanted)
    return stages, len(stages) != len(config.stages)


def conclude(stages: Sequence[StageResult]) -> Conclusion:
    """``failure`` if any stage failed or timed out, else ``error`` if any errored, else
    ``success`` (skipped stages do not count; an empty run succeeds)."""
    statuses = {s.status for s in stages}
    if statuses & {"failed", "timed_out"}:
        return "failure"
    if "error" in statuses:
        return "error"
    return "success"


_NOT_PASSED = ("failed", "error", "timed_out")


def _schedule(
    stages: Sequence[StageConfig],
    ctx: StageContext,
    options: RunOptions,
    reporter: Reporter,
    cancel: _Cancellation,
) -> tuple[StageResult, ...]:
    """Run ``stages`` as a DAG on up to ``options.jobs`` threads; results in config order."""
    done: dict[str, StageResult] = {}
    pending = list(stages)
    selected = {s.name for s in stages}
    running: dict[Future[StageResult], StageConfig] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs), thread_name_prefix="stage")
    try:
        while pending or running:
            _start_ready(pending, running, done, selected, options, cancel, ctx, pool, reporter)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                stage = running.pop(future)
                result = future.result()
                done[stage.name] = result
                reporter.stage_finished(result)
                if options.fail_fast and result.status in _NOT_PASSED:
                    cancel.set(f"stopped by --fail-fast after {stage.name!r} {result.status}")
    except KeyboardInterrupt:
        cancel.set("interrupted (Ctrl-C)")
        wait(running)
        raise Interrupted("interrupted: every stage process was stopped") from None
    finally:
        pool.shutdown(wait=True)
    return tuple(done[s.name] for s in stages if s.name in done)


def _start_ready(
    pending: list[StageConfig],
    running: dict[Future[StageResult], StageConfig],
    done: dict[str, StageResult],
    selected: set[str],
    options: RunOptions,
    cancel: _Cancellation,
    ctx: StageContext,
    pool: ThreadPoolExecutor,
    reporter: Reporter,
) -> None:
    progressed = True
    while progressed:
        progressed = False
        for stage in list(pending):
            waits = [n for n in (*stage.needs, *stage.after) if n in selected]
            if any(n not in done for n in waits):
                continue
            reason = _skip_reason(stage, done, selected, cancel)
            if reason is not None:
                pending.remove(stage)
                done[stage.name] = _skipped(stage, reason)
                reporter.stage_finished(done[stage.name])
                progressed = True
            elif len(running) < max(1, options.jobs):
                pending.remove(stage)
                reporter.stage_started(stage)
                running[pool.submit(run_stage, stage, ctx)] = stage
                progressed = True


def _skip_reason(
    stage: StageConfig, done: dict[str, StageResult], selected: set[str], cancel: _Cancellation
) -> str | None:
    if cancel.event.is_set():
        return f"not started: {cancel.reason}"
    for need in stage.needs:
        if need not in selected:
            return f"needs {need!r}, which was not selected to run"
        if done[need].status != "passed":
            return f"needs {need!r}, which {_past(done[need].status)}"
    return None


def _past(status: str) -> str:
    return {"skipped": "was skipped", "timed_out": "timed out", "error": "errored"}.get(
        status, status
    )


def _skipped(stage: StageConfig, reason: str) -> StageResult:
    command = (stage.run,) if isinstance(stage.run, str) else stage.run
    return StageResult(
        name=stage.name,
        kind=stage.kind,
        status="skipped",
        reason=reason,
        command=command,
        duration=0.0,
        report_format=stage.report.format if stage.report else None,
    )
