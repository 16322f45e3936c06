"""``localci run`` as a visible sequence of steps (in the manner of nox's workflow).

:func:`execute` is the whole flow, one typed step per line::

    locate      RunOptions                 -> Target      repository, commit, store
    prepare     Target                     -> Plan        config, stages, git facts, cache key
    from_cache  Plan                       -> RunOutcome | None   a re-usable result
    run_stages  Plan                       -> Ran         stages in a workspace
    record      Plan, Ran                  -> RunOutcome  the result, stored and cached

Each step is a plain function of its input; none keeps state between runs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from localci import __version__
from localci import git as gitrepo
from localci.config.loader import Config, StageConfig, find_config_at, load_config, parse_config
from localci.errors import LocalciError, UsageError
from localci.redact import Redactor, local_paths, scrub
from localci.result.flaky import flaky_ids, record_flaky
from localci.result.model import (
    CacheOrigin,
    GitInfo,
    Result,
    RunnerInfo,
    StageResult,
    stage_from_dict,
    stage_to_dict,
)
from localci.result.retention import sweep
from localci.result.store import Store, new_run_id, utc_now, validate_result_doc
from localci.run import cache
from localci.run.schedule import Cancellation, conclude, schedule, select_stages
from localci.run.shard.runner import stage_runner
from localci.run.stage import StageContext
from localci.run.workspace import workspace

__all__ = [
    "Plan",
    "Ran",
    "Reporter",
    "RunOptions",
    "RunOutcome",
    "Target",
    "conclude",
    "execute",
    "from_cache",
    "locate",
    "prepare",
    "record",
    "run_stages",
    "select_stages",
]


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
    config and tool environment; ``cache_failures``: re-use failing ones too;
    ``executor`` / ``scheduler`` / ``shards``: shard the tests stages over a Dask cluster
    (``None``: as configured; see :mod:`localci.run.shard`);
    ``rerun_failures``: re-run a JUnit tests stage's failed tests up to this many times
    (:mod:`localci.run.rerun`).
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
    executor: str | None = None
    scheduler: str | None = None
    shards: int | None = None
    rerun_failures: int = 0


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


@dataclass(frozen=True, kw_only=True)
class Target:
    """Step 1's output: the repository ``root``, the full ``commit`` id, its ``store``."""

    options: RunOptions
    reporter: Reporter
    root: Path
    commit: str
    store: Store


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Step 2's output: everything decided before any stage runs.

    ``partial`` is true when ``stages`` is a subset of the configured ones; ``key`` is
    the result-cache key, ``None`` when this run may neither use nor fill the cache.
    """

    target: Target
    config: Config
    stages: tuple[StageConfig, ...]
    partial: bool
    facts: GitInfo
    key: cache.CacheKey | None


@dataclass(frozen=True, kw_only=True)
class Ran:
    """Step 4's output: the stage results, when they ran (UTC RFC 3339, seconds)."""

    run_id: str
    run_dir: Path
    started_at: str
    duration: float
    stages: tuple[StageResult, ...]


def execute(options: RunOptions, reporter: Reporter) -> RunOutcome:
    """Run the configured stages on the commit and store the result (see the module
    docstring for the steps).

    :raises GitError: outside a repository, or with no commits.
    :raises ConfigError: for an invalid configuration.
    :raises UsageError: for unknown ``--stage`` / ``--skip`` names.
    :raises Interrupted: on Ctrl-C, after every stage process was stopped.
    """
    target = locate(options, reporter)
    plan = prepare(target)
    hit = from_cache(plan)
    if hit is not None:
        return hit
    ran = run_stages(plan)
    return record(plan, ran)


def locate(options: RunOptions, reporter: Reporter) -> Target:
    """Step 1: the repository and the commit under test.

    :raises GitError: outside a repository; :raises UsageError: ``--in-place`` with
        another commit than ``HEAD``.
    """
    root = gitrepo.repo_root(options.cwd)
    commit = gitrepo.resolve_commit(root, options.rev)
    if options.in_place and commit != gitrepo.resolve_commit(root, "HEAD"):
        raise UsageError("--in-place tests the work tree, so it cannot test another commit")
    store = Store(root)
    store.ensure()
    return Target(options=options, reporter=reporter, root=root, commit=commit, store=store)


def prepare(target: Target) -> Plan:
    """Step 2: the configuration, the stages to run, the git facts and the cache key.

    :raises ConfigError: for an invalid configuration; :raises UsageError: for unknown
        stage names.
    """
    options = target.options
    config = _load_config(target.root, target.commit, options)
    sweep(target.store, config.retention_days, notes_ref=config.publish.notes_ref)
    stages, partial = select_stages(config, options.only, options.skip)
    facts = gitrepo.collect_facts(
        target.root, target.commit, in_place=options.in_place, remote=config.publish.remote
    )
    key = _cache_key(facts, config, options, partial, target.reporter)
    return Plan(target=target, config=config, stages=stages, partial=partial, facts=facts, key=key)


def _load_config(root: Path, commit: str, options: RunOptions) -> Config:
    """The config: ``--config`` as a file; with ``--in-place`` the work tree's; otherwise
    as it is in the commit under test (the config is part of the code being tested)."""
    if options.config is not None:
        return load_config(root, options.config.resolve())
    if options.in_place:
        return load_config(root)
    return parse_config(find_config_at(root, commit))


def _config_committed(root: Path, commit: str, config: Config, options: RunOptions) -> bool:
    """Whether ``config`` is the configuration committed in ``commit`` (an isolated run
    without ``--config`` reads exactly that one)."""
    if options.config is None and not options.in_place:
        return True
    try:
        return parse_config(find_config_at(root, commit)).sha256 == config.sha256
    except LocalciError:
        return False  # the commit's own configuration is invalid: this one is not it


