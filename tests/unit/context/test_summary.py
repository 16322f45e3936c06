"""PR summary deltas against the base result, and the 65,535-character limit."""

from __future__ import annotations

from localci.context.delta import compute_delta
from localci.context.summary import MARKER, MAX_COMMENT_CHARS, TRUNCATION_ORDER, summary_markdown
from localci.result.model import (
    CoverageMetrics,
    Finding,
    GitInfo,
    Inventory,
    Metrics,
    Result,
    TestOutcome,
)
from tests.factories import make_result, make_stage

BASE_SHA = "b" * 40


def _result(
    tests: dict[str, TestOutcome],
    files: dict[str, float],
    lint: list[tuple[str, int, str]],
    *,
    commit: str | None = None,
) -> Result:
    cov = CoverageMetrics(
        percent=sum(files.values()) / len(files),
        line_percent=0.0,
        branch_percent=None,
        statements=1,
        covered_statements=0,
    )
    findings = tuple(
        Finding(kind="lint", message=f"{rule} message", path=path, line=line, rule=rule)
        for path, line, rule in lint
    )
    stages = (
        make_stage("tests", "tests", inventory=Inventory(tests=tuple(sorted(tests.items())))),
        make_stage(
            "coverage",
            "coverage",
            metrics=Metrics(coverage=cov),
            inventory=Inventory(files=tuple(sorted(files.items()))),
        ),
        make_stage("lint", "lint", findings=findings, findings_total=len(findings)),
    )
    extra = {"git": GitInfo(commit=commit, tree="f" * 40)} if commit else {}
    return make_result(*stages, **extra)


BASE = _result(
    {"t.py::a": "passed", "t.py::b": "failed", "t.py::gone": "passed", "t.py::c": "passed"},
    {"src/x.py": 80.0, "src/y.py": 50.0},
    [("src/x.py", 3, "F401"), ("src/y.py", 9, "E501")],
    commit=BASE_SHA,
)
HEAD = _result(
    {"t.py::a": "failed", "t.py::b": "passed", "t.py::new": "passed", "t.py::c": "flaky"},
    {"src/x.py": 90.0, "src/y.py": 50.0, "src/z.py": 10.0},
    [("src/x.py", 5, "F401"), ("src/z.py", 1, "B006")],
)


def test_deltas_name_failing_fixed_added_removed_and_flaky_tests() -> None:
    d = compute_delta(HEAD, BASE)
    assert d.tests.newly_failing == ("t.py::a",)
    assert d.tests.fixed == ("t.py::b",)
    assert d.tests.added == ("t.py::new",)
    assert d.tests.removed == ("t.py::gone",)
    assert d.tests.flaky == ("t.py::c",)


def test_coverage_delta_per_file_and_in_total() -> None:
    d = compute_delta(HEAD, BASE)
    assert d.coverage.files == (("src/x.py", 80.0, 90.0), ("src/z.py", None, 10.0))
    assert d.coverage.total is not None
    assert round(d.coverage.total, 2) == round(50.0 - 65.0, 2)


def test_lint_findings_that_only_moved_are_neither_new_nor_resolved() -> None:
    d = compute_delta(HEAD, BASE)
    assert [f.rule for f in d.lint.new] == ["B006"]
    assert [f.rule for f in d.lint.resolved] == ["E501"]


def test_without_a_base_nothing_is_newly_failing_and_added_is_unknown() -> None:
    d = compute_delta(HEAD, None)
    assert d.tests.newly_failing == ()
    assert d.tests.added is None
    text = summary_markdown(HEAD, None)
    assert "no base result" in text
    assert "? added, ? removed" in text


def test_summary_starts_with_the_marker_and_counts_everything() -> None:
    text = summary_markdown(HEAD, BASE)
    assert text.startswith(MARKER + "\n")
    assert "1 newly failing, 1 fixed, 1 added, 1 removed, 1 flaky" in text
    assert "**Lint:** 1 new, 1 resolved" in text
    assert "| `src/x.py` | 80.00% | 90.00% | +10.00 |" in text
    assert "Cut to fit" not in text


def _huge() -> tuple[Result, Result]:
    many = {f"tests/test_mod.py::test_{i:05d}[{'x' * 20}]": "passed" for i in range(3000)}
    base = dict(many)
    head = {k.replace("test_mod", "test_new"): v for k, v in many.items()}
    head.update({k: "failed" for k in list(base)[:1]})
    files = {f"src/pkg/module_{i:04d}.py": float(i % 100) for i in range(800)}
    moved = {k: (v + 1) % 100 for k, v in files.items()}
    return (
        _result(head, moved, [(f"src/f{i}.py", i + 1, "F401") for i in range(500)]),  # type: ignore[arg-type]
        _result(base, files, [], commit=BASE_SHA),  # type: ignore[arg-type]
    )


def test_a_huge_summary_is_cut_in_the_stated_order_to_exactly_fit() -> None:
    head, base = _huge()
    full = summary_markdown(head, base, limit=10**8)
    assert len(full) > MAX_COMMENT_CHARS
    text = summary_markdown(head, base)
    assert len(text) <= MAX_COMMENT_CHARS
    assert len(text) > MAX_COMMENT_CHARS - 2000  # filled up to the limit, not far below
    assert "3000 added, 2999 removed" in text  # counts stay complete
    assert "removed tests to 0 of 2999" in text
    assert "Newly failing tests (1)" in text  # the last in the cut order survives whole
    assert TRUNCATION_ORDER[0] == "removed tests"


def test_every_limit_is_honoured() -> None:
    head, base = _huge()
    for limit in (MAX_COMMENT_CHARS, 20000, 3000, 500):
        assert len(summary_markdown(head, base, limit=limit)) <= limit
