"""Stage selection and scheduling: which stages run, and running them as a DAG.

``needs`` must have passed before a stage starts; ``after`` only orders. Up to ``jobs``
stages run at once on threads; each stage's process lives in its own process group, so
Ctrl-C and ``--fail-fast`` stop whole process trees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from localci.config.loader import Config, StageConfig
from localci.errors import Interrupted, UsageError
from localci.result.model import Conclusion, StageResult
from localci.run.stage import StageContext, run_stage

__all__ = [
    "AfterStage",
    "Cancellation",
    "StageReporter",
    "conclude",
    "partial_notes",
    "schedule",
    "select_stages",
]

AfterStage = Callable[[StageResult, tuple[str, ...]], StageResult]
"""A check run as each stage ends: its result and the stages still running -> result."""


class StageReporter(Protocol):
    """The part of a run's reporter the scheduler talks to."""

    def stage_started(self, stage: StageConfig) -> None:
        """``stage`` has started."""

    def stage_finished(self, result: StageResult) -> None:
        """A stage ended (or was skipped); ``result`` says how."""


@dataclass
class Cancellation:
    """A run-wide stop signal and the first reason given for it."""

    event: threading.Event = field(default_factory=threading.Event)
    reason: str = ""

    def set(self, reason: str) -> None:
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


def select_stages(
    config: Config, only: Sequence[str], skip: Sequence[str]
) -> tuple[tuple[StageConfig, ...], bool]:
    """The stages to run and whether that is a partial run.

    ``only`` keeps the named stages plus everything they transitively ``need`` or run
    ``after`` (a coverage stage reads the data its tests stage wrote); ``skip`` then
    removes stages. Order is the configuration's.

    :raises UsageError: for a name no stage has (with a close match when there is one).
    """
    names = [s.name for s in config.stages]
    for name in (*only, *skip):
        if name not in names:
            import difflib  # only for a name that matches nothing

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
                stage = config.stage(name)
                assert stage is not None
                todo.extend((*stage.needs, *stage.after))
    wanted -= set(skip)
    stages = tuple(s for s in config.stages if s.name in wanted)
    return stages, len(stages) != len(config.stages)


def partial_notes(
    config: Config, stages: Sequence[StageConfig], only: Sequence[str]
) -> tuple[str, ...]:
    """One sentence per stage a partial run brought in for ``only``, and per selected
    stage that waits for one left out (say exactly what to add)."""
    selected = {s.name for s in stages}
    notes = [
        f"--stage {' '.join(only)} also runs {s.name!r}, which a selected stage needs or runs after"
        for s in stages
        if only and s.name not in only
    ]
    for s in stages:
        missing = [n for n in (*s.needs, *s.after) if n not in selected]
        if missing:
            adds = " ".join(f"--stage {n}" for n in missing)
            notes.append(
                f"{s.name!r} runs after {', '.join(map(repr, missing))}, which this run "
                f"leaves out; its inputs may be missing (add {adds}, or drop --skip)"
            )
    return tuple(notes)


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
_INCOMPLETE = ("error", "timed_out")
"""Test-stage outcomes after which its data (coverage, reports) cannot be trusted whole."""


@dataclass
class _Board:
    """The scheduler's state: what waits, runs and is done, and where to report."""

    ctx: StageContext
    reporter: StageReporter
    cancel: Cancellation
    jobs: int
    pool: ThreadPoolExecutor
    pending: list[StageConfig]
    selected: set[str]
    run_one: Callable[[StageConfig, StageContext], StageResult] = run_stage
    running: dict[Future[StageResult], StageConfig] = field(default_factory=dict)
    done: dict[str, StageResult] = field(default_factory=dict)


def schedule(
    stages: Sequence[StageConfig],
    ctx: StageContext,
    reporter: StageReporter,
    cancel: Cancellation,
    *,
    jobs: int = 1,
    fail_fast: bool = False,
    run_one: Callable[[StageConfig, StageContext], StageResult] = run_stage,
    after_stage: AfterStage | None = None,
) -> tuple[StageResult, ...]:
    """Run ``stages`` as a DAG on up to ``jobs`` threads; results in config order.

    With ``fail_fast`` the first stage that does not pass stops every other one.
    ``run_one`` runs one stage (the Dask executor's shards the tests stages).
    ``after_stage`` sees each result as its stage ends (with the names of the stages
    still running) and may replace it, e.g. to turn it into an ``error``.

    :raises Interrupted: on Ctrl-C, after every running stage's process group was stopped.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="stage")
    board = _Board(
        ctx=ctx,
        reporter=reporter,
        cancel=cancel,
        jobs=max(1, jobs),
        pool=pool,
        pending=list(stages),
        selected={s.name for s in stages},
        run_one=run_one,
    )
    try:
        while board.pending or board.running:
            _start_ready(board)
            if not board.running:
                break
            finished, _ = wait(board.running, return_when=FIRST_COMPLETED)
            for future in finished:
                stage = board.running.pop(future)
                result = future.result()
                if after_stage is not None:
                    result = after_stage(result, tuple(s.name for s in board.running.values()))
                board.done[stage.name] = result
                reporter.stage_finished(result)
                if fail_fast and result.status in _NOT_PASSED and (board.pending or board.running):
                    # Only when something is left to stop: a run it stopped is not cached.
                    cancel.set(f"stopped by --fail-fast after {stage.name!r} {result.status}")
    except KeyboardInterrupt:
        cancel.set("interrupted (Ctrl-C)")
        wait(board.running)
        raise Interrupted("interrupted: every stage process was stopped") from None
    finally:
        pool.shutdown(wait=True)
    return tuple(board.done[s.name] for s in stages if s.name in board.done)


def _start_ready(board: _Board) -> None:
    progressed = True
    while progressed:
        progressed = False
        for stage in list(board.pending):
            waits = [n for n in (*stage.needs, *stage.after) if n in board.selected]
            if any(n not in board.done for n in waits):
                continue
            reason = _skip_reason(stage, board)
            if reason is not None:
                board.pending.remove(stage)
                board.done[stage.name] = _skipped(stage, reason)
                board.reporter.stage_finished(board.done[stage.name])
                progressed = True
            elif len(board.running) < board.jobs:
                board.pending.remove(stage)
                board.reporter.stage_started(stage)
                board.running[board.pool.submit(board.run_one, stage, board.ctx)] = stage
                progressed = True


def _skip_reason(stage: StageConfig, board: _Board) -> str | None:
    if board.cancel.event.is_set():
        return f"not started: {board.cancel.reason}"
    done = board.done
    for need in stage.needs:
        if need not in board.selected:
            return f"needs {need!r}, which was not selected to run"
        if done[need].status != "passed":
            return f"needs {need!r}, which {_past(done[need].status)}"
    if stage.kind == "coverage":
        # Coverage data from a test run that errored (a collection error, a timeout) covers
        # only part of the suite; a pass measured on it would mislead.
        for name in (*stage.needs, *stage.after):
            prior = done.get(name)
            if prior is not None and prior.kind == "tests" and prior.status in _INCOMPLETE:
                return (
                    f"not run: tests stage {name!r} {_past(prior.status)}, so its coverage "
                    "data is incomplete"
                )
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