def _cache_key(
    facts: GitInfo,
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


def from_cache(plan: Plan) -> RunOutcome | None:
    """Step 3: a stored result for the same tree, config and tools, re-bound to this
    commit; ``None`` on a miss (or when the plan has no cache key)."""
    key, target, facts = plan.key, plan.target, plan.facts
    if key is None:
        return None
    doc = cache.lookup(target.root, key, failures=target.options.cache_failures)
    if doc is None:
        return None
    try:
        cached = validate_result_doc(doc, source="cached result")
    except UsageError:
        return None
    path = target.store.result_path(facts.commit)
    if cached.git.commit == facts.commit and cached.cached_from is None:
        result = cached
        if not path.is_file() or json.loads(path.read_text(encoding="utf-8")) != doc:
            doc = target.store.write_result(result)
    else:
        origin = cached.cached_from or CacheOrigin(
            commit=cached.git.commit, run_id=cached.run_id, key=key.digest
        )
        result = cached.rebound(facts, origin)
        doc = target.store.write_result(result)
    target.reporter.notice(
        f"cache hit: tree {facts.tree[:12]} already {cached.conclusion} in run "
        f"{cached.run_id} (commit {cached.git.commit[:12]}); use --no-cache to run again"
    )
    return RunOutcome(
        result=result,
        document=doc,
        result_path=path,
        run_dir=target.store.run_dir(cached.run_id),
        config=plan.config,
        root=target.root,
        cached=True,
    )


_EXACT = ("name", "kind", "status", "report_format", "severity", "started_at", "finished_at")
"""Stage fields that are identifiers or enums, never redacted (policies match on them)."""


def run_stages(plan: Plan) -> Ran:
    """Step 4: a workspace for the commit, and every planned stage run in it.

    :raises Interrupted: on Ctrl-C, after every stage process was stopped.
    """
    target, options = plan.target, plan.target.options
    started, t0 = utc_now(), time.monotonic()
    with workspace(target.root, target.commit, options.in_place) as where:
        run_id = new_run_id()
        run_dir = target.store.run_dir(run_id)
        (run_dir / "reports").mkdir(parents=True)
        cancel = Cancellation()
        ctx = StageContext(
            workspace=where,
            reports=run_dir / "reports",
            logs=run_dir,
            # Secret-named variables of the stages' own env are masked like inherited ones;
            # local paths become placeholders ({reports}, {python}, {workspace}, {repo}).
            redactor=Redactor(
                env={**os.environ, **{k: v for s in plan.stages for k, v in s.env}},
                paths={
                    **local_paths(
                        repo=target.root,
                        workspace=where,
                        run=run_dir,
                        reports=run_dir / "reports",
                        python=sys.executable,
                    ),
                    # Paths under the checkout become relative to it (as in findings).
                    f"{where}{os.sep}": "",
                    f"{where.resolve()}{os.sep}": "",
                },
            ),
            cancel=cancel.event,
            cancel_reason=lambda: cancel.reason,
            on_line=target.reporter.output_line if options.stream else None,
            rerun_failures=options.rerun_failures,
        )
        runner = stage_runner(
            plan.config.document,
            target.root,
            commit=target.commit,
            tree=plan.facts.tree,
            dirty=plan.facts.dirty,
            executor=options.executor,
            scheduler=options.scheduler,
            shards=options.shards,
        )
        with runner as run_one:
            results = schedule(
                plan.stages,
                ctx,
                target.reporter,
                cancel,
                jobs=options.jobs,
                fail_fast=options.fail_fast,
                run_one=run_one,
            )
        # Everything a stage recorded (commands, test ids, reasons, findings, skipped
        # stages' commands) leaves through the result: mask secrets and local paths once.
        results = tuple(
            stage_from_dict(scrub(stage_to_dict(r), ctx.redactor, keep=_EXACT)) for r in results
        )
    return Ran(
        run_id=run_id,
        run_dir=run_dir,
        started_at=started,
        duration=round(time.monotonic() - t0, 3),
        stages=results,
    )


def _published_path(path: str) -> str:
    """``path`` as a result may carry it: a ``--config`` outside the repository is named
    ``{outside}/<file name>``, never by its absolute local path."""
    return f"{{outside}}/{os.path.basename(path)}" if os.path.isabs(path) else path


def record(plan: Plan, ran: Ran) -> RunOutcome:
    """Step 5: the :class:`Result`, written to the store and, when re-usable, the cache."""
    target = plan.target
    result = Result(
        run_id=ran.run_id,
        localci_version=__version__,
        started_at=ran.started_at,
        finished_at=utc_now(),
        duration=ran.duration,
        conclusion=conclude(ran.stages),
        partial=plan.partial,
        git=plan.facts,
        runner=RunnerInfo(
            os=platform.platform(), python=platform.python_version(), localci_version=__version__
        ),
        config_path=_published_path(plan.config.path),
        config_sha256=plan.config.sha256,
        config_committed=_config_committed(target.root, target.commit, plan.config, target.options),
        stages=ran.stages,
    )
    doc = target.store.write_result(result, run_dir=ran.run_dir)
    record_flaky(target.store.base, flaky_ids(result), commit=target.commit, now=result.finished_at)
    if plan.key is not None:
        cache.store(target.root, plan.key, result, doc)
    return RunOutcome(
        result=result,
        document=doc,
        result_path=target.store.result_path(target.commit),
        run_dir=ran.run_dir,
        config=plan.config,
        root=target.root,
    )
