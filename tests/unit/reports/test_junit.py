from __future__ import annotations

import re
from pathlib import Path

import pytest

from localci.errors import ReportError
from localci.reports._base import MAX_DETAILS, MAX_MESSAGE
from localci.reports.junit import JunitParser
from localci.result.model import Finding

Runs = dict[str, tuple[Path, dict[str, int]]]

MIX = "tests/test_mix.py"
COLLECT = "tests/broken/test_collect.py"
BAD_CONFTEST = "tests/badconf"
EXPECTED_FINDINGS = {
    ("error", COLLECT),
    ("error", BAD_CONFTEST),  # a directory whose conftest.py fails
    ("failure", f"{MIX}::test_fail"),
    ("failure", f"{MIX}::test_fail_in_helper"),
    ("failure", f"{MIX}::test_long_message"),
    ("error", f"{MIX}::test_setup_error"),
    ("error", f"{MIX}::test_teardown_error"),
    ("failure", f"{MIX}::test_fail_and_teardown_error"),
    ("error", f"{MIX}::test_fail_and_teardown_error"),
    ("xpass", f"{MIX}::test_strict_xpass"),
    ("failure", f"{MIX}::TestK::test_method"),
    ("failure", f"{MIX}::TestK::test_param[a b]"),
    ("failure", f"{MIX}::TestK::test_param[x::y]"),
}
FAMILIES = ["xunit2", "xunit1"]


def parse(path: Path, root: Path) -> tuple[Finding, ...]:
    return JunitParser().parse(path, root=root).findings


def marker_line(root: Path, marker: str) -> int:
    lines = (root / MIX).read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.endswith(f"# LINE:{marker}"))


def finding(findings: tuple[Finding, ...], rule: str, test_id: str) -> Finding:
    return next(f for f in findings if f.rule == rule and f.test_id == f"{MIX}::{test_id}")


@pytest.mark.parametrize("family", FAMILIES)
def test_counts_match_pytest_summary(family: str, junit_runs: Runs, tested_project: Path) -> None:
    report, summary = junit_runs[family]
    counts = JunitParser().parse(report, root=tested_project).tests
    assert counts is not None
    assert counts.failed == summary["failed"]
    assert counts.errors == summary["errors"]
    assert counts.skipped == summary["skipped"]
    assert counts.xfailed == summary["xfailed"]
    # JUnit cannot tell a non-strict xpass from a pass: both are a bare <testcase/>.
    assert counts.passed == summary["passed"] + summary["xpassed"]
    assert counts.xpassed == 0
    assert counts.total == sum(summary.values())


def test_summary_covers_every_outcome(junit_runs: Runs) -> None:
    _, summary = junit_runs["xunit2"]
    assert all(summary[k] > 0 for k in summary), summary
    assert summary["xpassed"] == 1


@pytest.mark.parametrize("family", FAMILIES)
def test_one_finding_per_failure_and_error(
    family: str, junit_runs: Runs, tested_project: Path
) -> None:
    report, summary = junit_runs[family]
    findings = parse(report, tested_project)
    assert {(f.rule, f.test_id) for f in findings} == EXPECTED_FINDINGS
    assert len(findings) == summary["failed"] + summary["errors"]
    assert {f.kind for f in findings} == {"test"}
    assert {f.severity for f in findings} == {"error"}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    ("rule", "test_id", "marker"),
    [
        ("failure", "test_fail", "fail"),
        ("failure", "test_fail_in_helper", "helper-call"),
        ("error", "test_setup_error", "setup-error"),
        ("error", "test_teardown_error", "teardown-error"),
        ("failure", "test_fail_and_teardown_error", "fail-and-teardown"),
        ("error", "test_fail_and_teardown_error", "teardown-error"),
        ("failure", "TestK::test_method", "method"),
        ("failure", "TestK::test_param[x::y]", "param"),
    ],
)
def test_location_is_the_failing_line_of_the_test_file(
    family: str, rule: str, test_id: str, marker: str, junit_runs: Runs, tested_project: Path
) -> None:
    found = finding(parse(junit_runs[family][0], tested_project), rule, test_id)
    assert found.path == MIX
    assert found.line == marker_line(tested_project, marker)


@pytest.mark.parametrize("family", FAMILIES)
def test_collection_error_names_the_module(
    family: str, junit_runs: Runs, tested_project: Path
) -> None:
    findings = parse(junit_runs[family][0], tested_project)
    error = next(f for f in findings if f.test_id == COLLECT)
    assert error.path == COLLECT
    assert error.line == 1
    # pytest's own words for what broke, not its generic "collection failure"
    assert error.message == (
        "Collection error: ModuleNotFoundError: "
        "No module named 'nonexistent_module_for_localci_tests'"
    )
    assert "nonexistent_module_for_localci_tests" in (error.details or "")


