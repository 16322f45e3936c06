"""Stage results leave a run scrubbed: secrets and local paths masked in every string.

Everything a stage recorded (commands, test ids, reasons, findings, a skipped stage's
command) leaves through the result, so the result is the one place to mask. Scrubbing a
large inventory takes a while (about 0.07 s for 2,400 test ids), and so does checking a
stage's document against the result schema (about 0.04 s for 340 coverage findings), so
:class:`Scrubber` does both for each finished stage the next time a stage *process has
started*, on that stage's thread while its process runs
(:func:`localci.proc.run_process`'s ``on_start``), never while a process is being
started, and never on a thread of its own. What is left at the end (the last stage,
skipped stages, a result a check replaced) is scrubbed then, and its document is checked
with the whole result (:func:`localci.schemas.result_errors`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from localci.redact import Redactor, scrub
from localci.result.codec import stage_from_dict, stage_to_dict
from localci.result.model import StageResult
from localci.schemas import stage_errors

__all__ = ["EXACT", "Scrubber", "scrubbed"]

EXACT = ("name", "kind", "status", "report_format", "severity", "started_at", "finished_at")
"""Stage fields that are identifiers or enums, never redacted (policies match on them)."""


def scrubbed(result: StageResult, redactor: Redactor) -> StageResult:
    """``result`` with every string but the :data:`EXACT` fields passed through
    ``redactor``."""
    return stage_from_dict(scrub(stage_to_dict(result), redactor, keep=EXACT))


class Scrubber:
    """Scrubs stage results as they finish, in time a stage process gives.

    :meth:`finished` queues a result (the scheduler's thread); :meth:`work` scrubs the
    queue and checks each scrubbed result's document against the schema (a stage's
    thread, once its process runs); :meth:`results` returns the results of a run
    scrubbed, re-using the work done for exactly those result objects, and
    :meth:`checked` says which of them passed the schema.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._lock = threading.Lock()
        self._queue: list[StageResult] = []
        # stage name -> (the result worked on, its scrubbed copy, whether that passed)
        self._done: dict[str, tuple[StageResult, StageResult, bool]] = {}

    def finished(self, result: StageResult) -> StageResult:
        """Queue ``result`` (returned as it is, for use as a scheduler's check)."""
        with self._lock:
            self._queue.append(result)
        return result

    def work(self) -> None:
        """Scrub every queued result (called once a stage process has started)."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                result = self._queue.pop(0)
            clean = scrubbed(result, self._redactor)
            valid = not stage_errors(stage_to_dict(clean))
            with self._lock:
                self._done[result.name] = (result, clean, valid)

    def results(self, results: Sequence[StageResult]) -> tuple[StageResult, ...]:
        """``results`` scrubbed: the work already done where it was done on that very
        object, the rest now. Call it once no stage is running."""
        with self._lock:
            done = dict(self._done)
        out = []
        for result in results:
            earlier = done.get(result.name)
            out.append(
                earlier[1] if earlier and earlier[0] is result else scrubbed(result, self._redactor)
            )
        return tuple(out)

    def checked(self, results: Sequence[StageResult]) -> frozenset[int]:
        """The indices of ``results`` (as :meth:`results` returned them) whose document
        passed :func:`~localci.schemas.stage_errors` while a stage process ran."""
        with self._lock:
            done = dict(self._done)
        return frozenset(
            i
            for i, r in enumerate(results)
            if (earlier := done.get(r.name)) is not None and earlier[1] is r and earlier[2]
        )
