"""What changed between the result for a pull request's base and the one for its head.

Pure functions over two :class:`~localci.result.model.Result` objects. Tests and per-file
coverage come from each stage's ``inventory`` (results since schema 1.1); without one,
failing tests fall back to the ``test`` findings, and added/removed tests and per-file
coverage are unknown (``None``), which the summary says. Lint findings are matched by
``(path, rule, message)`` and count, so a finding that only moved lines is neither new
nor resolved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from localci.result.model import Finding, Result

__all__ = ["CoverageDelta", "Delta", "LintDelta", "TestDelta", "compute_delta"]

_FAILING = ("failed", "error")


@dataclass(frozen=True, kw_only=True)
class TestDelta:
    """Node ids, sorted. ``added`` / ``removed`` are ``None`` when either side has no
    inventory of all its tests. ``flaky`` are the head's flaky tests."""

    __test__ = False  # not a pytest test class

    newly_failing: tuple[str, ...]
    fixed: tuple[str, ...]
    added: tuple[str, ...] | None
    removed: tuple[str, ...] | None
    flaky: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CoverageDelta:
    """Totals in percent (``None`` when a side has no coverage stage) and, per file whose
    coverage changed, ``(path, base percent or None, head percent or None)``, largest
    change first; ``files`` is ``None`` when a side has no per-file inventory."""

    base: float | None
    head: float | None
    files: tuple[tuple[str, float | None, float | None], ...] | None

    @property
    def total(self) -> float | None:
        """Head minus base, in percentage points, when both are known."""
        if self.base is None or self.head is None:
            return None
        return self.head - self.base


@dataclass(frozen=True, kw_only=True)
class LintDelta:
    """Findings present in the head but not the base (``new``), and the reverse."""

    new: tuple[Finding, ...]
    resolved: tuple[Finding, ...]


@dataclass(frozen=True, kw_only=True)
class Delta:
    """The three deltas; ``base_commit`` is ``None`` when there was no base result."""

    base_commit: str | None
    tests: TestDelta
    coverage: CoverageDelta
    lint: LintDelta


def _tests(result: Result | None) -> tuple[dict[str, str] | None, set[str]]:
    """(every test's outcome, when inventoried; the failing node ids)."""
    if result is None:
        return None, set()
    outcomes: dict[str, str] | None = None
    failing: set[str] = set()
    for stage in result.stages:
        if stage.inventory is not None and stage.inventory.tests:
            outcomes = (outcomes or {}) | dict(stage.inventory.tests)
        failing |= {f.test_id for f in stage.findings if f.kind == "test" and f.test_id}
    if outcomes is not None:
        failing |= {k for k, v in outcomes.items() if v in _FAILING}
    return outcomes, failing


def _test_delta(head: Result, base: Result | None) -> TestDelta:
    head_all, head_bad = _tests(head)
    base_all, base_bad = _tests(base)
    fixed = base_bad - head_bad
    if head_all is not None:
        fixed = {t for t in fixed if t in head_all}
    both = head_all is not None and base_all is not None
    flaky = {k for k, v in (head_all or {}).items() if v == "flaky"}
    flaky |= {f.test_id for s in head.stages for f in s.findings if f.rule == "flaky" and f.test_id}
    return TestDelta(
        newly_failing=tuple(sorted(head_bad - base_bad)) if base is not None else (),
        fixed=tuple(sorted(fixed)),
        added=tuple(sorted(set(head_all or ()) - set(base_all or ()))) if both else None,
        removed=tuple(sorted(set(base_all or ()) - set(head_all or ()))) if both else None,
        flaky=tuple(sorted(flaky)),
    )


def _coverage(result: Result | None) -> tuple[float | None, dict[str, float] | None]:
    if result is None:
        return None, None
    total: float | None = None
    files: dict[str, float] | None = None
    for stage in result.stages:
        if stage.metrics.coverage is not None:
            total = stage.metrics.coverage.percent
        if stage.inventory is not None and stage.inventory.files:
            files = (files or {}) | dict(stage.inventory.files)
    return total, files


def _coverage_delta(head: Result, base: Result | None) -> CoverageDelta:
    head_total, head_files = _coverage(head)
    base_total, base_files = _coverage(base)
    if head_files is None or base_files is None:
        return CoverageDelta(base=base_total, head=head_total, files=None)
    rows = [
        (path, base_files.get(path), head_files.get(path))
        for path in sorted(set(head_files) | set(base_files))
        if base_files.get(path) != head_files.get(path)
    ]
    rows.sort(key=lambda r: -abs((r[2] or 0.0) - (r[1] or 0.0)))
    return CoverageDelta(base=base_total, head=head_total, files=tuple(rows))


def _lint(result: Result | None) -> list[Finding]:
    if result is None:
        return []
    return [f for s in result.stages for f in s.findings if f.kind == "lint"]


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.path or "", f.rule or "", f.message)


def _minus(left: list[Finding], right: list[Finding]) -> tuple[Finding, ...]:
    """Findings of ``left`` beyond the count of the same key in ``right``."""
    budget = Counter(_key(f) for f in right)
    out = []
    for f in left:
        if budget[_key(f)]:
            budget[_key(f)] -= 1
        else:
            out.append(f)
    return tuple(out)


def compute_delta(head: Result, base: Result | None) -> Delta:
    """The deltas of ``head`` against ``base`` (``None``: no base result; then nothing
    counts as newly failing, and every lint finding is new)."""
    head_lint, base_lint = _lint(head), _lint(base)
    return Delta(
        base_commit=base.git.commit if base is not None else None,
        tests=_test_delta(head, base),
        coverage=_coverage_delta(head, base),
        lint=LintDelta(new=_minus(head_lint, base_lint), resolved=_minus(base_lint, head_lint)),
    )
