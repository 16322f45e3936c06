"""Stage results are scrubbed as they finish, while a later stage process runs, and the
scrubbed copy is used only for the very result it was made from."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from localci.redact import MASK, Redactor
from localci.result.model import StageResult
from localci.run.scrubbing import Scrubber, scrubbed

SECRET = "ghp_" + "Q" * 36


def _result(name: str, reason: str) -> StageResult:
    return StageResult(
        name=name,
        kind="command",
        status="failed",
        command=("deploy", f"--token={SECRET}"),
        duration=1.0,
        reason=reason,
    )


def _redactor(workspace: Path | None = None) -> Redactor:
    """Masks the secret, and makes paths under ``workspace`` relative to it."""
    return Redactor(env={}, paths={f"{workspace}{os.sep}": ""} if workspace else {})


def test_a_result_is_scrubbed_when_the_work_runs_and_that_copy_is_used(tmp_path: Path) -> None:
    scrubber = Scrubber(_redactor(tmp_path))
    first = _result("a", f"failed in {tmp_path}{os.sep}src/x.py")
    assert scrubber.finished(first) is first
    scrubber.work()
    (out,) = scrubber.results([first])
    assert out.command == ("deploy", f"--token={MASK}")
    assert out.reason == "failed in src/x.py"
    assert scrubber.results([first])[0] is out  # the work done, not done again


def test_results_not_worked_on_or_replaced_are_scrubbed_at_the_end() -> None:
    scrubber = Scrubber(_redactor())
    worked = _result("a", "first")
    scrubber.finished(worked)
    scrubber.work()
    # The same stage's result replaced after the work (a later check), and one never
    # queued (a skipped stage): both are scrubbed from what they are now.
    replaced = replace(worked, reason=f"edited {SECRET}")
    never = _result("b", f"not started {SECRET}")
    out = scrubber.results([replaced, never])
    assert out[0].reason == f"edited {MASK}"
    assert out[1].reason == f"not started {MASK}"
    assert all(SECRET not in str(r) for r in out)


def test_identifiers_stay_exact() -> None:
    result = replace(_result("deploy-" + SECRET, "x"), status="failed")
    out = scrubbed(result, _redactor())
    assert out.name == result.name
    assert out.status == "failed"


def test_work_with_nothing_queued_does_nothing() -> None:
    scrubber = Scrubber(_redactor())
    scrubber.work()
    assert scrubber.results([]) == ()
