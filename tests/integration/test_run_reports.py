"""Reports through a real `localci run`: exit codes per tool, a stage's cwd, tool errors.

Every stage runs a real program (pytest, coverage.py, bandit's stored SARIF copied by the
shell) in an isolated worktree; the result is what `localci run --json` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import CliResult

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "reports"
PYTEST = '["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml={reports}/j.xml"'


def run_stage(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult], stage: str, files: dict[str, str]
) -> dict[str, Any]:
    repo = make_repo({".localci.yml": "stages:\n" + stage, **files})
    result = cli("run", "--json", "--no-cache", cwd=repo)
    assert result.out, result.err
    found: dict[str, Any] = result.json()["stages"][0]
    return found


def test_a_collection_error_is_a_finding_with_file_and_message(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    stage = run_stage(
        make_repo,
        cli,
        f"  - name: t\n    kind: tests\n    run: {PYTEST}]\n"
        "    report: {format: junit, path: '{reports}/j.xml'}\n",
        {
            "tests/test_ok.py": "def test_ok():\n    assert True\n",
            "tests/test_broken.py": "import nonexistent_module_xyz\n",
        },
    )
    assert (stage["status"], stage["exit_code"]) == ("error", 2)
    assert "interrupted" in stage["reason"]
    [finding] = stage["findings"]
    assert finding["path"] == "tests/test_broken.py"
    assert finding["message"] == (
        "Collection error: ModuleNotFoundError: No module named 'nonexistent_module_xyz'"
    )


def test_configured_report_exit_codes_let_the_report_decide(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """A runner that exits 100 on failures (cargo nextest does) with `report_exit_codes`."""
    junit = (ASSETS / "documented" / "surefire.xml").read_text(encoding="utf-8")
    base = (
        "  - name: t\n    kind: tests\n    shell: true\n"
        "    run: 'cp surefire.xml \"{reports}/j.xml\"; exit 100'\n"
        "    report: {format: junit, path: '{reports}/j.xml'}\n"
    )
    stage = run_stage(
        make_repo, cli, base + "    report_exit_codes: [0, 100]\n", {"surefire.xml": junit}
    )
    assert stage["status"] == "failed"
    assert stage["metrics"]["tests"]["failed"] == 1
    assert stage["metrics"]["tests"]["errors"] == 1
    unconfigured = run_stage(make_repo, cli, base, {"surefire.xml": junit})
    assert (unconfigured["status"], unconfigured["reason"]) == ("error", "exited with code 100")


def test_paths_are_relative_to_the_repository_for_a_stage_with_cwd(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    sarif = (ASSETS / "bandit" / "bandit.sarif").read_text(encoding="utf-8")
    stage = run_stage(
        make_repo,
        cli,
        "  - name: lint\n    kind: lint\n    cwd: backend\n    shell: true\n"
        "    run: 'cp ../bandit.sarif \"{reports}/b.sarif\"; exit 1'\n"
        "    report: {format: sarif, path: '{reports}/b.sarif'}\n"
        "    max_findings: 0\n    severity: error\n",
        {"bandit.sarif": sarif, "backend/pkg/app.py": "import pickle\n"},
    )
    assert stage["status"] == "failed"
    assert {f["path"] for f in stage["findings"]} == {"backend/pkg/app.py"}


def test_coverage_json_failure_quotes_coverage_and_the_fix(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """coverage.py measured a file that is gone when `coverage json` runs."""
    stage = run_stage(
        make_repo,
        cli,
        "  - name: cov\n    kind: coverage\n    shell: true\n"
        '    run: \'"{python}" -m coverage run --data-file="{reports}/.cov" main.py'
        ' && rm gone.py && "{python}" -m coverage json --data-file="{reports}/.cov"'
        ' -o "{reports}/c.json"\'\n'
        "    report: {format: coverage-json, path: '{reports}/c.json'}\n",
        {
            "main.py": "import gone\ngone.f()\n",
            "gone.py": "def f():\n    return 1\n",
        },
    )
    assert (stage["status"], stage["exit_code"]) == ("error", 1)
    reason = stage["reason"]
    assert "No source for code: 'gone.py'" in reason
    assert "--ignore-errors" in reason
    assert "omit" in reason
    assert "/tmp" not in reason


def test_subtests_are_counted_as_pytest_counts_them(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """pytest -q says "1 failed, 2 passed, 3 subtests passed"; so does the result."""
    stage = run_stage(
        make_repo,
        cli,
        f"  - name: t\n    kind: tests\n    run: {PYTEST}, tests]\n"
        "    report: {format: junit, path: '{reports}/j.xml'}\n",
        {
            "tests/test_sub.py": (
                "import unittest\n\n\n"
                "class TestK(unittest.TestCase):\n"
                "    def test_sub(self):\n"
                "        for i in range(4):\n"
                "            with self.subTest(i=i):\n"
                "                self.assertNotEqual(i, 2)\n\n\n"
                "def test_ok():\n    assert True\n"
            ),
        },
    )
    tests = stage["metrics"]["tests"]
    assert (tests["passed"], tests["failed"]) == (2, 1)
    assert (tests["subtests_passed"], tests["subtests_failed"]) == (3, 1)
    assert [f["test_id"] for f in stage["findings"]] == ["tests/test_sub.py::TestK::test_sub (i=2)"]
    assert stage["status"] == "failed"


def test_a_secret_in_a_failing_tests_message_is_masked_in_the_findings(
    make_repo: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """Findings are masked with the rest of the result, never kept as the tool wrote them."""
    token = "ghp_" + "T" * 36
    stage = run_stage(
        make_repo,
        cli,
        f"  - name: t\n    kind: tests\n    run: {PYTEST}]\n"
        "    report: {format: junit, path: '{reports}/j.xml'}\n",
        {"tests/test_leak.py": f"def test_leak():\n    assert False, {token!r}\n"},
    )
    assert stage["status"] == "failed"
    [finding] = stage["findings"]
    assert "***" in finding["message"]
    assert token not in str(stage)