def test_a_failing_conftest_names_its_directory(junit_runs: Runs, tested_project: Path) -> None:
    findings = parse(junit_runs["xunit2"][0], tested_project)
    error = next(f for f in findings if f.test_id == BAD_CONFTEST)
    assert (error.path, error.line) == (None, None)
    assert error.message == "Collection error: ValueError: broken conftest"
    assert "broken conftest" in (error.details or "")


def test_strict_xpass_has_no_line_in_xunit2_but_its_definition_in_xunit1(
    junit_runs: Runs, tested_project: Path
) -> None:
    xunit2 = finding(parse(junit_runs["xunit2"][0], tested_project), "xpass", "test_strict_xpass")
    xunit1 = finding(parse(junit_runs["xunit1"][0], tested_project), "xpass", "test_strict_xpass")
    source = (tested_project / MIX).read_text(encoding="utf-8").splitlines()
    decorator = source.index('@pytest.mark.xfail(reason="strictly", strict=True)') + 1
    assert xunit2.message == xunit1.message == "[XPASS(strict)] strictly"
    assert xunit2.line is None
    assert xunit1.line == decorator  # pytest's 0-based location of the decorated def, + 1


def test_message_is_pytests_message_and_details_the_traceback(
    junit_runs: Runs, tested_project: Path
) -> None:
    fail = finding(parse(junit_runs["xunit2"][0], tested_project), "failure", "test_fail")
    assert fail.message.startswith("AssertionError: x should be two")
    assert fail.details is not None
    assert 'assert x == 2, "x should be two"' in fail.details
    assert fail.details.endswith(f"{MIX}:{fail.line}: AssertionError")


def test_long_texts_are_clipped_keeping_the_traceback_end(
    junit_runs: Runs, tested_project: Path
) -> None:
    long = finding(parse(junit_runs["xunit2"][0], tested_project), "failure", "test_long_message")
    assert long.details is not None
    assert len(long.details) == MAX_DETAILS
    assert long.details.startswith("…")
    assert long.details.endswith("AssertionError")
    assert len(long.message) <= MAX_MESSAGE


def test_bare_testsuite_root(junit_runs: Runs, tested_project: Path, tmp_path: Path) -> None:
    report, _ = junit_runs["xunit2"]
    bare = tmp_path / "bare.xml"
    text = report.read_text(encoding="utf-8")
    bare.write_text(re.sub(r"</?testsuites[^>]*>", "", text), encoding="utf-8")
    assert "<testsuites" not in bare.read_text(encoding="utf-8")
    assert JunitParser().parse(bare, root=tested_project) == JunitParser().parse(
        report, root=tested_project
    )


def test_node_ids_survive_a_root_without_the_test_files(junit_runs: Runs, tmp_path: Path) -> None:
    """pytest's rootdir may differ from the repository root: ids stay, paths go.

    Only a failing directory cannot be told from a module without the files.
    """
    findings = parse(junit_runs["xunit2"][0], tmp_path)
    guessed = EXPECTED_FINDINGS - {("error", BAD_CONFTEST)} | {("error", "tests/badconf.py")}
    assert {(f.rule, f.test_id) for f in findings} == guessed
    assert {f.path for f in findings} == {None}


def test_a_suite_without_tests_counts_zero(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        '<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="0"/></testsuites>',
        encoding="utf-8",
    )
    data = JunitParser().parse(report, root=tmp_path)
    assert data.tests is not None
    assert (data.tests.total, data.findings) == (0, ())


def test_another_root_element_is_refused(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text('<coverage lines-valid="1"/>', encoding="utf-8")
    with pytest.raises(ReportError, match=r"root element is <coverage>, not <testsuites>"):
        JunitParser().parse(report, root=tmp_path)


def test_a_stage_with_cwd_gets_paths_from_the_repository_root(
    junit_runs: Runs, tested_project: Path
) -> None:
    """pytest ran in a subdirectory (the stage's ``cwd``): node ids stay pytest's,
    paths gain the subdirectory."""
    repository = tested_project.parent
    report, _ = junit_runs["xunit2"]
    data = JunitParser().parse(report, root=repository, base=tested_project)
    found = finding(data.findings, "failure", "test_fail")
    assert found.path == f"{tested_project.name}/{MIX}"
    assert found.line == marker_line(tested_project, "fail")
