from __future__ import annotations

import re
from pathlib import Path

import pytest

from localci.errors import ReportError
from localci.reports import ReportData
from localci.reports.cobertura import CoberturaParser
from localci.reports.coverage_json import CoverageJsonParser

Runs = dict[str, tuple[Path, Path, float, str]]
NAMES = ["branch", "line", "empty"]


def parse(path: Path, root: Path) -> ReportData:
    return CoberturaParser().parse(path, root=root)


def rewrite(src: Path, dest: Path, pattern: str, replacement: str) -> Path:
    text, count = re.subn(pattern, replacement, src.read_text(encoding="utf-8"), count=1)
    assert count == 1, pattern
    dest.write_text(text, encoding="utf-8")
    return dest


@pytest.mark.parametrize("name", NAMES)
def test_percent_is_coverage_reports_total(
    name: str, coverage_runs: Runs, coverage_project: Path
) -> None:
    _, xml_path, total, _ = coverage_runs[name]
    metrics = parse(xml_path, coverage_project).coverage
    assert metrics is not None
    assert metrics.percent == pytest.approx(total, abs=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_same_metrics_and_findings_as_the_json_report(
    name: str, coverage_runs: Runs, coverage_project: Path
) -> None:
    json_path, xml_path, _, _ = coverage_runs[name]
    assert parse(xml_path, coverage_project) == CoverageJsonParser().parse(
        json_path, root=coverage_project
    )


def test_branch_measurement_is_told_apart_from_none(
    coverage_runs: Runs, coverage_project: Path
) -> None:
    branch = parse(coverage_runs["branch"][1], coverage_project).coverage
    line = parse(coverage_runs["line"][1], coverage_project).coverage
    assert branch is not None
    assert line is not None
    assert branch.branches == 4
    assert branch.branch_percent == 50.0
    assert (line.branches, line.branch_percent) == (None, None)


@pytest.mark.parametrize(
    "attributes",
    [
        "",  # another producer may leave the branch attributes out
        'branches-valid="0" branches-covered="0" branch-rate="unknown"',
    ],
)
def test_branch_attributes_absent_or_odd_mean_not_measured(
    attributes: str, coverage_runs: Runs, coverage_project: Path, tmp_path: Path
) -> None:
    original = coverage_runs["line"][1]
    pattern = r'branches-covered="0" branches-valid="0" branch-rate="0"'
    edited = rewrite(original, tmp_path / "c.xml", pattern, attributes)
    assert parse(edited, coverage_project) == parse(original, coverage_project)


def test_root_reached_through_a_symlink(
    coverage_runs: Runs, coverage_project: Path, tmp_path: Path
) -> None:
    """``<source>`` holds the real path; the root may be a symlink to it (macOS /tmp)."""
    link = tmp_path / "link"
    link.symlink_to(coverage_project, target_is_directory=True)
    original = coverage_runs["line"][1]
    real_source = f"<source>{coverage_project.resolve()}</source>"
    edited = rewrite(original, tmp_path / "c.xml", r"<source>[^<]*</source>", real_source)
    findings = parse(edited, link).findings
    assert findings == parse(original, coverage_project).findings
    assert findings


@pytest.mark.parametrize(
    "sources",
    [
        "<source>{root}</source>",
        "<source>.</source>",
        "<source></source>",  # what coverage.py writes for files it names by absolute path
        "<source>/nonexistent/localci</source><source>{root}</source>",  # the second has it
    ],
)
def test_filenames_resolve_against_the_source_holding_them(
    sources: str, coverage_runs: Runs, coverage_project: Path, tmp_path: Path
) -> None:
    original = coverage_runs["line"][1]
    replacement = sources.format(root=coverage_project)
    edited = rewrite(original, tmp_path / "c.xml", r"<source>[^<]*</source>", replacement)
    findings = parse(edited, coverage_project).findings
    assert findings == parse(original, coverage_project).findings
    assert {f.path for f in findings} == {"src/pkg/mod.py"}


@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (r'lines-valid="\d+"', 'lines-valid="many"', r"lines-valid is 'many', not a count"),
        (r'lines-valid="\d+"', "", r"lines-valid is missing, not a count"),
        (r'lines-covered="\d+"', 'lines-covered="999"', r"counts 999 covered lines out of"),
        (r'<line number="4" hits="0"', '<line number="-4" hits="0"', r"number is '-4'"),
        (r'filename="[^"]*mod.py"', "", r"a <class> element has no filename"),
    ],
)
def test_bad_attributes_are_refused(
    pattern: str,
    replacement: str,
    message: str,
    coverage_runs: Runs,
    coverage_project: Path,
    tmp_path: Path,
) -> None:
    edited = rewrite(coverage_runs["line"][1], tmp_path / "c.xml", pattern, replacement)
    with pytest.raises(ReportError, match=message):
        parse(edited, coverage_project)
