"""The typed values the run pipeline's steps pass along (see :mod:`localci.run.pipeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from localci.config.loader import Config, StageConfig
from localci.result.model import GitInfo, Result, StageResult
from localci.result.store import Store
from localci.run import cache
from localci.run.interpreter import Interpreter, InterpreterFacts

__all__ = ["Plan", "Ran", "Reporter", "RunOptions", "RunOutcome", "Target"]


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
    python: str | None = None
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
    the result-cache key, ``None`` when this run may neither use nor fill the cache;
    ``python`` the interpreter for ``{python}`` and ``python_facts`` what it says of
    itself; ``ignored`` the git-ignored paths of an ``--in-place`` run that could
    influence it.
    """

    target: Target
    config: Config
    stages: tuple[StageConfig, ...]
    partial: bool
    facts: GitInfo
    key: cache.CacheKey | None
    python: Interpreter
    python_facts: InterpreterFacts
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Ran:
    """Step 4's output: the stage results, when they ran (UTC RFC 3339, seconds), and
    ``stopped``: why the run stopped stages early (``--fail-fast``), ``""`` when it did
    not; such a run is no full verdict on the tree and is never cached. ``checked``
    holds the indices of ``stages`` whose documents already passed the result schema
    (:func:`localci.schemas.stage_errors`)."""

    run_id: str
    run_dir: Path
    started_at: str
    duration: float
    stages: tuple[StageResult, ...]
    stopped: str = ""
    checked: frozenset[int] = frozenset()
