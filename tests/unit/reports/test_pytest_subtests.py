"""pytest's subtests: counts equal pytest's summary line, findings carry the parameters.

pytest 9 runs ``unittest``'s ``subTest`` and its own ``subtests`` fixture. Its JUnit XML
writes one ``<failure>`` per failed subtest in the test's element, without parameters, and
nothing for a passed subtest; the console output says the rest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from localci.reports import parse_report
from localci.reports.pytest_log import parse_pytest_log

SUBTESTS = """\
import unittest


class TestNumbers(unittest.TestCase):
    def test_even(self):
        for i in range(4):
            with self.subTest(i=i):
                self.assertEqual(i % 2, 0)

    def test_all_pass(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertTrue(i >= 0)


def test_fixture(subtests):
    for n in range(3):
        with subtests.test(msg="check", n=n):
            assert n != 1


def test_plain():
    assert True


def test_plain_fail():
    assert 1 == 2
"""
_PART = re.compile(r"(\d+) ([a-z ]+?)(?:,| in )")


@pytest.fixture(scope="module")
def subtest_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """Verbosity -> (project root, JUnit report, console log), from real pytest runs."""
    root = tmp_path_factory.mktemp("subtests")
    (root / "tests").mkdir()
    (root / "tests" / "test_sub.py").write_text(SUBTESTS, encoding="utf-8")
    runs = {}
    for name, flag in (("quiet", "-q"), ("default", "-p no:randomly")):
        report, log = root / f"{name}.xml", root / f"{name}.log"
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"]
        out = subprocess.run(
            [*argv, *flag.split(), "tests"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        log.write_text(out, encoding="utf-8")
        runs[name] = (root, report, out)
    return runs


def pytest_counts(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1].strip("= ")
    return {word: int(n) for n, word in _PART.findall(last + " in ")}


@pytest.mark.parametrize("verbosity", ["quiet", "default"])
def test_counts_equal_pytests_summary_line(
    verbosity: str, subtest_runs: dict[str, tuple[Path, Path, str]]
) -> None:
    root, report, out = subtest_runs[verbosity]
    summary = pytest_counts(out)
    log = root / f"{verbosity}.log"
    tests = parse_report("junit", report, root=root, log=log).tests
    assert tests is not None
    assert tests.passed == summary["passed"]
    assert tests.failed == summary["failed"]
    assert tests.subtests_passed == summary.get("subtests passed", 0)
    # SUBFAILED(i=1), SUBFAILED(i=3), SUBFAILED[check] (n=1): pytest lists three
    assert tests.subtests_failed == 3


def test_quiet_run_counts_passed_subtests(subtest_runs: dict[str, tuple[Path, Path, str]]) -> None:
    root, report, out = subtest_runs["quiet"]
    assert "7 subtests passed" in out  # pytest's own words
    tests = parse_report("junit", report, root=root, log=root / "quiet.log").tests
    assert tests is not None
    assert tests.subtests_passed == 7


def test_findings_carry_the_subtest_parameters(
    subtest_runs: dict[str, tuple[Path, Path, str]],
) -> None:
    root, report, _ = subtest_runs["quiet"]
    findings = parse_report("junit", report, root=root, log=root / "quiet.log").findings
    ids = sorted(f.test_id or "" for f in findings)
    assert ids == [
        "tests/test_sub.py::TestNumbers::test_even (i=1)",
        "tests/test_sub.py::TestNumbers::test_even (i=3)",
        "tests/test_sub.py::test_fixture",
        "tests/test_sub.py::test_fixture [check] (n=1)",
        "tests/test_sub.py::test_plain_fail",
    ]
    assert all(f.path == "tests/test_sub.py" for f in findings)


def test_without_the_log_each_failure_still_counts_as_pytest_does(
    subtest_runs: dict[str, tuple[Path, Path, str]],
) -> None:
    root, report, out = subtest_runs["default"]
    tests = parse_report("junit", report, root=root).tests
    assert tests is not None
    assert tests.failed == pytest_counts(out)["failed"]


def test_a_summary_that_disagrees_with_the_report_is_ignored(
    subtest_runs: dict[str, tuple[Path, Path, str]], tmp_path: Path
) -> None:
    root, report, _ = subtest_runs["quiet"]
    log = tmp_path / "other.log"
    log.write_text("=== 1 failed, 99 passed, 500 subtests passed in 1.00s ===\n", "utf-8")
    tests = parse_report("junit", report, root=root, log=log).tests
    assert tests is not None
    assert (tests.passed, tests.subtests_passed) != (99, 500)


def test_summary_line_parsing() -> None:
    log = parse_pytest_log(
        "\x1b[31m==== 2 failed, 736 passed, 21037 subtests passed, 1 error in 3.20s ====\x1b[0m\n"
    )
    assert log.summary == {
        "failed": 2,
        "passed": 736,
        "subtests passed": 21037,
        "errors": 1,
    }
    assert parse_pytest_log("no summary here\n").summary is None
