"""Thresholds, evaluated from raw metrics: the same code for ``run`` and ``verify``.

The verifier never trusts a document's ``passed`` flags; it calls :func:`evaluate` with the
base branch's stage configuration and the document's raw metrics.
"""

from __future__ import annotations

from localci.config.loader import StageConfig
from localci.result.model import Metrics, ThresholdOutcome

__all__ = ["describe_failure", "evaluate", "report_is_clean"]


_SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}


def evaluate(stage: StageConfig, metrics: Metrics) -> tuple[ThresholdOutcome, ...]:
    """Every threshold ``stage`` declares that ``metrics`` can answer, in a fixed order.

    - ``max_failures`` (tests): ``failed + errors <= limit``.
    - ``max_flaky`` (tests): ``flaky <= limit`` (tests that failed, then passed on a
      re-run; 0 for results without re-runs).
    - ``min_percent`` (coverage): ``percent >= limit`` (coverage.py's total, unrounded);
      with ``stage.precision`` set (the limit is the project's own ``fail_under``),
      coverage.py's own rule instead, so the verdict equals coverage.py's exit 2:
      ``coverage.results.should_fail_under(total, fail_under, precision)`` rounds the
      total to ``precision`` digits (more when the limit has more) and demands exactly
      100 for a limit of 100.
    - ``max_findings`` (lint): findings at or above ``stage.severity`` ``<= limit``.

    A threshold whose metric is absent yields no outcome; the caller decides what a
    missing metric means (a run records a stage error; the verifier fails the check).
    """
    out: list[ThresholdOutcome] = []
    if stage.max_failures is not None and metrics.tests is not None:
        bad = metrics.tests.failed + metrics.tests.errors
        out.append(_outcome("max_failures", stage.max_failures, bad, bad <= stage.max_failures))
    if stage.max_flaky is not None and metrics.tests is not None:
        flaky = metrics.tests.flaky
        out.append(_outcome("max_flaky", stage.max_flaky, flaky, flaky <= stage.max_flaky))
    if stage.min_percent is not None and metrics.coverage is not None:
        out.append(_min_percent(stage.min_percent, stage.precision, metrics.coverage.percent))
    if stage.max_findings is not None and metrics.lint is not None:
        lint, rank = metrics.lint, _SEVERITY_RANK[stage.severity]
        counted = (
            lint.errors + (lint.warnings if rank >= 1 else 0) + (lint.notes if rank >= 2 else 0)
        )
        out.append(
            ThresholdOutcome(
                name="max_findings",
                limit=stage.max_findings,
                actual=counted,
                passed=counted <= stage.max_findings,
                severity=stage.severity,
            )
        )
    return tuple(out)


def _min_percent(limit: float, precision: int | None, pct: float) -> ThresholdOutcome:
    if precision is None:
        return _outcome("min_percent", limit, pct, pct >= limit)
    from coverage.results import should_fail_under

    passed = not should_fail_under(pct, limit, precision)
    return ThresholdOutcome(
        name="min_percent", limit=limit, actual=pct, passed=passed, precision=precision
    )


def _outcome(name: str, limit: float, actual: float, passed: bool) -> ThresholdOutcome:
    return ThresholdOutcome(name=name, limit=limit, actual=actual, passed=passed)  # type: ignore[arg-type]


def describe_failure(outcome: ThresholdOutcome) -> str:
    """One sentence for a failed threshold, e.g. ``coverage 71.43% is below min_percent 80``."""
    if outcome.name == "min_percent":
        rule = (
            ""
            if outcome.precision is None
            else f" (coverage.py's fail_under rule at precision {outcome.precision})"
        )
        return f"coverage {outcome.actual:.2f}% is below min_percent {outcome.limit:g}{rule}"
    if outcome.name == "max_flaky":
        return (
            f"{outcome.actual:g} flaky tests (failed, then passed on a re-run) exceed "
            f"max_flaky {outcome.limit:g}"
        )
    if outcome.name == "max_failures":
        return f"{outcome.actual:g} failed or errored tests exceed max_failures {outcome.limit:g}"
    level = f" at severity {outcome.severity} or above" if outcome.severity else ""
    return f"{outcome.actual:g} findings{level} exceed max_findings {outcome.limit:g}"


def report_is_clean(metrics: Metrics) -> bool:
    """Whether a tests or lint report shows nothing wrong (no failed or errored test, no
    finding); ``False`` for coverage and for absent metrics. A tool that exits 1 with a
    clean report failed for a reason its report does not show (``pytest && mypy``)."""
    if metrics.tests is not None:
        return metrics.tests.failed + metrics.tests.errors == 0
    if metrics.lint is not None:
        return metrics.lint.total == 0
    return False
