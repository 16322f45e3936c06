from __future__ import annotations

import json
from pathlib import Path

import pytest

from localci.errors import ReportError
from localci.reports import ReportData
from localci.reports._base import positive
from localci.reports.coverage_json import CoverageJsonParser
from localci.result.model import Finding

Runs = dict[str, tuple[Path, Path, float, str]]
MOD = "src/pkg/mod.py"


def parse(path: Path, root: Path) -> ReportData:
    return CoverageJsonParser().parse(path, root=root)


def totals(path: Path) -> dict[str, float]:
    loaded: dict[str, float] = json.loads(path.read_text(encoding="utf-8"))["totals"]
    return loaded


def as_missing_column(findings: tuple[Finding, ...]) -> str:
    """Findings in the form of coverage's "Missing" column (``4, 8-11, 18``)."""
    parts = [f"{f.line}" if f.line == f.end_line else f"{f.line}-{f.end_line}" for f in findings]
    return ", ".join(parts)


@pytest.mark.parametrize("name", ["branch", "line", "empty"])
def test_percent_is_coverage_reports_total(
    name: str, coverage_runs: Runs, coverage_project: Path
) -> None:
    json_path, _, total, _ = coverage_runs[name]
    metrics = parse(json_path, coverage_project).coverage
    assert metrics is not None
    assert metrics.percent == pytest.approx(total, abs=1e-8)


def test_branch_figures_are_coverage_own(coverage_runs: Runs, coverage_project: Path) -> None:
    json_path = coverage_runs["branch"][0]
    metrics = parse(json_path, coverage_project).coverage
    raw = totals(json_path)
    assert metrics is not None
    assert (metrics.statements, metrics.covered_statements) == (
        raw["num_statements"],
        raw["covered_lines"],
    )
    assert (metrics.branches, metrics.covered_branches) == (
        raw["num_branches"],
        raw["covered_branches"],
    )
    assert metrics.line_percent == pytest.approx(raw["percent_statements_covered"])
    assert metrics.branch_percent == pytest.approx(raw["percent_branches_covered"])
    assert metrics.percent < metrics.line_percent  # partial branches pull the total down


def test_without_branch_measurement_branch_figures_are_none(
    coverage_runs: Runs, coverage_project: Path
) -> None:
    metrics = parse(coverage_runs["line"][0], coverage_project).coverage
    assert metrics is not None
    assert (metrics.branch_percent, metrics.branches, metrics.covered_branches) == (None,) * 3
    assert metrics.percent == metrics.line_percent


def test_no_statements_is_100_percent(coverage_runs: Runs, coverage_project: Path) -> None:
    data = parse(coverage_runs["empty"][0], coverage_project)
    assert data.coverage is not None
    assert (data.coverage.percent, data.coverage.line_percent) == (100.0, 100.0)
    assert data.coverage.statements == 0
    assert data.findings == ()


@pytest.mark.parametrize("name", ["branch", "line"])
def test_uncovered_ranges_match_coverage_missing_column(
    name: str, coverage_runs: Runs, coverage_project: Path
) -> None:
    json_path, _, _, missing = coverage_runs[name]
    findings = parse(json_path, coverage_project).findings
    lines_only = ", ".join(p for p in missing.split(", ") if "->" not in p)
    assert as_missing_column(findings) == lines_only
    assert "8-11" in lines_only  # a range across a blank line, as coverage.py merges it


def test_findings_are_notes_on_the_file(coverage_runs: Runs, coverage_project: Path) -> None:
    findings = parse(coverage_runs["line"][0], coverage_project).findings
    assert [f.message for f in findings] == [
        "Line 4 is not covered",
        "Lines 8-11 are not covered",
        "Line 18 is not covered",
    ]
    assert {(f.kind, f.severity, f.path) for f in findings} == {("coverage", "note", MOD)}


def test_files_outside_root_count_but_give_no_findings(
    coverage_runs: Runs, coverage_project: Path
) -> None:
    json_path = coverage_runs["branch"][0]
    files = json.loads(json_path.read_text(encoding="utf-8"))["files"]
    outside = [name for name in files if Path(name).is_absolute()]
    assert outside
    assert files[outside[0]]["missing_lines"]
    assert {f.path for f in parse(json_path, coverage_project).findings} == {MOD}


def test_more_covered_than_statements_is_refused(
    coverage_runs: Runs, coverage_project: Path, tmp_path: Path
) -> None:
    doc = json.loads(coverage_runs["line"][0].read_text(encoding="utf-8"))
    statements = doc["totals"]["num_statements"]
    doc["totals"]["covered_lines"] = statements + 1
    bad = tmp_path / "coverage.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    expected = f"is inconsistent: it counts {statements + 1} covered lines out of {statements}"
    with pytest.raises(ReportError, match=expected):
        parse(bad, coverage_project)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (412, 412),
        (0, None),  # "the whole file" in some tools: dropped, never invented
        (-3, None),
        (True, None),  # JSON true is no line number
        (False, None),
        (7.0, 7),
        (7.5, None),
        (0.0, None),
        (float("nan"), None),
        (float("inf"), None),
        ("7", None),
        (None, None),
        ([7], None),
    ],
)
def test_a_position_is_a_whole_number_from_one(value: object, expected: int | None) -> None:
    found = positive(value)
    assert found == expected
    assert found is None or type(found) is int
