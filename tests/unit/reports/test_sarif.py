from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localci.errors import ReportError
from localci.reports import ReportData
from localci.reports.ruff_json import RuffJsonParser
from localci.reports.sarif import SarifParser
from localci.result.model import Finding

Runs = tuple[dict[str, Path], int]


def parse(path: Path, root: Path) -> ReportData:
    return SarifParser().parse(path, root=root)


def write(tmp_path: Path, log: dict[str, Any]) -> Path:
    path = tmp_path / "lint.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    return path


def result(text: str, **fields: Any) -> dict[str, Any]:
    return {"message": {"text": text}, **fields}


def at(uri: str, **location: Any) -> dict[str, Any]:
    artifact = {"uri": uri, **location}
    return {"locations": [{"physicalLocation": {"artifactLocation": artifact}}]}


def log_with(results: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    rules = [
        {"id": "R1", "defaultConfiguration": {"level": "error"}},
        {"id": "R2", "defaultConfiguration": {"level": "note"}},
        {"id": "R3"},
    ]
    driver = {"name": "demo", "rules": rules}
    return {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}


def by_message(findings: tuple[Finding, ...]) -> dict[str, Finding]:
    return {f.message: f for f in findings}


def test_counts_match_ruffs_own_count(ruff_runs: Runs, ruff_project: Path) -> None:
    reports, found = ruff_runs
    lint = parse(reports["sarif"], ruff_project).lint
    assert lint is not None
    assert (lint.total, lint.errors) == (found, found)


def test_ruff_sarif_says_what_ruff_json_says(ruff_runs: Runs, ruff_project: Path) -> None:
    """The same diagnostics through both formats: percent-encoded URIs, 1-based columns."""
    reports, _ = ruff_runs
    sarif = parse(reports["sarif"], ruff_project).findings
    ruff = RuffJsonParser().parse(reports["json"], root=ruff_project).findings
    assert sorted(sarif, key=repr) == sorted(ruff, key=repr)
    assert "pkg/sp ace.py" in {f.path for f in sarif}


@pytest.mark.parametrize(
    ("fields", "severity"),
    [
        ({"level": "error", "ruleId": "R2"}, "error"),  # the result's own level wins
        ({"level": "warning"}, "warning"),
        ({"level": "note"}, "note"),
        ({"level": "none"}, "note"),
        ({"ruleIndex": 0}, "error"),  # R1's defaultConfiguration.level
        ({"rule": {"index": 1}}, "note"),
        ({"ruleId": "R2"}, "note"),
        ({"rule": {"id": "R1"}}, "error"),
        ({"ruleId": "R1/sub-rule"}, "error"),  # §3.27.5 hierarchical id
        ({"ruleId": "R3"}, "warning"),  # a rule without a default level
        ({"ruleId": "unknown"}, "warning"),  # §3.27.10 default
        ({}, "warning"),
        ({"kind": "review", "ruleId": "R1"}, "note"),  # not "fail": level "none"
        ({"kind": "fail", "ruleId": "R1"}, "error"),
    ],
)
def test_level_follows_sarif_3_27_10(fields: dict[str, Any], severity: str, tmp_path: Path) -> None:
    [finding] = parse(write(tmp_path, log_with([result("m", **fields)])), tmp_path).findings
    assert finding.severity == severity


def test_rule_id_comes_from_the_result_or_its_rule(tmp_path: Path) -> None:
    results = [result("a", ruleId="R2"), result("b", ruleIndex=0), result("c", rule={"id": "X"})]
    findings = by_message(parse(write(tmp_path, log_with(results)), tmp_path).findings)
    assert {m: f.rule for m, f in findings.items()} == {"a": "R2", "b": "R1", "c": "X"}


def test_results_that_are_not_problems_are_skipped(tmp_path: Path) -> None:
    results = [result("pass", kind="pass"), result("na", kind="notApplicable"), result("open")]
    data = parse(write(tmp_path, log_with(results)), tmp_path)
    assert [f.message for f in data.findings] == ["open"]
    assert data.lint is not None
    assert (data.lint.total, data.lint.warnings) == (1, 1)


def test_uris_resolve_to_paths_under_root(tmp_path: Path) -> None:
    bases = {
        "REPO": {"uri": tmp_path.as_uri() + "/"},
        "SRC": {"uri": "src/", "uriBaseId": "REPO"},
        "LOOP": {"uri": "x/", "uriBaseId": "LOOP"},
    }
    artifacts = [{"location": {"uri": "src/indexed.py", "uriBaseId": "REPO"}}]
    results = [
        result("chain", **at("a%20b.py", uriBaseId="SRC")),
        result("file-uri", **at(tmp_path.as_uri() + "/src/x.py")),
        result("relative", **at("src/y.py")),
        result("unknown-base", **at("z.py", uriBaseId="%SRCROOT%")),
        result("outside", **at("file:///elsewhere/q.py")),
        result("web", **at("https://example.com/a.py")),
        result("loop", **at("l.py", uriBaseId="LOOP")),
        result("malformed", **at("file://[::1/a.py")),
        result("indexed", locations=[{"physicalLocation": {"artifactLocation": {"index": 0}}}]),
        result("no-location"),
    ]
    log = log_with(results, originalUriBaseIds=bases, artifacts=artifacts)
    findings = by_message(parse(write(tmp_path, log), tmp_path).findings)
    assert {m: f.path for m, f in findings.items()} == {
        "chain": "src/a b.py",
        "file-uri": "src/x.py",
        "relative": "src/y.py",
        "unknown-base": "z.py",
        "outside": None,
        "web": None,
        "loop": None,
        "malformed": None,
        "indexed": "src/indexed.py",
        "no-location": None,
    }


def test_region_gives_1_based_positions(tmp_path: Path) -> None:
    def located(text: str, region: dict[str, Any]) -> dict[str, Any]:
        loc = {"artifactLocation": {"uri": "a.py"}, "region": region}
        return result(text, locations=[{"physicalLocation": loc}])

    results = [
        located("full", {"startLine": 3, "startColumn": 5, "endLine": 4, "endColumn": 1}),
        located("zero", {"startLine": 0, "startColumn": 0}),
        located("offsets-only", {"charOffset": 10, "charLength": 2}),
    ]
    findings = by_message(parse(write(tmp_path, log_with(results)), tmp_path).findings)
    positions = {m: (f.line, f.column, f.end_line) for m, f in findings.items()}
    assert positions == {
        "full": (3, 5, 4),
        "zero": (None, None, None),
        "offsets-only": (None, None, None),
    }


def test_message_falls_back_to_markdown_then_rule(tmp_path: Path) -> None:
    results: list[dict[str, Any]] = [
        {"message": {"markdown": "**md**"}},
        {"message": {}, "ruleId": "R1"},
    ]
    findings = parse(write(tmp_path, log_with(results)), tmp_path).findings
    assert [f.message for f in findings] == ["**md**", "R1"]


@pytest.mark.parametrize(
    ("log", "message"),
    [
        ({"version": "2.1.0", "runs": [{"results": None}]}, r"\$\.runs\[0\]\.results: expected"),
        ({"version": "2.1.0", "runs": [{"tool": {}}]}, r"'results' is a required property"),
        ({"version": "2.1.0", "runs": []}, r"\$\.runs: \[\] should be non-empty"),
        ({"version": "2.0.0", "runs": [{"results": []}]}, r"\$\.version: '2\.1\.0' was expected"),
        (
            {"version": "2.1.0", "runs": [{"results": [result("m", level="fatal")]}]},
            r"\$\.runs\[0\]\.results\[0\]\.level: 'fatal' is not one of",
        ),
    ],
)
def test_logs_without_usable_results_are_refused(
    log: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match=message):
        parse(write(tmp_path, log), tmp_path)
