"""Masking secrets and local paths in stage results before they are recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from localci.config.loader import StageConfig
from localci.redact import Redactor, scrub
from localci.result.codec import stage_from_dict, stage_to_dict
from localci.result.model import StageResult
from localci.run.stage import StageContext

__all__ = ["Scrubbing"]

_EXACT = ("name", "kind", "status", "report_format", "severity", "started_at", "finished_at")
"""Stage fields that are identifiers or enums, never redacted (policies match on them)."""


class Scrubbing:
    """Everything a stage recorded (commands, test ids, reasons, findings, skipped stages'
    commands) leaves through the result: secrets and local paths are masked in every
    field but :data:`_EXACT`. A stage's own result is scrubbed on a thread of its own as
    the stage ends, while the next stage runs; :meth:`rest` collects those and scrubs the
    results made later (skipped stages, a guard's ``error``)."""

    def __init__(
        self, run_one: Callable[[StageConfig, StageContext], StageResult], redactor: Redactor
    ) -> None:
        self._run_one = run_one
        self._redactor = redactor
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="localci-scrub")
        self._started: list[tuple[StageResult, Future[StageResult]]] = []

    def __enter__(self) -> Scrubbing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _scrub(self, result: StageResult) -> StageResult:
        return stage_from_dict(scrub(stage_to_dict(result), self._redactor, keep=_EXACT))

    def run(self, stage: StageConfig, ctx: StageContext) -> StageResult:
        """Run ``stage`` with the wrapped runner and start scrubbing its result."""
        result = self._run_one(stage, ctx)
        self._started.append((result, self._pool.submit(self._scrub, result)))
        return result

    def rest(self, results: Sequence[StageResult]) -> tuple[StageResult, ...]:
        """``results``, each scrubbed."""
        scrubbed = []
        for r in results:
            started = next((f for done, f in self._started if done is r), None)
            scrubbed.append(started.result() if started is not None else self._scrub(r))
        return tuple(scrubbed)
