"""``localci run`` as a visible sequence of steps (in the manner of nox's workflow).

:func:`execute` is the whole flow, one typed step per line::

    locate      RunOptions  -> Target             repository, commit, store
    prepare     Target      -> Plan               config, stages, interpreter, cache key
    from_cache  Plan        -> RunOutcome | None  a re-usable result
    run_stages  Plan        -> Ran                stages in a workspace, tracked files kept
    record      Plan, Ran   -> RunOutcome         the result, stored and cached

Each step is a plain function of its input; none keeps state between runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from localci import __version__
from localci import git as gitrepo
from localci.config.loader import Config, StageConfig
from localci.errors import UsageError
from localci.redact import Redactor, local_paths
from localci.result.flaky import flaky_ids, record_flaky
from localci.result.model import CacheOrigin, GitInfo, Result, RunnerInfo, WorkspaceInfo
from localci.result.retention import sweep
from localci.result.store import Store, new_run_id, utc_now, validate_result_doc
from localci.run import cache
from localci.run.configs import config_committed, load_run_config
from localci.run.guard import TreeGuard
from localci.run.interpreter import Interpreter, InterpreterFacts, probe, resolve_interpreter
from localci.run.model import Plan, Ran, Reporter, RunOptions, RunOutcome, Target
from localci.run.project import with_project_thresholds
from localci.run.reuse import Checkout
from localci.run.schedule import Cancellation, conclude, partial_notes, schedule, select_stages
from localci.run.scrubbing import Scrubber
from localci.run.shard.runner import stage_runner
from localci.run.stage import StageContext, warm_up
from localci.run.workspace import influential_ignored, workspace
from localci.schemas import RESULT_SCHEMA, preload

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
    """Step 1: the repository, the commit under test and the store (refused when git
    tracks anything in it: :meth:`Store.refuse_tracked`).

    :raises GitError: outside a repository; :raises UsageError: ``--in-place`` with
        another commit than ``HEAD``, or a tracked ``.localci/``.
    """
    root = gitrepo.repo_root(options.cwd)
    store = Store(root)
    store.refuse_tracked()
    commit = gitrepo.resolve_commit(root, options.rev)
    if options.in_place and commit != gitrepo.resolve_commit(root, "HEAD"):
        raise UsageError("--in-place tests the work tree, so it cannot test another commit")
    store.ensure()
    return Target(options=options, reporter=reporter, root=root, commit=commit, store=store)


def prepare(target: Target) -> Plan:
    """Step 2: the configuration, the stages to run, the interpreter, the git facts and
    the cache key; notices for a configuration the run does not use and for the
    interpreter fallback.

    :raises ConfigError: for an invalid configuration; :raises UsageError: for unknown
        stage names or an interpreter that does not run.
    """
    options, say = target.options, target.reporter.notice
    # The first platform.platform() runs `uname -p` (~15 ms); the cache key and the
    # result need it, so a thread asks now, while git and the configuration are read.
    threading.Thread(target=_platform_soon, name="localci-platform").start()
    config = load_run_config(target, options)
    sweep(target.store, config.retention_days, notes_ref=config.publish.notes_ref)
    stages, subset = select_stages(config, options.only, options.skip)
    for note in partial_notes(config, stages, options.only):
        say(note)
    facts = gitrepo.collect_facts(
        target.root, target.commit, in_place=options.in_place, remote=config.publish.remote
    )
    python = resolve_interpreter(target.root, option=options.python, configured=config.python)
    if python.source == "localci":
        say(
            f"no project interpreter (--python, `python:`, VIRTUAL_ENV, .venv/): the stages "
            f"run with localci's own Python ({python.label})"
        )
    wants_key = options.use_cache and config.cache_enabled and not subset
    wants_key = wants_key and not options.in_place
    python_facts = probe(  # the distributions take the interpreter ~0.1 s: meanwhile,
        python,  # what a cache hit's check needs loads here (a miss needs it later too)
        distributions=wants_key,
        memo=target.store.base / "cache" / "interpreters",
        meanwhile=partial(preload, RESULT_SCHEMA) if wants_key else None,
    )
    key = (
        _cache_key(facts, config, python, python_facts, target.reporter, options.rerun_failures)
        if wants_key
        else None
    )
    ignored = influential_ignored(target.root) if options.in_place else ()
    return Plan(
        target=target,
        config=config,
        stages=stages,
        partial=subset,
        facts=facts,
        key=key,
        python=python,
        python_facts=python_facts,
        ignored=ignored,
    )


def _platform_soon() -> None:
    """``platform.platform()``, computed once for the process (the module keeps it);
    what it raises is left for the caller that needs the value, on the main thread,
    rather than printed by the thread with a traceback."""
    with contextlib.suppress(Exception):
        platform.platform()


def _cache_key(
    facts: GitInfo,
    config: Config,
    python: Interpreter,
    python_facts: InterpreterFacts,
    reporter: Reporter,
    rerun_failures: int,
) -> cache.CacheKey | None:
    if facts.dirty:
        return None
    try:
        return cache.cache_key(
            facts.tree,
            config,
            python=python_facts,
            interpreter=python.label,
            rerun_failures=rerun_failures,
        )
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


def run_stages(plan: Plan) -> Ran:
    """Step 4: a workspace for the commit, and every planned stage run in it; a stage
    that changes tracked files there is made an ``error`` (:class:`TreeGuard`). Every
    result is scrubbed (:class:`Scrubber`: secrets and local paths masked), each as the
    next stage process runs where there is one; the first stage process to start also
    loads what judging and recording need meanwhile (:func:`warm_up`).

    :raises Interrupted: on Ctrl-C, after every stage process was stopped.
    """
    target, options = plan.target, plan.target.options
    started, t0 = utc_now(), time.monotonic()
    with workspace(target.root, target.commit, options.in_place) as checkout:
        where = checkout.path
        stages, notes = with_project_thresholds(plan.stages, where)
        for note in notes:
            target.reporter.notice(note)
        run_id = new_run_id()
        run_dir = target.store.run_dir(run_id)
        (run_dir / "reports").mkdir(parents=True)
        cancel = Cancellation()
        ctx = _stage_context(plan, checkout, stages, run_dir, cancel)
        scrubber = Scrubber(ctx.redactor)
        ctx = replace(ctx, on_started=partial(_on_started, scrubber))
        guard = TreeGuard(where)
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
                stages,
                ctx,
                target.reporter,
                cancel,
                jobs=options.jobs,
                fail_fast=options.fail_fast,
                run_one=run_one,
                after_stage=lambda r, running: scrubber.finished(guard.check(r, running)),
            )
        results = scrubber.results(results)
    return Ran(
        run_id=run_id,
        run_dir=run_dir,
        started_at=started,
        duration=round(time.monotonic() - t0, 3),
        stages=results,
        stopped=cancel.reason,
        checked=scrubber.checked(results),
    )


def _on_started(scrubber: Scrubber) -> None:
    """What a stage's thread does once its process runs: the first loads what judging
    and recording need, each scrubs and checks the results finished before."""
    warm_up()
    scrubber.work()


def _stage_context(
    plan: Plan,
    checkout: Checkout,
    stages: Sequence[StageConfig],
    run_dir: Path,
    cancel: Cancellation,
) -> StageContext:
    """What every stage of this run shares: where it runs and writes, the redactor for
    its output, cancellation and the interpreter."""
    target, options = plan.target, plan.target.options
    where = checkout.path
    return StageContext(
        workspace=where,
        reports=run_dir / "reports",
        logs=run_dir,
        # Secret-named variables of the stages' own env are masked like inherited ones;
        # local paths become placeholders ({reports}, {python}, {workspace}, {repo}).
        redactor=Redactor(
            env={**os.environ, **{k: v for s in stages for k, v in s.env}},
            paths={
                **local_paths(
                    repo=target.root,
                    workspace=where,
                    run=run_dir,
                    reports=run_dir / "reports",
                    python=str(plan.python.executable),
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
        python=str(plan.python.executable),
        hide=None if options.in_place or _inside(where, target.root) else target.root,
    )


def _published_path(path: str) -> str:
    """``path`` as a result may carry it: a ``--config`` outside the repository is named
    ``{outside}/<file name>``, never by its absolute local path."""
    return f"{{outside}}/{os.path.basename(path)}" if os.path.isabs(path) else path


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


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
            os=platform.platform(),
            python=plan.python_facts.version,
            localci_version=__version__,
            interpreter=plan.python.label,
            interpreter_source=plan.python.source,
        ),
        config_path=_published_path(plan.config.path),
        config_sha256=plan.config.sha256,
        config_committed=config_committed(target.root, target.commit, plan.config, target.options),
        stages=ran.stages,
        workspace=_workspace_info(plan),
    )
    doc = target.store.write_result(result, run_dir=ran.run_dir, checked=ran.checked)
    record_flaky(target.store.base, flaky_ids(result), commit=target.commit, now=result.finished_at)
    if plan.key is not None:
        cache.store(target.root, plan.key, result, doc, stopped=bool(ran.stopped))
    return RunOutcome(
        result=result,
        document=doc,
        result_path=target.store.path_for(result),
        run_dir=ran.run_dir,
        config=plan.config,
        root=target.root,
    )


def _workspace_info(plan: Plan) -> WorkspaceInfo:
    if not plan.target.options.in_place:
        return WorkspaceInfo(mode="isolated")
    return WorkspaceInfo(
        mode="in-place", ignored=plan.ignored[:_IGNORED_KEPT], ignored_total=len(plan.ignored)
    )


_IGNORED_KEPT = 100
