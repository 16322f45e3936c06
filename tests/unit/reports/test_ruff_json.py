from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localci.errors import ReportError
from localci.reports import ReportData
from localci.reports.ruff_json import RuffJsonParser

Runs = tuple[dict[str, Path], int]


def parse(path: Path, root: Path) -> ReportData:
    return RuffJsonParser().parse(path, root=root)


def diagnostics(runs: Runs) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(runs[0]["json"].read_text(encoding="utf-8"))
    return loaded


def write(tmp_path: Path, items: list[dict[str, Any]]) -> Path:
    path = tmp_path / "ruff.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_counts_match_ruffs_own_count(ruff_runs: Runs, ruff_project: Path) -> None:
    reports, found = ruff_runs
    lint = parse(reports["json"], ruff_project).lint
    assert lint is not None
    assert (lint.total, lint.errors, lint.warnings, lint.notes) == (found, found, 0, 0)


def test_each_diagnostic_becomes_a_finding(ruff_runs: Runs, ruff_project: Path) -> None:
    findings = parse(ruff_runs[0]["json"], ruff_project).findings
    expected = [
        (
            Path(d["filename"]).relative_to(ruff_project).as_posix(),
            d["location"]["row"],
            d["location"]["column"],
            d["end_location"]["row"],
            d["code"],
            d["message"],
        )
        for d in diagnostics(ruff_runs)
    ]
    got = [(f.path, f.line, f.column, f.end_line, f.rule, f.message) for f in findings]
    assert got == expected
    assert {(f.kind, f.severity) for f in findings} == {("lint", "error")}


def test_paths_are_relative_posix_and_decoded(ruff_runs: Runs, ruff_project: Path) -> None:
    paths = {f.path for f in parse(ruff_runs[0]["json"], ruff_project).findings}
    assert paths == {"pkg/a.py", "pkg/bad.py", "pkg/sp ace.py"}


def test_syntax_errors_keep_a_rule(ruff_runs: Runs, ruff_project: Path, tmp_path: Path) -> None:
    """ruff 0.17 writes ``invalid-syntax``; older releases wrote ``null``."""
    items = diagnostics(ruff_runs)
    syntax = [d for d in items if d["code"] == "invalid-syntax"]
    assert syntax
    for d in syntax:
        d["code"] = None
    rules = {f.rule for f in parse(write(tmp_path, items), ruff_project).findings}
    assert "syntax-error" in rules
    assert "invalid-syntax" not in rules


def test_positions_below_one_and_outside_files_are_dropped(
    ruff_runs: Runs, ruff_project: Path, tmp_path: Path
) -> None:
    item = diagnostics(ruff_runs)[0]
    item |= {
        "filename": str(tmp_path / "elsewhere.py"),
        "location": {"row": 0, "column": 0},
        "end_location": None,
    }
    [finding] = parse(write(tmp_path, [item]), ruff_project).findings
    assert (finding.path, finding.line, finding.column, finding.end_line) == (None,) * 4


def test_ruffs_own_severity_is_honoured(
    ruff_runs: Runs, ruff_project: Path, tmp_path: Path
) -> None:
    items = diagnostics(ruff_runs)[:3]
    items[0]["severity"], items[1]["severity"] = "warning", "something-new"
    del items[2]["severity"]
    lint = parse(write(tmp_path, items), ruff_project).lint
    assert lint is not None
    assert (lint.errors, lint.warnings) == (2, 1)


def test_no_diagnostics(tmp_path: Path) -> None:
    data = parse(write(tmp_path, []), tmp_path)
    assert data.lint is not None
    assert (data.lint.total, data.findings) == (0, ())


def test_an_object_is_not_ruff_output(ruff_runs: Runs, tmp_path: Path) -> None:
    path = tmp_path / "ruff.json"
    path.write_text(json.dumps({"results": diagnostics(ruff_runs)}), encoding="utf-8")
    with pytest.raises(
        ReportError, match=r"is not a ruff JSON report: \$: expected array, found an object\. "
    ):
        parse(path, tmp_path)
