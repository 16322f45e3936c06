"""Each stage's verdict is recomputed from raw facts; the config must be the commit's.

Holes these close (issue "The merge gate holds on real GitHub", items 6 and 8): a tests
stage that exits 1 over a clean JUnit report (``pytest && mypy``), a ``timed_out`` stage
that still carries metrics, and a result made under another configuration all used to
verify.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from localci.result.model import StageResult
from localci.verifier.check import verify_result
from localci.verifier.policy import stage_problems
from tests.factories import ran_tests
from tests.unit.verifier.test_check import (
    COMMIT_CONFIG,
    arguments,
    by_name,
    check,
    good_stages,
    make_doc,
    only_failure,
    policy,
)


def _with(name: str, **fields: Any) -> tuple[StageResult, ...]:
    return tuple(replace(s, **fields) if s.name == name else s for s in good_stages())


def test_tests_exiting_1_over_a_clean_report_fail() -> None:
    """``pytest && mypy``: JUnit shows every test passed, but the stage exited 1."""
    for status in ("failed", "passed"):  # the recorded status is not trusted either way
        stages = _with("tests", exit_code=1, status=status)
        failed = only_failure(check(make_doc(stages=stages, conclusion="failure")))
        assert failed.name == "thresholds"
        assert "tests: exited with 1 although its report shows no failures" in failed.reason


def test_a_timed_out_stage_with_metrics_fails() -> None:
    stages = _with("coverage", status="timed_out", exit_code=-9, reason="timed out after 60 s")
    failed = only_failure(check(make_doc(stages=stages, conclusion="failure")))
    assert failed.reason == "coverage: timed out (timed out after 60 s)"


@pytest.mark.parametrize(
    ("kind_stage", "code", "phrase"),
    [
        ("tests", 2, "tests: exited with 2; its report counts only after exit 0, 1"),
        ("tests", 5, "tests: exited with 5"),
        ("lint", 3, "lint: exited with 3; its report counts only after exit 0, 1"),
        ("coverage", 1, "coverage: exited with 1; its report counts only after exit 0, 2"),
        ("build", 1, "build: exited with 1"),
    ],
)
def test_exit_codes_outside_the_kinds_allowed_ones_fail(
    kind_stage: str, code: int, phrase: str
) -> None:
    stages = _with(kind_stage, exit_code=code)
    assert phrase in only_failure(check(make_doc(stages=stages))).reason


def test_coverage_exit_2_above_the_threshold_passes() -> None:
    """coverage.py exits 2 for its own fail_under; the policy's min_percent decides."""
    verdict = check(make_doc(stages=_with("coverage", exit_code=2)))
    assert verdict.accepted, verdict.failed


def test_a_stage_that_never_ran_fails() -> None:
    stages = _with("build", exit_code=None, status="error", reason="program not found")
    failed = only_failure(check(make_doc(stages=stages, conclusion="error")))
    assert failed.reason == "build: never ran to completion (program not found)"


def test_a_recorded_failure_the_recomputation_cannot_see_still_fails() -> None:
    stages = _with("lint", status="failed", reason="ruff crashed after writing its report")
    failed = only_failure(check(make_doc(stages=stages, conclusion="failure")))
    assert failed.reason == "lint: recorded as failed: ruff crashed after writing its report"


def test_stage_problems_is_empty_for_a_passing_stage() -> None:
    wanted = policy().stage("tests")
    assert wanted is not None
    counts = ran_tests(1, 1)
    good = replace(good_stages()[0], metrics=counts)
    assert stage_problems(wanted, good) == []


# -- the config check -------------------------------------------------------------------


def test_a_result_made_under_another_config_fails_integrity() -> None:
    verdict = verify_result(**arguments(make_doc(), tree=None, commit_config_sha256="d" * 64))
    failed = only_failure(verdict)
    assert failed.name == "config"
    assert "not the configuration committed in the commit" in failed.reason
    assert verdict.exit_code == 4


def test_without_the_commits_config_the_config_check_fails_closed() -> None:
    doc = make_doc()
    verdict = check(doc)
    assert by_name(verdict)["config"].passed
    assert by_name(verdict)["config"].reason.startswith("the result was made under the commit")
    blind = verify_result(**arguments(doc, tree=None, commit_config_sha256=None))
    assert "could not be read" in by_name(blind)["config"].reason
    assert not by_name(blind)["config"].passed
    assert doc["config"]["sha256"] == COMMIT_CONFIG
