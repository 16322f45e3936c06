"""Builders of valid result objects for tests and benchmarks.

Canned defaults for every required field, each overridable by keyword, so a test states
only what it is about. The defaults are schema-valid: ``result_to_dict(make_result())``
passes ``schemas/result.v1.schema.json``.
"""

from __future__ import annotations

from typing import Any

from localci.result.model import (
    CoverageMetrics,
    Finding,
    GitInfo,
    LintCounts,
    Metrics,
    Result,
    RunnerInfo,
    StageResult,
    TestCounts,
)

__all__ = [
    "SHA",
    "TREE",
    "VERIFIER_CHECKS",
    "covered",
    "failed_test",
    "lint_finding",
    "linted",
    "make_result",
    "make_stage",
    "ran_tests",
]

SHA = "0123456789abcdef0123456789abcdef01234567"
TREE = "f" * 40

VERIFIER_CHECKS = [
    "schema",
    "signature",
    "signer",
    "subject",
    "test_result",
    "commit",
    "clean",
    "config",
    "complete",
    "age",
    "stages",
    "thresholds",
]
"""The verifier's checks in the order a verdict lists them (written out here, not taken
from localci, so that tests compare the verifier against an independent statement)."""


def ran_tests(
    total: int, passed: int, *, failed: int = 0, errors: int = 0, skipped: int = 0
) -> Metrics:
    """Metrics of a tests stage: ``total`` tests, ``passed`` of them passed."""
    counts = TestCounts(total=total, passed=passed, failed=failed, errors=errors, skipped=skipped)
    return Metrics(tests=counts)


def covered(
    percent: float,
    *,
    line_percent: float | None = None,
    branch_percent: float | None = None,
    statements: int = 100,
    covered_statements: int = 0,
    branches: int | None = None,
    covered_branches: int | None = None,
) -> Metrics:
    """Metrics of a coverage stage: ``percent`` combined (``line_percent`` defaults to
    it), ``covered_statements`` of ``statements``; branches not measured unless
    ``branch_percent`` is given."""
    line = percent if line_percent is None else line_percent
    coverage = CoverageMetrics(
        percent=percent,
        line_percent=line,
        branch_percent=branch_percent,
        statements=statements,
        covered_statements=covered_statements,
        branches=branches,
        covered_branches=covered_branches,
    )
    return Metrics(coverage=coverage)


def linted(total: int, *, errors: int = 0, warnings: int = 0, notes: int = 0) -> Metrics:
    """Metrics of a lint stage: ``total`` findings, counted by severity."""
    return Metrics(lint=LintCounts(total=total, errors=errors, warnings=warnings, notes=notes))


def failed_test(test_id: str, **fields: Any) -> Finding:
    """The finding of test ``test_id`` that failed (``assert 1 == 2``, rule ``failure``,
    no location); ``fields`` override."""
    base: dict[str, Any] = {
        "kind": "test",
        "message": "assert 1 == 2",
        "rule": "failure",
        "test_id": test_id,
    }
    return Finding(**(base | fields))


def lint_finding(**fields: Any) -> Finding:
    """A lint finding (``F401 unused import`` at ``src/a.py`` line 3, severity error);
    ``fields`` override."""
    base: dict[str, Any] = {
        "kind": "lint",
        "message": "unused import",
        "path": "src/a.py",
        "line": 3,
        "rule": "F401",
    }
    return Finding(**(base | fields))


def make_stage(name: str, kind: str = "command", **fields: Any) -> StageResult:
    """A passed stage called ``name`` (exit 0, 1.0 s, command ``(name,)``)."""
    base: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "status": "passed",
        "command": (name,),
        "duration": 1.0,
        "exit_code": 0,
    }
    return StageResult(**(base | fields))


def make_result(*stages: StageResult, **fields: Any) -> Result:
    """A successful result for :data:`SHA` holding ``stages``."""
    base: dict[str, Any] = {
        "run_id": "20260101T000000Z-abcdef",
        "localci_version": "0.1.0",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:09Z",
        "duration": 9.0,
        "conclusion": "success",
        "git": GitInfo(commit=SHA, tree=TREE),
        "runner": RunnerInfo(os="Linux", python="3.12", localci_version="0.1.0"),
        "config_path": ".localci.yml",
        "config_sha256": "c" * 64,
        "stages": stages,
    }
    return Result(**(base | fields))
